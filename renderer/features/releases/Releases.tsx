/** The release timeline: who cut what and why, the config difference between two, and rollback. */
import { useEffect, useState } from 'react';
import { messageOf } from '../../src/api';
import { ago } from '../../src/format';
import { Badge, Button, Notice, Section } from '../../src/ui/common';
import { maskCredentials } from '../services/mask';
import { ReleaseOrigin, useBuildImages } from '../targets/ReleaseOrigin';
import { useReleases } from './store';

function Compare({ app }: { app: string }) {
  const releases = useReleases((s) => s.releases);
  const compared = useReleases((s) => s.compared);
  const compare = useReleases((s) => s.compare);
  const [from, setFrom] = useState<number | null>(null);
  const [to, setTo] = useState<number | null>(null);
  const versions = releases.map((r) => r.version);
  const a = from ?? versions[1] ?? versions[0];
  const b = to ?? versions[0];
  const pick = (value: number | undefined, set: (v: number) => void, label: string) => (
    <select aria-label={label} value={value} onChange={(e) => set(Number(e.target.value))}>
      {versions.map((v) => (
        <option key={v} value={v}>
          v{v}
        </option>
      ))}
    </select>
  );
  return (
    <Section title="Compare config">
      <div className="row">
        {pick(a, setFrom, 'from release')} → {pick(b, setTo, 'to release')}
        <Button
          disabled={a === undefined || b === undefined}
          onClick={() => a !== undefined && b !== undefined && void compare(app, a, b)}
        >
          Compare
        </Button>
      </div>
      {compared && (
        <table className="table diff" data-testid="config-diff">
          <thead>
            <tr>
              <th>Key</th>
              <th>v{compared.from}</th>
              <th>v{compared.to}</th>
            </tr>
          </thead>
          <tbody>
            {compared.changes.length === 0 && (
              <tr>
                <td colSpan={3} className="muted">
                  Neither release has config values.
                </td>
              </tr>
            )}
            {compared.changes.map((c) => (
              <tr key={c.key} className={`diff-${c.kind}`}>
                <td className="mono">{c.key}</td>
                {/* A service's password is not shown here; the Config tab reveals it. */}
                <td className="mono">{c.before === undefined ? '—' : maskCredentials(c.before)}</td>
                <td className="mono">{c.after === undefined ? '—' : maskCredentials(c.after)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Section>
  );
}

export function Releases({ app }: { app: string }) {
  const releases = useReleases((s) => s.releases);
  const error = useReleases((s) => s.error);
  const load = useReleases((s) => s.load);
  const rollback = useReleases((s) => s.rollback);
  const [busy, setBusy] = useState<number | null>(null);
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);
  useEffect(() => {
    void load(app);
  }, [app, load]);
  const current = releases[0]?.version;
  const images = useBuildImages(app, releases.length);

  const roll = async (version: number) => {
    setBusy(version);
    setResult(null);
    try {
      const cut = await rollback(app, version);
      setResult({ ok: true, text: `Rolled back to v${version}: the app now runs v${cut}.` });
    } catch (err) {
      setResult({ ok: false, text: messageOf(err) });
    } finally {
      setBusy(null);
    }
  };

  return (
    <>
      {error && <Notice kind="error">{error}</Notice>}
      {result && <Notice kind={result.ok ? 'success' : 'error'}>{result.text}</Notice>}
      <ol className="timeline" data-testid="releases">
        {releases.map((r) => (
          <li key={r.uuid} className={r.failed ? 'failed' : ''} data-testid={`release-v${r.version}`}>
            <div className="timeline-version">v{r.version}</div>
            <div className="timeline-body">
              <div>
                {r.summary} {r.version === current && <Badge tone="ok">current</Badge>}
                {r.failed && <Badge tone="bad">failed</Badge>}
              </div>
              <div className="muted small">
                by {r.owner} · {ago(r.created)}
              </div>
              <ReleaseOrigin summary={r.summary} image={r.build ? images[r.build] : undefined} />
            </div>
            <div>
              {r.version !== current && r.build !== null && (
                <Button
                  busy={busy === r.version}
                  onClick={() => void roll(r.version)}
                  title={`Cut a new release with v${r.version}'s build and config`}
                >
                  Roll back to v{r.version}
                </Button>
              )}
            </div>
          </li>
        ))}
      </ol>
      {releases.length > 1 && <Compare app={app} />}
    </>
  );
}
