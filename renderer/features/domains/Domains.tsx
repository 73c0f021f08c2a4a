/** The app's domains: the router answers for each, besides <app>.localhost. */
import { useEffect, useState } from 'react';
import { messageOf } from '../../src/api';
import { ago } from '../../src/format';
import { Button, Notice, Section } from '../../src/ui/common';
import { useDomains } from './store';

export function Domains({ app }: { app: string }) {
  const { domains, error, load, add, remove } = useDomains();
  const [name, setName] = useState('');
  const [failure, setFailure] = useState<string | null>(null);
  useEffect(() => {
    void load(app);
  }, [app, load]);
  const act = async (work: () => Promise<void>) => {
    setFailure(null);
    try {
      await work();
    } catch (err) {
      setFailure(messageOf(err));
    }
  };
  return (
    <Section title="Domains">
      {(error || failure) && <Notice kind="error">{failure ?? error}</Notice>}
      <form
        className="row"
        onSubmit={(e) => {
          e.preventDefault();
          void act(async () => {
            await add(app, name.trim());
            setName('');
          });
        }}
      >
        <input
          className="grow"
          aria-label="Domain"
          placeholder="www.example.com"
          value={name}
          onChange={(e) => setName(e.target.value)}
        />
        <Button type="submit" kind="primary" disabled={!name.trim()}>
          Add domain
        </Button>
      </form>
      <table className="table">
        <tbody>
          {domains.map((d) => (
            <tr key={d.domain}>
              <td className="mono">{d.domain}</td>
              <td className="muted">
                added by {d.owner} {ago(d.created)}
              </td>
              <td>
                <Button onClick={() => void act(() => remove(app, d.domain))}>Remove</Button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </Section>
  );
}
