import { describe, expect, it } from 'vitest';
import type { Pod } from '../../main/contract/objects';
import { logLines } from '../../main/cli/commands/apps-logs';
import { formatProbe, parseHeaders } from '../../main/cli/commands/healthchecks';
import { parseLimits } from '../../main/cli/commands/limits';
import { formatProcesses, parseRestartTarget, parseScaleTargets } from '../../main/cli/commands/ps';
import { parseVersion } from '../../main/cli/commands/releases';
import { expiry } from '../../main/cli/commands/certs';
import { parsePublicKey } from '../../main/cli/commands/keys';
import { envLines, formatEnv, parseConfigPairs } from '../../main/cli/env-file';
import { limitCount, prettyTabs, tabwrite } from '../../main/cli/output';
import { parseProcfile } from '../../main/cli/procfile';

const pod = (name: string, type: string, state: Pod['state'] = 'up'): Pod => ({
  name,
  type,
  state,
  release: 'v3',
  started: '2016-01-01T00:00:00Z',
});

describe('CLI output formats', () => {
  it('aligns config tables like prettyprint.PrettyTabs and releases like tabwriter', () => {
    expect(prettyTabs({ PORT: '5000', DATABASE_URL: 'x' }, 6)).toBe(
      'DATABASE_URL      x\nPORT              5000\n',
    );
    expect(
      tabwrite([
        ['a', 'ssh-rsa AAA'],
        ['long-name', 'ssh-ed25519 B'],
      ]),
    ).toBe('a         ssh-rsa AAA\nlong-name ssh-ed25519 B\n');
    expect(tabwrite([['v2', '2016-01-01T00:00:00Z', 'u changed']], '\t')).toBe(
      'v2\t2016-01-01T00:00:00Z\tu changed\n',
    );
    expect(limitCount(3, 3)).toBe('\n');
    expect(limitCount(1, 3)).toBe(' (1 of 3)\n');
  });

  it('lists processes by type, then by pod name', () => {
    const text = formatProcesses('foo', [
      pod('foo-worker-1-b', 'worker'),
      pod('foo-web-2', 'web'),
      pod('foo-web-1', 'web'),
    ]);
    expect(text).toBe(
      '=== foo Processes\n--- web:\nfoo-web-1 up (v3)\nfoo-web-2 up (v3)\n--- worker:\nfoo-worker-1-b up (v3)\n',
    );
  });

  it('reads the Deis logs body: a Python bytes repr split on the two characters \\n', () => {
    expect(logLines("b'web.1 -- one\\nweb.1 -- two\\n'")).toEqual(['web.1 -- one', 'web.1 -- two']);
    expect(logLines('web.1 -- one\nweb.1 -- two\n')).toEqual(['web.1 -- one', 'web.1 -- two']);
    expect(logLines('')).toEqual([]);
  });

  it('prints probes as the Go SDK did', () => {
    const text = formatProbe({
      initialDelaySeconds: 50,
      timeoutSeconds: 50,
      periodSeconds: 10,
      successThreshold: 1,
      failureThreshold: 3,
      httpGet: { path: '/', port: 80, httpHeaders: [{ name: 'X', value: 'y' }] },
    });
    expect(text).toContain('HTTP GET Probe: Path="/" Port=80 HTTPHeaders=[X=y]');
    expect(text).toContain('Exec Probe: N/A');
    expect(parseHeaders('a:b, c : d')).toEqual([
      { name: 'a', value: 'b' },
      { name: 'c', value: 'd' },
    ]);
    expect(() => parseHeaders('nocolon')).toThrow(/could not find separator/);
  });

  it('says how far away a certificate expiry is', () => {
    const now = new Date('2020-01-10T00:00:00Z');
    expect(expiry('2022-01-10T00:00:00Z', now)).toBe('10 Jan 2022 (in 2 years)');
    expect(expiry('2020-03-10T00:00:00Z', now)).toBe('10 Mar 2020 (in 2 months)');
    expect(expiry('2019-03-10T00:00:00Z', now)).toBe('10 Mar 2019 (expired)');
    expect(expiry(null, now)).toBe('unknown');
  });
});

describe('CLI input rules', () => {
  it('parses config pairs, skipping comments and tolerating CRLF', () => {
    expect(parseConfigPairs(envLines('# c\r\nA=1\r\nB=x=y\r\n\r\n'))).toEqual({ A: '1', B: 'x=y' });
    expect(() => parseConfigPairs(['1BAD=x'])).toThrow(/does not match the pattern 'key=var'/);
    expect(formatEnv({ B: '2', A: '1' })).toBe('A=1\nB=2\n');
  });

  it('parses scale targets, limits, versions, restart targets and Procfiles', () => {
    expect(parseScaleTargets(['web=2', 'worker-a=0'])).toEqual({ web: 2, 'worker-a': 0 });
    expect(() => parseScaleTargets(['Web=2'])).toThrow(/type=num/);
    expect(parseLimits(['web=2G', 'db=1G/2G', 'cmd=500m'])).toEqual({ web: '2G', db: '1G/2G', cmd: '500m' });
    expect(() => parseLimits(['web'])).toThrow(/doesn't fit format/);
    expect(parseVersion('v3')).toBe(3);
    expect(parseVersion('7')).toBe(7);
    expect(() => parseVersion('v')).toThrow(/not in the form 'v#'/);
    expect(parseRestartTarget('web', 'foo')).toEqual({ type: 'web' });
    expect(parseRestartTarget('foo-web-3291165658-m2kd9', 'foo')).toEqual({
      type: 'web',
      name: 'foo-web-3291165658-m2kd9',
    });
    expect(parseProcfile('web: node server.js\nworker: "bin/work --fast"\n')).toEqual({
      web: 'node server.js',
      worker: 'bin/work --fast',
    });
    expect(parseProcfile('{"web": "x"}')).toEqual({ web: 'x' });
  });

  it('reads SSH public keys: comment as the name, else the file name', () => {
    const k = parsePublicKey('/h/.ssh/id_ed25519.pub', 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG me@host\n');
    expect(k).toMatchObject({ id: 'me@host', public: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG me@host' });
    expect(parsePublicKey('/h/.ssh/work.pub', 'ssh-rsa AAAAB3Nza==').id).toBe('work');
    expect(() => parsePublicKey('/h/x.pub', 'not a key')).toThrow('/h/x.pub is not a valid ssh key');
  });
});
