/** An administrator's form for a new user: each field shows the API's sentence about it. */
import { useState } from 'react';
import { ApiError, messageOf } from '../../src/api';
import { Button, Notice } from '../../src/ui/common';
import { useUsers } from './users-store';

const FIELDS = [
  { name: 'username', label: 'Username', type: 'text', autoComplete: 'off' },
  { name: 'email', label: 'Email', type: 'email', autoComplete: 'off' },
  { name: 'password', label: 'Password', type: 'password', autoComplete: 'new-password' },
] as const;
type Field = (typeof FIELDS)[number]['name'];

export function CreateUser({ onDone }: { onDone: (username: string) => void }) {
  const create = useUsers((s) => s.create);
  const [values, setValues] = useState<Record<Field, string>>({ username: '', email: '', password: '' });
  const [errors, setErrors] = useState<Record<string, string[]>>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async () => {
    setBusy(true);
    setErrors({});
    setError(null);
    try {
      await create(values);
      onDone(values.username);
      setValues({ username: '', email: '', password: '' });
    } catch (err) {
      const fields = err instanceof ApiError ? err.fields : {};
      const known = FIELDS.some((f) => fields[f.name]);
      setErrors(fields);
      if (!known) setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form
      className="people-form"
      aria-label="Create a user"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      {FIELDS.map((f) => {
        const problem = errors[f.name]?.join(' ');
        const id = `new-user-${f.name}`;
        return (
          <label key={f.name} htmlFor={id}>
            {f.label}
            <input
              id={id}
              type={f.type}
              autoComplete={f.autoComplete}
              value={values[f.name]}
              onChange={(e) => setValues({ ...values, [f.name]: e.target.value })}
              aria-invalid={!!problem}
              aria-describedby={problem ? `${id}-error` : undefined}
            />
            {problem && (
              <span className="field-error" id={`${id}-error`}>
                {problem}
              </span>
            )}
          </label>
        );
      })}
      <Button type="submit" kind="primary" busy={busy}>
        Create user
      </Button>
      {error && <Notice kind="error">{error}</Notice>}
    </form>
  );
}
