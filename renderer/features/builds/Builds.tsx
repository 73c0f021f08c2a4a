/** The app's builds and the full output of one. */
import { useEffect } from 'react';
import { ago } from '../../src/format';
import { Empty, Notice } from '../../src/ui/common';
import { LogPane } from '../tasks/TaskView';
import { useBuilds } from './store';

export function Builds({ app }: { app: string }) {
  const { builds, open, error, load, show } = useBuilds();
  useEffect(() => {
    void load(app);
  }, [app, load]);
  useEffect(() => {
    if (!open && builds[0]) void show(app, builds[0].uuid);
  }, [app, builds, open, show]);
  if (!builds.length && !error) return <Empty>No builds yet. Deploy a folder or push with git.</Empty>;
  return (
    <>
      {error && <Notice kind="error">{error}</Notice>}
      <table className="table" data-testid="builds">
        <thead>
          <tr>
            <th>Commit</th>
            <th>Kind</th>
            <th>Process types</th>
            <th>Image</th>
            <th>Built</th>
          </tr>
        </thead>
        <tbody>
          {builds.map((b) => (
            <tr
              key={b.uuid}
              className={open?.uuid === b.uuid ? 'selected' : 'clickable'}
              onClick={() => void show(app, b.uuid)}
            >
              <td className="mono">{b.sha ? b.sha.slice(0, 7) : '—'}</td>
              <td>{b.dockerfile ? 'Dockerfile' : b.sha ? 'buildpack' : 'image'}</td>
              <td className="mono small">{Object.keys(b.procfile).join(', ') || '—'}</td>
              <td className="mono small">{b.image}</td>
              <td className="muted">{ago(b.created)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {open && <LogPane lines={open.log ? open.log.split('\n') : []} follow={false} />}
    </>
  );
}
