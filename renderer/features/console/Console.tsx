/**
 * The console: pick a live process, type a command, and see what it prints in a terminal (xterm.js),
 * then its exit code. The command runs with /bin/sh inside that very process (its files, its
 * environment); leaving the tab or pressing Stop kills it. Open a shell gives an interactive shell in
 * the process instead (Shell.tsx). One-off commands in a fresh container of the release are `deis run`.
 */
import { useEffect, useRef, useState } from 'react';
import type { Terminal } from '@xterm/xterm';
import { page, PodSchema, type PodInfo } from '../../../main/contract/responses';
import { CONSOLE_COMMAND_MAX_CHARS } from '../../../main/contract/limits';
import { get, messageOf } from '../../src/api';
import { Button, Empty, Notice } from '../../src/ui/common';
import { execStream } from './exec-stream';
import { Shell } from './Shell';
import { openTerminal } from './terminal';
import './console.css';

/** Commands remembered for the arrow keys, newest last. */
const HISTORY = 50;

type Status =
  | { kind: 'idle' }
  | { kind: 'running'; command: string; pod: string }
  | { kind: 'exited'; code: number }
  | { kind: 'failed'; text: string };

function statusText(s: Status): string {
  switch (s.kind) {
    case 'idle':
      return 'Type a command and press Enter.';
    case 'running':
      return `Running in ${s.pod}…`;
    case 'exited':
      return `Exited with code ${s.code}.`;
    case 'failed':
      return s.text;
  }
}

export function Console({ app }: { app: string }) {
  const [pods, setPods] = useState<PodInfo[] | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [pod, setPod] = useState('');
  const [command, setCommand] = useState('');
  const [status, setStatus] = useState<Status>({ kind: 'idle' });
  const history = useRef<string[]>([]);
  const cursor = useRef(0);
  const box = useRef<HTMLDivElement>(null);
  const term = useRef<Terminal | null>(null);
  const running = useRef<AbortController | null>(null);
  /** The process a shell is open in (the shell replaces the command line while it is). */
  const [shellPod, setShellPod] = useState<string | null>(null);

  useEffect(() => {
    let stopped = false;
    get(`/v2/apps/${encodeURIComponent(app)}/pods/`, page(PodSchema)).then(
      (list) => {
        if (stopped) return;
        const up = list.results.filter((p) => p.state === 'up');
        setPods(up);
        setPod((current) => (up.some((p) => p.name === current) ? current : (up[0]?.name ?? '')));
      },
      (err: unknown) => !stopped && setLoadError(messageOf(err)),
    );
    return () => {
      stopped = true;
    };
  }, [app, status.kind]);

  const hasTerminal = pods !== null && pods.length > 0 && shellPod === null;
  useEffect(() => {
    if (!box.current) return;
    const opened = openTerminal(box.current, {
      convertEol: true,
      disableStdin: true,
      cursorBlink: false,
      rows: 20,
      scrollback: 5_000,
      fontFamily: "ui-monospace, 'DejaVu Sans Mono', Menlo, Consolas, monospace",
      fontSize: 13,
      // Every colour the console writes reads at 4.5:1 or more on its background (WCAG AA).
      theme: {
        background: '#10151f',
        foreground: '#e3e7ef',
        red: '#ff7b72',
        green: '#56d364',
        yellow: '#e3b341',
        cyan: '#56c8d8',
        brightBlack: '#9aa4b8',
      },
    });
    term.current = opened.term;
    opened.term.writeln('\x1b[90mCommands run with /bin/sh inside the process you pick.\x1b[0m');
    return () => {
      // Leaving the tab ends the command: the core kills it when the stream closes.
      running.current?.abort();
      opened.dispose();
      term.current = null;
    };
  }, [hasTerminal]);

  const run = async () => {
    const line = command.trim();
    if (!line || !pod || running.current) return;
    history.current = [...history.current.filter((h) => h !== line), line].slice(-HISTORY);
    cursor.current = history.current.length;
    setCommand('');
    const abort = new AbortController();
    running.current = abort;
    setStatus({ kind: 'running', command: line, pod });
    // term.current, not a copy: leaving the tab disposes the terminal while the command ends.
    const t = {
      write: (s: string) => term.current?.write(s),
      writeln: (s: string) => term.current?.writeln(s),
    };
    t.writeln(`\x1b[1;36m${pod} $\x1b[0m ${line}`);
    let last = '\n';
    try {
      await execStream(
        app,
        pod,
        line,
        {
          onOutput: (text) => {
            t.write(text);
            last = text.slice(-1) || last;
          },
          onExit: (code) => {
            if (last !== '\n') t.write('\r\n');
            t.writeln(`\x1b[${code === 0 ? '32' : '31'}m[exit code ${code}]\x1b[0m`);
            setStatus({ kind: 'exited', code });
          },
          onError: (detail) => {
            if (last !== '\n') t.write('\r\n');
            t.writeln(`\x1b[31m${detail}\x1b[0m`);
            setStatus({ kind: 'failed', text: detail });
          },
        },
        abort.signal,
      );
      if (abort.signal.aborted) {
        t.writeln('\r\n\x1b[33m[stopped]\x1b[0m');
        setStatus({ kind: 'failed', text: 'Stopped.' });
      }
    } catch (err) {
      const text = messageOf(err);
      t.writeln(`\x1b[31m${text}\x1b[0m`);
      setStatus({ kind: 'failed', text });
    } finally {
      running.current = null;
    }
  };

  const onKey = (e: React.KeyboardEvent<HTMLInputElement>) => {
    if (e.key !== 'ArrowUp' && e.key !== 'ArrowDown') return;
    e.preventDefault();
    const h = history.current;
    cursor.current = Math.max(0, Math.min(h.length, cursor.current + (e.key === 'ArrowUp' ? -1 : 1)));
    setCommand(h[cursor.current] ?? '');
  };

  if (loadError) return <Notice kind="error">{loadError}</Notice>;
  if (pods === null) return <Empty>Reading the app's processes…</Empty>;
  if (pods.length === 0)
    return (
      <Empty>
        No process of this app is up, so there is nothing to open a console in. Deploy the app or scale a
        process type up on the Overview.
      </Empty>
    );
  const busy = status.kind === 'running';
  if (shellPod) return <Shell app={app} pod={shellPod} onClose={() => setShellPod(null)} />;
  return (
    <>
      <form
        className="console-form"
        onSubmit={(e) => {
          e.preventDefault();
          void run();
        }}
      >
        <label>
          Process
          <select value={pod} onChange={(e) => setPod(e.target.value)} disabled={busy}>
            {pods.map((p) => (
              <option key={p.name} value={p.name}>
                {p.name} ({p.type}, {p.release})
              </option>
            ))}
          </select>
        </label>
        <label className="grow">
          Command
          <input
            value={command}
            onChange={(e) => setCommand(e.target.value)}
            onKeyDown={onKey}
            maxLength={CONSOLE_COMMAND_MAX_CHARS}
            placeholder="ls -la"
            autoComplete="off"
            spellCheck={false}
            disabled={busy}
          />
        </label>
        <Button type="submit" kind="primary" disabled={busy || !command.trim()}>
          Run
        </Button>
        {busy && <Button onClick={() => running.current?.abort()}>Stop</Button>}
        <Button onClick={() => setShellPod(pod)} disabled={busy || !pod}>
          Open a shell
        </Button>
      </form>
      <p className="muted small" role="status" data-testid="console-status">
        {statusText(status)}
      </p>
      <div className="console-term" ref={box} data-testid="console-output" aria-label="Console output" />
    </>
  );
}
