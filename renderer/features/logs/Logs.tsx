/** The app's log: live tail (or build output until the core has logs), filter, search, pause, copy. */
import { useEffect, useState } from 'react';
import { Button, CopyButton, Notice } from '../../src/ui/common';
import { LogPane } from '../tasks/TaskView';
import { filterLines, useLogs } from './store';

export function Logs({ app }: { app: string }) {
  const { lines, source, pausedAt, error, start, setPaused } = useLogs();
  const [type, setType] = useState('all');
  const [search, setSearch] = useState('');
  useEffect(() => start(app), [app, start]);
  const visible = pausedAt === null ? lines : lines.slice(0, pausedAt);
  const types = [...new Set(lines.map((l) => l.type))].sort();
  const shown = filterLines(visible, type, search).map((l) => l.text);
  const paused = pausedAt !== null;

  return (
    <>
      {source === 'builds' && (
        <Notice kind="info">
          This core does not collect the app&apos;s own logs yet; here is the output of its latest builds.
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
        <span className="muted small" data-testid="log-status">
          {shown.length} of {visible.length} lines
          {paused ? ` · paused (${lines.length - visible.length} new)` : source === 'live' ? ' · live' : ''}
        </span>
      </div>
      <LogPane lines={shown} follow={!paused} />
    </>
  );
}
