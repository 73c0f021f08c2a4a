/**
 * The console's interactive shell: a terminal (xterm.js) on a shell inside one live process, over a
 * WebSocket to the core. The UI asks for a single-use ticket (an authenticated POST, so the token
 * never goes in the socket's URL), opens the socket with it, sends keystrokes and resizes as JSON
 * and writes what comes back. Leaving the tab or pressing Close closes the socket, and the core kills
 * the shell.
 */
import { useEffect, useRef, useState } from 'react';
import { ShellTicket, type ShellServerMessage } from '../../../main/contract/console';
import { SHELL_COLS_MAX, SHELL_ROWS_MAX } from '../../../main/contract/limits';
import { messageOf, post } from '../../src/api';
import { Button } from '../../src/ui/common';
import { openTerminal } from './terminal';

/** Characters of one input message: JSON-escaped, it stays under SHELL_FRAME_MAX_BYTES. */
const INPUT_CHUNK = 8_000;

/** The terminal's font and colours (every colour reads at 4.5:1 or more on its background). */
const LOOK = {
  fontFamily: "ui-monospace, 'DejaVu Sans Mono', Menlo, Consolas, monospace",
  fontSize: 13,
  theme: {
    background: '#10151f',
    foreground: '#e3e7ef',
    cursor: '#e3e7ef',
    red: '#ff7b72',
    green: '#56d364',
    yellow: '#e3b341',
    blue: '#79c0ff',
    cyan: '#56c8d8',
    brightBlack: '#9aa4b8',
  },
};

export function Shell({ app, pod, onClose }: { app: string; pod: string; onClose: () => void }) {
  const box = useRef<HTMLDivElement>(null);
  const [status, setStatus] = useState(`Opening a shell in ${pod}…`);

  useEffect(() => {
    if (!box.current) return;
    const opened = openTerminal(box.current, { ...LOOK, cursorBlink: true, rows: 24, scrollback: 5_000 });
    const term = opened.term;
    // As many columns as the box holds (xterm measures its cell once it is open).
    const cell = box.current.querySelector('.xterm-screen')?.getBoundingClientRect();
    if (cell && cell.width > 0) {
      const perCol = cell.width / term.cols;
      const cols = Math.floor((box.current.clientWidth - 16) / perCol);
      if (cols > 20) term.resize(Math.min(cols, SHELL_COLS_MAX), Math.min(term.rows, SHELL_ROWS_MAX));
    }
    let ws: WebSocket | null = null;
    let gone = false;
    const send = (m: unknown) => {
      if (ws?.readyState === WebSocket.OPEN) ws.send(JSON.stringify(m));
    };
    const input = term.onData((data) => {
      for (let i = 0; i < data.length; i += INPUT_CHUNK)
        send({ type: 'input', data: data.slice(i, i + INPUT_CHUNK) });
    });
    const resize = term.onResize(({ cols, rows }) => send({ type: 'resize', cols, rows }));
    const path = `/v2/desktop/apps/${encodeURIComponent(app)}/pods/${encodeURIComponent(pod)}/shell/`;
    post(path, ShellTicket, { cols: term.cols, rows: term.rows }).then(
      (t) => {
        if (gone) return;
        const url = new URL(`${t.path}?ticket=${encodeURIComponent(t.ticket)}`, window.location.href);
        url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
        const socket = new WebSocket(url);
        ws = socket;
        socket.binaryType = 'arraybuffer';
        let said = '';
        socket.onmessage = (e: MessageEvent<ArrayBuffer | string>) => {
          if (typeof e.data !== 'string') return void term.write(new Uint8Array(e.data));
          const m = JSON.parse(e.data) as ShellServerMessage;
          if (m.type === 'ready') {
            setStatus(`Shell open in ${pod}. Type exit or press Close to end it.`);
            term.focus();
          } else if (m.type === 'exit') said = `The shell exited with code ${m.exit_code}.`;
          else said = m.detail;
        };
        socket.onclose = (e) => {
          if (gone) return;
          const text = said || e.reason || 'The connection to the shell closed.';
          term.writeln(`\r\n\x1b[33m[${text}]\x1b[0m`);
          setStatus(text);
        };
      },
      (err: unknown) => {
        if (gone) return;
        const text = messageOf(err);
        term.writeln(`\x1b[31m${text}\x1b[0m`);
        setStatus(text);
      },
    );
    return () => {
      // Leaving the tab closes the socket; the core kills the shell.
      gone = true;
      input.dispose();
      resize.dispose();
      ws?.close();
      opened.dispose();
    };
  }, [app, pod]);

  return (
    <>
      <div className="console-form">
        <p className="muted small grow" role="status" data-testid="shell-status">
          {status}
        </p>
        <Button onClick={onClose}>Close shell</Button>
      </div>
      <div className="console-term" ref={box} data-testid="shell-output" aria-label={`Shell in ${pod}`} />
    </>
  );
}
