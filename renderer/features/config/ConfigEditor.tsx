/** The config table editor: edit, add, remove, paste a .env, and save (which cuts a release). */
import { useEffect, useState } from 'react';
import { messageOf } from '../../src/api';
import { Button, Empty, Notice, Section, Spinner } from '../../src/ui/common';
import { hasCredentials, maskCredentials } from '../services/mask';
import { configChange, rowProblem, useConfig } from './store';

function PasteEnv({ onDone }: { onDone: (text: string) => void }) {
  const [text, setText] = useState('');
  return (
    <div className="paste">
      <textarea
        className="mono"
        aria-label="Paste a .env file"
        rows={5}
        placeholder={'# paste a .env file\nDATABASE_URL=postgres://…\nGREETING="Hello there"'}
        value={text}
        onChange={(e) => setText(e.target.value)}
      />
      <Button
        disabled={!text.trim()}
        onClick={() => {
          onDone(text);
          setText('');
        }}
      >
        Add to the table
      </Button>
    </div>
  );
}

export function ConfigEditor({ app }: { app: string }) {
  const { saved, draft, error, load, edit, add, remove, paste, reset, save } = useConfig();
  // Edits wait for this app's values, so a late answer cannot wipe them.
  const loaded = useConfig((s) => s.app === app);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);
  const [showPaste, setShowPaste] = useState(false);
  // Saved values holding a password (a service's DATABASE_URL) stay masked, and out of the page, until revealed.
  const [revealed, setRevealed] = useState<ReadonlySet<number>>(new Set());
  const masked = (row: { id: number; key: string; value: string }) =>
    !revealed.has(row.id) && saved[row.key] === row.value && hasCredentials(row.value);
  useEffect(() => {
    void load(app);
  }, [app, load]);
  const problems = draft.map((r) => rowProblem(r, draft));
  const pending = Object.keys(configChange(saved, draft)).length;

  const submit = async () => {
    setBusy(true);
    setResult(null);
    try {
      const version = await save(app);
      setResult({
        ok: true,
        text: version ? `Saved: the app now runs release v${version}.` : 'Nothing changed.',
      });
    } catch (err) {
      setResult({ ok: false, text: messageOf(err) });
    } finally {
      setBusy(false);
    }
  };

  if (!loaded) return error ? <Notice kind="error">{error}</Notice> : <Spinner />;
  return (
    <Section
      title="Environment"
      actions={
        <>
          <Button onClick={add}>Add a value</Button>
          <Button onClick={() => setShowPaste(!showPaste)}>Paste a .env</Button>
        </>
      }
    >
      {error && <Notice kind="error">{error}</Notice>}
      {showPaste && (
        <PasteEnv
          onDone={(text) => {
            const skipped = paste(text);
            setShowPaste(false);
            if (skipped.length)
              setResult({
                ok: false,
                text:
                  skipped.length === 1
                    ? `Line ${skipped[0]} is not KEY=value; it was left out.`
                    : `Lines ${skipped.join(', ')} are not KEY=value; they were left out.`,
              });
          }}
        />
      )}
      {draft.length === 0 ? (
        <Empty>No config values. Add one, or paste a .env file.</Empty>
      ) : (
        <table className="table config" data-testid="config-table">
          <thead>
            <tr>
              <th>Key</th>
              <th>Value</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {draft.map((row, i) => (
              <tr key={row.id} className={saved[row.key] === row.value ? '' : 'dirty'}>
                <td>
                  <input
                    className="mono"
                    aria-label="Key"
                    value={row.key}
                    onChange={(e) => edit(row.id, { key: e.target.value.toUpperCase() })}
                  />
                  {problems[i] && <div className="field-error">{problems[i]}</div>}
                </td>
                <td>
                  {masked(row) ? (
                    <span className="masked-value">
                      <code data-testid={`masked-${row.key}`}>{maskCredentials(row.value)}</code>
                      <button
                        type="button"
                        className="btn btn-plain btn-small"
                        onClick={() => setRevealed(new Set(revealed).add(row.id))}
                        aria-label={`Reveal ${row.key}`}
                      >
                        Reveal
                      </button>
                    </span>
                  ) : (
                    <input
                      className="mono wide"
                      aria-label={`Value of ${row.key || 'new key'}`}
                      value={row.value}
                      onChange={(e) => edit(row.id, { value: e.target.value })}
                    />
                  )}
                </td>
                <td>
                  <button
                    type="button"
                    className="btn btn-plain btn-small"
                    onClick={() => remove(row.id)}
                    aria-label={`Remove ${row.key}`}
                  >
                    Remove
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <div className="row">
        <Button
          kind="primary"
          busy={busy}
          disabled={pending === 0 || problems.some(Boolean)}
          onClick={() => void submit()}
        >
          Save {pending ? `${pending} change${pending > 1 ? 's' : ''}` : ''}
        </Button>
        <Button disabled={pending === 0} onClick={reset}>
          Discard
        </Button>
        {result && <Notice kind={result.ok ? 'success' : 'error'}>{result.text}</Notice>}
      </div>
    </Section>
  );
}
