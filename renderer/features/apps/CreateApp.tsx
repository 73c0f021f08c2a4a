/** Create an app: a name checked as it is typed, then the ways to get code into it. */
import { useEffect, useState } from 'react';
import { messageOf } from '../../src/api';
import { Button, Notice } from '../../src/ui/common';
import { useTargets } from '../targets/store';
import { appNameProblem, useApps } from './store';

export function CreateApp({ onCreated }: { onCreated: (app: string) => void }) {
  const create = useApps((s) => s.create);
  const [name, setName] = useState('');
  const [target, setTarget] = useState('local');
  const targets = useTargets((s) => s.targets);
  const loadTargets = useTargets((s) => s.load);
  useEffect(() => {
    void loadTargets();
  }, [loadTargets]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const problem = appNameProblem(name);

  const submit = async () => {
    setBusy(true);
    setError(null);
    try {
      onCreated(await create(name, target));
      setName('');
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form
      className="create-app"
      onSubmit={(e) => {
        e.preventDefault();
        if (!problem) void submit();
      }}
    >
      <div className="row">
        <input
          className="grow"
          aria-label="App name"
          placeholder="app name (empty: the core picks one)"
          value={name}
          onChange={(e) => setName(e.target.value)}
          aria-invalid={!!problem}
        />
        <select aria-label="Target" value={target} onChange={(e) => setTarget(e.target.value)}>
          {(targets.length ? targets.map((t) => t.name) : ['local']).map((t) => (
            <option key={t} value={t}>
              on {t}
            </option>
          ))}
        </select>
        <Button type="submit" kind="primary" busy={busy} disabled={!!problem}>
          Create app
        </Button>
      </div>
      {problem && <div className="field-error">{problem}</div>}
      {error && <Notice kind="error">{error}</Notice>}
    </form>
  );
}
