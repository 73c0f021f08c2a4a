/**
 * On an app's page: the target it runs on, and "Deploy to…", which promotes its current release to
 * another target (same image by digest, same config) with progress while it runs and, at the end,
 * the copy's name, version and a link to it there.
 */
import { useEffect, useId, useState } from 'react';
import type { PromoteResult } from '../../../main/contract/targets';
import { messageOf } from '../../src/api';
import { elapsed } from '../../src/format';
import { Button, Notice, Spinner } from '../../src/ui/common';
import { useApps } from '../apps/store';
import { Dialog } from './Dialog';
import { appUrlVia, kindWords, stateWords, useTargets } from './store';
import { Digest } from './Digest';
import './targets.css';

/** Ticks every second while `running`, for the time a promotion has taken so far. */
function useElapsed(running: boolean): number {
  const [start] = useState(() => Date.now());
  const [now, setNow] = useState(start);
  useEffect(() => {
    if (!running) return;
    const id = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(id);
  }, [running]);
  return now - start;
}

function Progress({ app, to }: { app: string; to: string }) {
  const ms = useElapsed(true);
  return (
    <div className="tg-progress" role="status" data-testid="promote-progress">
      <Spinner /> Promoting {app} to {to}: pushing its image by digest to {to}'s registry, cutting the release
      with the same config and rolling it out… {elapsed(Math.floor(ms / 1000) * 1000)}
    </div>
  );
}

function DeployToDialog({ app, from, onClose }: { app: string; from: string; onClose: () => void }) {
  const targets = useTargets((s) => s.targets);
  const promote = useTargets((s) => s.promote);
  const loadApps = useApps((s) => s.load);
  const choices = targets.filter((t) => t.name !== from);
  const [to, setTo] = useState(choices[0]?.name ?? '');
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<PromoteResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  const id = useId();
  useEffect(() => {
    if (!to && choices[0]) setTo(choices[0].name);
  }, [to, choices]);

  const submit = async () => {
    setBusy(true);
    setError(null);
    setDone(null);
    try {
      setDone(await promote(app, to));
      void loadApps();
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };
  const there = done ? targets.find((t) => t.name === done.target) : undefined;
  const url = done && there ? appUrlVia(there.router_url, done.app) : null;

  return (
    <Dialog title={`Deploy ${app} to another target`} onClose={onClose} testId="deploy-to-dialog">
      <p>
        Sends the release {app} runs now on <strong>{from}</strong> — the same image, by digest, and the same
        config — to another target, as the app <code>{`${app}-<target>`}</code> there. {app} keeps running
        here.
      </p>
      {choices.length === 0 ? (
        <Notice kind="info">
          There is no other target yet; an administrator adds one on the Targets screen.
        </Notice>
      ) : (
        <form
          className="tg-form"
          onSubmit={(e) => {
            e.preventDefault();
            if (to) void submit();
          }}
        >
          <div className="tg-field">
            <label htmlFor={id}>Target</label>
            <select id={id} value={to} onChange={(e) => setTo(e.target.value)} disabled={busy}>
              {choices.map((t) => (
                <option key={t.name} value={t.name}>
                  {t.name} — {kindWords(t.kind)}, {stateWords(t).label}
                </option>
              ))}
            </select>
          </div>
          <Button type="submit" kind="primary" busy={busy} disabled={!to || done !== null}>
            Deploy to {to || '…'}
          </Button>
        </form>
      )}
      {busy && <Progress app={app} to={to} />}
      {error && <Notice kind="error">{error}</Notice>}
      {done && (
        <div data-testid="promote-result">
          <Notice kind="success">
            {done.app} runs v{done.version} on {done.target}
          </Notice>
          <p className="small">
            {done.summary}: <Digest image={done.image} />
          </p>
          <p className="row">
            <a href={`#/apps/${encodeURIComponent(done.app)}/releases`} onClick={onClose}>
              Open {done.app}
            </a>
            {url && (
              <a href={url} target="_blank" rel="noreferrer" className="mono small">
                {url}
              </a>
            )}
          </p>
        </div>
      )}
    </Dialog>
  );
}

/** The app's target, in words, and the Deploy to… button beside it. */
export function AppTargetBar({ app }: { app: string }) {
  const apps = useApps((s) => s.apps);
  const targets = useTargets((s) => s.targets);
  const loadTargets = useTargets((s) => s.load);
  const [open, setOpen] = useState(false);
  useEffect(() => {
    void loadTargets();
  }, [loadTargets]);
  const summary = apps.find((a) => a.app.id === app);
  const on = summary?.app.target ?? 'local';
  const target = targets.find((t) => t.name === on);
  return (
    <div className="tg-appbar" data-testid="app-target">
      <span>
        Runs on <strong>{on}</strong>
        {target && (
          <span className="muted">
            {' '}
            ({kindWords(target.kind)}, {stateWords(target).label})
          </span>
        )}
      </span>
      <Button onClick={() => setOpen(true)} disabled={!summary?.release?.build}>
        Deploy to…
      </Button>
      {open && <DeployToDialog app={app} from={on} onClose={() => setOpen(false)} />}
    </div>
  );
}
