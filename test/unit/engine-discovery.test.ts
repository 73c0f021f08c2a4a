/**
 * Finding the local Docker engine as the docker CLI does, with real files in a temp HOME: real
 * config.json and context-store meta.json files (the layout of docker/cli cli/context/store: the
 * folder is the sha256 of the context's name) and real unix sockets listening where Docker Desktop,
 * Colima, Rancher Desktop, OrbStack and Podman put theirs.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import type Docker from 'dockerode';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  contextDirName,
  discoverDockerEngine,
  dockerodeOptions,
  knownSockets,
} from '../../cluster/docker/engine-discovery';

const roots: string[] = [];
const servers: net.Server[] = [];

function tempHome(): string {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'deis-eng-'));
  roots.push(home);
  return home;
}

/** A real unix socket listening at `socket` (what an engine leaves behind when it runs). */
async function listenAt(socket: string): Promise<void> {
  fs.mkdirSync(path.dirname(socket), { recursive: true });
  const server = net.createServer((c) => c.destroy());
  servers.push(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socket, () => resolve());
  });
}

/** A context as `docker context create <name> --docker host=<host>` stores it. */
function writeContext(configDir: string, name: string, host: string, extra: Record<string, unknown> = {}) {
  const dir = path.join(configDir, 'contexts', 'meta', contextDirName(name));
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'meta.json'),
    JSON.stringify({
      Name: name,
      Metadata: { Description: `${name} context` },
      Endpoints: { docker: { Host: host, SkipTLSVerify: false, ...extra } },
    }),
  );
}

function writeConfig(configDir: string, config: object) {
  fs.mkdirSync(configDir, { recursive: true });
  fs.writeFileSync(path.join(configDir, 'config.json'), JSON.stringify(config));
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});
afterAll(() => {
  for (const r of roots) fs.rmSync(r, { recursive: true, force: true });
});

describe('the context store layout', () => {
  it('names a context folder by the sha256 of its name, as docker/cli does', () => {
    // sha256("default"), the id docker/cli's store would give the name "default".
    expect(contextDirName('default')).toBe(
      '37a8eec1ce19687d132fe29051dca629d164e2c4958ba141d5f4133a33f0688f',
    );
  });
});

describe('DOCKER_HOST', () => {
  it('wins over DOCKER_CONTEXT, the config file and every known socket, and says so', async () => {
    const home = tempHome();
    writeConfig(path.join(home, '.docker'), { currentContext: 'colima' });
    writeContext(path.join(home, '.docker'), 'colima', 'unix:///nowhere/colima.sock');
    await listenAt(path.join(home, '.colima', 'default', 'docker.sock'));
    const found = discoverDockerEngine({
      home,
      env: { DOCKER_HOST: 'tcp://10.1.2.3:2375', DOCKER_CONTEXT: 'colima' },
    });
    expect(found.host).toBe('tcp://10.1.2.3:2375');
    expect(found.source).toBe('DOCKER_HOST');
    expect(found.reason).toBe(
      'Using the Docker engine at tcp://10.1.2.3:2375 because DOCKER_HOST is set (it takes precedence over Docker contexts, as for the docker CLI).',
    );
    // docker-modem reads DOCKER_HOST (and its TLS variables) itself, as before.
    expect(dockerodeOptions(found)).toBeUndefined();
  });

  it('never shows a user name or password of the address', () => {
    const found = discoverDockerEngine({
      home: tempHome(),
      env: { DOCKER_HOST: 'tcp://deploy:pw@build.example:2375' },
    });
    expect(found.reason).toContain('tcp://build.example:2375');
    expect(found.reason).not.toContain('deploy');
    expect(found.reason).not.toContain('pw');
  });

  it('takes an ssh:// engine, reached over SSH with its host key checked, and never with a password', () => {
    const found = discoverDockerEngine({
      home: tempHome(),
      env: { DOCKER_HOST: 'ssh://deploy@build.example:2222' },
    });
    expect(found.host).toBe('ssh://deploy@build.example:2222');
    expect(found.reason).toBe(
      'Using the Docker engine at ssh://build.example:2222 over SSH (`docker system dial-stdio` there; its host key checked against known_hosts) because DOCKER_HOST is set (it takes precedence over Docker contexts, as for the docker CLI).',
    );
    // docker-modem's own ssh mode checks no host key: it is never used.
    expect(() => dockerodeOptions(found)).toThrow(/dockerOverSsh/);
    // As the docker CLI: "plain-text password is not supported".
    expect(() =>
      discoverDockerEngine({ home: tempHome(), env: { DOCKER_HOST: 'ssh://deploy:pw@build.example:2222' } }),
    ).toThrow(
      'DOCKER_HOST "ssh://deploy:***@build.example:2222" holds a password (use a key or the SSH agent); write it as ssh://user@host[:port].',
    );
    expect(() =>
      discoverDockerEngine({ home: tempHome(), env: { DOCKER_HOST: 'ssh://build.example/var/run' } }),
    ).toThrow(/names no user|has a path/);
  });
});

describe('the current Docker context', () => {
  it('DOCKER_CONTEXT picks a context of the store and wins over currentContext', async () => {
    const home = tempHome();
    const cfg = path.join(home, '.docker');
    writeConfig(cfg, { auths: {}, currentContext: 'desktop-linux' });
    writeContext(cfg, 'desktop-linux', 'unix:///home/x/.docker/desktop/docker.sock');
    writeContext(cfg, 'colima', `unix://${home}/.colima/default/docker.sock`);
    const found = discoverDockerEngine({ home, env: { DOCKER_CONTEXT: 'colima' } });
    expect(found).toMatchObject({
      host: `unix://${home}/.colima/default/docker.sock`,
      source: 'DOCKER_CONTEXT',
      context: 'colima',
    });
    expect(found.reason).toBe(
      'Using the Docker engine at unix://~/.colima/default/docker.sock of the Docker context "colima", chosen by DOCKER_CONTEXT.',
    );
    expect(dockerodeOptions(found)).toEqual({ socketPath: `${home}/.colima/default/docker.sock` });
  });

  it('currentContext of ~/.docker/config.json wins over the known sockets', async () => {
    const home = tempHome();
    const cfg = path.join(home, '.docker');
    writeConfig(cfg, { currentContext: 'remote' });
    writeContext(cfg, 'remote', 'tcp://192.0.2.10:2375');
    await listenAt(path.join(home, '.docker', 'run', 'docker.sock'));
    const found = discoverDockerEngine({ home, env: {} });
    expect(found).toMatchObject({
      host: 'tcp://192.0.2.10:2375',
      source: 'docker-config',
      context: 'remote',
    });
    expect(found.reason).toBe(
      'Using the Docker engine at tcp://192.0.2.10:2375 of the Docker context "remote", chosen by the current context in ~/.docker/config.json.',
    );
    expect(dockerodeOptions(found)).toEqual({ protocol: 'http', host: '192.0.2.10', port: '2375' });
  });

  it('honours DOCKER_CONFIG: the config and the context store are read there, not in ~/.docker', () => {
    const home = tempHome();
    writeConfig(path.join(home, '.docker'), { currentContext: 'wrong' });
    const elsewhere = path.join(home, 'elsewhere');
    writeConfig(elsewhere, { currentContext: 'rd' });
    writeContext(elsewhere, 'rd', 'unix:///opt/rd/docker.sock');
    const found = discoverDockerEngine({ home, env: { DOCKER_CONFIG: elsewhere } });
    expect(found).toMatchObject({
      host: 'unix:///opt/rd/docker.sock',
      source: 'docker-config',
      context: 'rd',
    });
    expect(found.reason).toContain('~/elsewhere/config.json');
  });

  it("reads a tcp context's TLS files from the store's tls folder", () => {
    const home = tempHome();
    const cfg = path.join(home, '.docker');
    writeConfig(cfg, { currentContext: 'secure' });
    writeContext(cfg, 'secure', 'tcp://engine.example:2376');
    const tlsDir = path.join(cfg, 'contexts', 'tls', contextDirName('secure'), 'docker');
    fs.mkdirSync(tlsDir, { recursive: true });
    for (const f of ['ca.pem', 'cert.pem', 'key.pem'])
      fs.writeFileSync(path.join(tlsDir, f), `-----${f}-----\n`);
    const found = discoverDockerEngine({ home, env: {} });
    const options = dockerodeOptions(found) as Docker.DockerOptions;
    expect(options).toMatchObject({ protocol: 'https', host: 'engine.example', port: '2376' });
    expect(String(options.ca)).toBe('-----ca.pem-----\n');
    expect(String(options.cert)).toBe('-----cert.pem-----\n');
    expect(String(options.key)).toBe('-----key.pem-----\n');
  });

  it('the context "default" means no context: the known sockets are tried', async () => {
    const home = tempHome();
    writeConfig(path.join(home, '.docker'), { currentContext: 'default' });
    await listenAt(path.join(home, '.orbstack', 'run', 'docker.sock'));
    const found = discoverDockerEngine({ home, env: {} });
    expect(found).toMatchObject({ source: 'known-socket', product: 'OrbStack' });
    expect(found.reason).toContain('(the Docker context is "default")');
  });

  it('a chosen context that does not exist is an error that says what to run, as for the docker CLI', () => {
    const home = tempHome();
    writeConfig(path.join(home, '.docker'), { currentContext: 'desktop-linux' });
    expect(() => discoverDockerEngine({ home, env: {} })).toThrow(
      /^The Docker context "desktop-linux" \(the current context in ~\/\.docker\/config\.json\) does not exist: there is no .*meta\.json; run `docker context ls` and `docker context use <name>`, or unset it\.$/,
    );
    expect(() => discoverDockerEngine({ home, env: { DOCKER_CONTEXT: 'gone' } })).toThrow(
      /The Docker context "gone" \(DOCKER_CONTEXT\) does not exist/,
    );
  });

  it('a damaged config file or context is named with what to do', () => {
    const home = tempHome();
    fs.mkdirSync(path.join(home, '.docker'));
    fs.writeFileSync(path.join(home, '.docker', 'config.json'), '{"currentContext": ');
    expect(() => discoverDockerEngine({ home, env: {} })).toThrow(
      /^The Docker config file .*config\.json is not valid JSON \(.*\); fix it or run `docker context use default`\.$/,
    );
    writeConfig(path.join(home, '.docker'), { currentContext: 'odd' });
    writeContext(path.join(home, '.docker'), 'odd', 'file:///etc/passwd');
    expect(() => discoverDockerEngine({ home, env: {} })).toThrow(
      'The Docker context "odd" (the current context in ~/.docker/config.json) points at "file:///etc/passwd", which is not a unix://, tcp://, ssh:// or npipe:// address; fix it with `docker context update`.',
    );
  });

  it('refuses a config file larger than any real one before reading it', () => {
    const home = tempHome();
    fs.mkdirSync(path.join(home, '.docker'));
    fs.writeFileSync(path.join(home, '.docker', 'config.json'), Buffer.alloc(1024 * 1024 + 1, 0x20));
    expect(() => discoverDockerEngine({ home, env: {} })).toThrow(
      /is 1048577 bytes, more than the 1048576 bytes such a file ever needs/,
    );
  });
});

describe('the known sockets of desktop engines', () => {
  const cases: [string, (home: string, runtime: string) => string][] = [
    ['Docker Desktop', (h) => path.join(h, '.docker', 'run', 'docker.sock')],
    ['Docker Desktop', (h) => path.join(h, '.docker', 'desktop', 'docker.sock')],
    ['Colima', (h) => path.join(h, '.colima', 'default', 'docker.sock')],
    ['Colima', (h) => path.join(h, '.colima', 'docker.sock')],
    ['Rancher Desktop', (h) => path.join(h, '.rd', 'docker.sock')],
    ['OrbStack', (h) => path.join(h, '.orbstack', 'run', 'docker.sock')],
    ['Podman (rootless)', (_h, r) => path.join(r, 'podman', 'podman.sock')],
  ];

  for (const [product, where] of cases)
    it(`finds ${product}'s socket at ${where('~', '$XDG_RUNTIME_DIR')}`, async () => {
      const home = tempHome();
      const runtime = path.join(home, 'run');
      const socket = where(home, runtime);
      await listenAt(socket);
      const found = discoverDockerEngine({ home, env: { XDG_RUNTIME_DIR: runtime } });
      expect(found).toMatchObject({ host: `unix://${socket}`, source: 'known-socket', product });
      expect(found.reason).toMatch(
        new RegExp(`^Using ${product.replace(/[()]/g, '\\$&')}'s Docker engine at `),
      );
      expect(dockerodeOptions(found)).toEqual({ socketPath: socket });
    });

  it('tries them in order: Docker Desktop before Colima before Rancher Desktop before OrbStack before Podman', async () => {
    const home = tempHome();
    const runtime = path.join(home, 'run');
    const order = knownSockets(home, { XDG_RUNTIME_DIR: runtime })
      .filter((s) => !s.socket.startsWith('/run/'))
      .reverse();
    // Make them all, then take them away from the first: each time the next one is found.
    for (const s of order) await listenAt(s.socket);
    for (const expected of order.reverse()) {
      const found = discoverDockerEngine({ home, env: { XDG_RUNTIME_DIR: runtime } });
      expect(found.host).toBe(`unix://${expected.socket}`);
      fs.rmSync(expected.socket);
    }
  });

  it('a plain file where a socket would be is not an engine', () => {
    const home = tempHome();
    fs.mkdirSync(path.join(home, '.colima', 'default'), { recursive: true });
    fs.writeFileSync(path.join(home, '.colima', 'default', 'docker.sock'), 'not a socket');
    expect(discoverDockerEngine({ home, env: {} }).product).toBeUndefined();
  });

  it('without any of them: /var/run/docker.sock, the system default (this machine)', () => {
    const found = discoverDockerEngine({ home: tempHome(), env: {} });
    expect(found).toMatchObject({ host: 'unix:///var/run/docker.sock', source: 'default' });
    expect(found.reason).toMatch(
      /^Using the Docker engine at \/var\/run\/docker\.sock, the system default|^No Docker engine socket was found/,
    );
  });

  it("connects for real through a known socket: Colima's path, linked to this machine's dockerd", async () => {
    const home = tempHome();
    const socket = path.join(home, '.colima', 'default', 'docker.sock');
    fs.mkdirSync(path.dirname(socket), { recursive: true });
    fs.symlinkSync('/var/run/docker.sock', socket);
    const found = discoverDockerEngine({ home, env: {} });
    expect(found.product).toBe('Colima');
    const DockerClient = createRequire(import.meta.url)('dockerode') as typeof Docker;
    const engine = new DockerClient(dockerodeOptions(found));
    expect(String(await engine.ping())).toBe('OK');
  });
});
