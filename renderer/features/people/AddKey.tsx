/**
 * Adds an SSH public key: pasted, or read from a file in the page (a file bigger than the API takes
 * is refused before it is read). The API's sentence about a bad key shows next to the field.
 */
import { useRef, useState } from 'react';
import { ApiError, messageOf } from '../../src/api';
import { Button, Notice } from '../../src/ui/common';
import { keyComment, keyFileProblem, keyTextProblem, useKeys } from './keys-store';

export function AddKey() {
  const add = useKeys((s) => s.add);
  const [id, setId] = useState('');
  const [text, setText] = useState('');
  const [errors, setErrors] = useState<Record<string, string[]>>({});
  const [error, setError] = useState<string | null>(null);
  const [added, setAdded] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const file = useRef<HTMLInputElement>(null);

  const take = (keyText: string, fallbackId = '') => {
    setText(keyText);
    if (!id) setId(keyComment(keyText) || fallbackId);
  };

  const readFile = async (picked: File | undefined) => {
    setErrors({});
    setError(null);
    if (!picked) return;
    const problem = keyFileProblem(picked);
    if (problem) return setError(problem);
    const content = await picked.text();
    const wrong = keyTextProblem(content);
    if (wrong) return setError(wrong);
    take(content.trim(), picked.name.replace(/\.pub$/, ''));
  };

  const submit = async () => {
    setBusy(true);
    setErrors({});
    setError(null);
    setAdded(null);
    try {
      const name = id.trim() || keyComment(text);
      await add(name, text.trim());
      setAdded(name);
      setId('');
      setText('');
      if (file.current) file.current.value = '';
    } catch (err) {
      const fields = err instanceof ApiError ? err.fields : {};
      setErrors(fields);
      if (!fields.id && !fields.public) setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };

  const idProblem = errors.id?.join(' ');
  const keyProblem = errors.public?.join(' ');
  return (
    <form
      className="people-form"
      aria-label="Add an SSH key"
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <label htmlFor="key-public">
        Public key (the contents of a .pub file)
        <textarea
          id="key-public"
          className="mono"
          rows={3}
          placeholder="ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA… you@laptop"
          value={text}
          onChange={(e) => take(e.target.value)}
          aria-invalid={!!keyProblem}
          aria-describedby={keyProblem ? 'key-public-error' : undefined}
        />
        {keyProblem && (
          <span className="field-error" id="key-public-error">
            {keyProblem}
          </span>
        )}
      </label>
      <label htmlFor="key-file">
        …or pick the file
        <input
          id="key-file"
          ref={file}
          type="file"
          accept=".pub,text/plain"
          onChange={(e) => void readFile(e.target.files?.[0])}
        />
      </label>
      <label htmlFor="key-id">
        Name
        <input
          id="key-id"
          value={id}
          placeholder="its comment, such as you@laptop"
          onChange={(e) => setId(e.target.value)}
          aria-invalid={!!idProblem}
          aria-describedby={idProblem ? 'key-id-error' : undefined}
        />
        {idProblem && (
          <span className="field-error" id="key-id-error">
            {idProblem}
          </span>
        )}
      </label>
      <Button type="submit" kind="primary" busy={busy} disabled={!text.trim()}>
        Add key
      </Button>
      {error && <Notice kind="error">{error}</Notice>}
      {added && <Notice kind="success">Added the key {added}; git push with it now works.</Notice>}
    </form>
  );
}
