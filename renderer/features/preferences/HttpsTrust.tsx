/**
 * HTTPS for every app: the core's local certificate authority and how to trust it. Nothing is
 * installed from here — trusting a root is the user's own act, done with their system's tools.
 */
import { useEffect, useState } from 'react';
import { AuthoritySchema, type Authority } from '../../../main/contract/responses';
import { errorMessage, get } from '../../src/api';
import { Button, Code, Notice, Section } from '../../src/ui/common';

type Platform = 'macos' | 'linux' | 'windows' | 'firefox';

function commands(platform: Platform, file: string): string {
  switch (platform) {
    case 'macos':
      return `sudo security add-trusted-cert -d -r trustRoot -k /Library/Keychains/System.keychain "${file}"`;
    case 'linux':
      return [
        `sudo cp "${file}" /usr/local/share/ca-certificates/deis-desktop.crt && sudo update-ca-certificates`,
        '# Chrome and Chromium on Linux read their own store (libnss3-tools):',
        `certutil -d sql:$HOME/.pki/nssdb -A -t C,, -n "Deis Desktop" -i "${file}"`,
      ].join('\n');
    case 'windows':
      return `certutil -addstore -f ROOT "${file}"`;
    case 'firefox':
      return 'Settings → Privacy & Security → Certificates → View Certificates… → Authorities → Import…, then tick "Trust this CA to identify websites".';
  }
}

const LABELS: Record<Platform, string> = {
  macos: 'macOS',
  linux: 'Linux',
  windows: 'Windows',
  firefox: 'Firefox',
};

function guessPlatform(): Platform {
  const ua = navigator.userAgent;
  if (/Mac OS X/.test(ua)) return 'macos';
  if (/Windows/.test(ua)) return 'windows';
  return 'linux';
}

export function HttpsTrust() {
  const [authority, setAuthority] = useState<Authority | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [shown, setShown] = useState(false);
  const [platform, setPlatform] = useState<Platform>(guessPlatform);
  useEffect(() => {
    get('/v2/desktop/tls/authority/', AuthoritySchema).then(setAuthority, (err: unknown) =>
      setError(err instanceof Error ? err.message : errorMessage(0, err)),
    );
  }, []);
  const download = () => {
    if (!authority) return;
    const url = URL.createObjectURL(new Blob([authority.certificate], { type: 'application/x-pem-file' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = 'deis-desktop-ca.crt';
    a.click();
    URL.revokeObjectURL(url);
  };
  return (
    <Section title="HTTPS for your apps">
      <p className="muted">
        Every app is also served over HTTPS at{' '}
        <code>https://&lt;app&gt;.{authority?.domain ?? 'localhost'}</code>, with a certificate from this
        core&apos;s own certificate authority. Browsers warn about it until you trust that authority once. It
        can only vouch for names under <code>{authority?.domain ?? 'localhost'}</code>, and nothing is
        installed unless you do it.
      </p>
      {error && <Notice kind="error">{error}</Notice>}
      {authority && (
        <>
          <p>
            Certificate: <code>{authority.path}</code>
            <br />
            SHA-256 fingerprint: <code className="fingerprint">{authority.fingerprint_sha256}</code>
          </p>
          <Button onClick={download}>Download the certificate</Button>{' '}
          <Button kind="primary" onClick={() => setShown(!shown)}>
            How to trust it…
          </Button>
          {shown && (
            <div className="trust-steps">
              <div role="group" aria-label="Where to trust it">
                {(Object.keys(LABELS) as Platform[]).map((p) => (
                  <Button
                    key={p}
                    kind={p === platform ? 'primary' : undefined}
                    onClick={() => setPlatform(p)}
                  >
                    {LABELS[p]}
                  </Button>
                ))}
              </div>
              <Code text={commands(platform, authority.path)} />
              <p className="muted">
                Compare the fingerprint your system shows with the one above before you trust it.
              </p>
            </div>
          )}
        </>
      )}
    </Section>
  );
}
