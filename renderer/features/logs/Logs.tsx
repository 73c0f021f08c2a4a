/** The app's log: live tail (or build output until the core has logs), filter, search, pause, copy. */
import { useEffect, useState } from 'react';
import { Button, CopyButton, Notice } from '../../src/ui/common';
import { LogPane } from '../tasks/TaskView';
import { filterLines, useLogs } from './store';

const POLL_MS = 2_000;

export function Logs({ app }: { app: string }) {
  const { lines, source, paused, error, refresh, setPaused } = useLogs();
  const [type, setType] = useState('all');
  const [search, setSearch] = useState('');
  useEffect(() => {
    void refresh(app);
    const timer = setInterval(() => void refresh(app), POLL_MS);
    return () => clearInterval(timer);
  }, [app, refresh]);
  const types = [...new Set(lines.map((l) => l.type))].sort();
  const shown = filterLines(lines, type, search).map((l) => l.text);

  return (
    <>
      {source === 'builds' && (
        <Notice kind="info">
          This core does not collect the app's own logs yet; here is the output of its latest builds.
        </Notice>
      )}
      {error && <Notice kind="error">{error}</Notice>}
      <div className="row toolbar">
        <select aria-label="Process type" value={type} onChange={(e) => setType(e.target.value)}>
          <option value="all">all processes</option>
          {types.map((t) => (
            <option key={t} value={t}>
              {t}
            </option>
          ))}
        </select>
        <input
          className="grow"
          aria-label="Search the log"
          placeholder="Search"
          value={search}
          onChange={(e) => setSearch(e.target.value)}
        />
        <Button onClick={() => setPaused(!paused)}>{paused ? 'Resume' : 'Pause'}</Button>
        <CopyButton text={shown.join('\n')} label="Copy" />
        <span className="muted small">
          {shown.length} of {lines.length} lines{paused ? ' · paused' : source === 'live' ? ' · live' : ''}
        </span>
      </div>
      <LogPane lines={shown} follow={!paused} />
    </>
  );
}
