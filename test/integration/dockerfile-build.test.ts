/**
 * Dockerfile builds cannot reach the host's loopback and cannot read another app's image — with the
 * real Docker engine, real git, and real HTTP servers: one on 127.0.0.1 stands in for the core's API
 * (it must never be asked anything), one on the Docker bridge's gateway address (this machine, but not
 * loopback) stands in for a public web server.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import dns from 'node:dns/promises';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerEngine } from '../../cluster/docker/engine';
import { LABEL_APP, LABEL_APP_UUID, LABEL_INSTANCE, LABEL_ROLE } from '../../cluster/docker/labels';
import type { BuildpackSettings } from '../../main/builder/buildpack-build';
import { parseDockerfile, splitWords } from '../../main/builder/dockerfile/parse';
import { processWord } from '../../main/builder/dockerfile/words';
import { ImageBuilder } from '../../main/builder/image-builder';
import { DEFAULT_STACK_IMAGE } from '../../main/builder/stack';
import type { BuildSpec } from '../../main/builder/types';
import { bareFrom, repoFromFolder } from '../support/git';
import { dockerAvailable, ensureStackImage } from '../support/images';

const hasDocker = await dockerAvailable();
if (!hasDocker) console.warn('dockerfile-build tests skipped: no Docker engine answers (start dockerd).');

const docker = dockerEngine();
const INSTANCE = `df-test-${process.pid}`;
const builder = new ImageBuilder(() => docker, {
  stackImage: DEFAULT_STACK_IMAGE,
  buildpackDirs: [],
  instance: INSTANCE,
} as BuildpackSettings);
const made = new Set<string>();
const SECRET = `TOP-SECRET-${randomUUID()}`;

/** A server that must never be asked anything; it counts what it is asked. */
let loopback: { server: http.Server; server6?: http.Server; port: number; hits: string[] };
/** A "public" server on the bridge gateway address. */
let publicServer: { server: http.Server; base: string; host: string; port: number };

function serve(
  handler: http.RequestListener,
  host: string,
  port = 0,
): Promise<{ server: http.Server; port: number }> {
  const server = http.createServer(handler);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve({ server, port: (server.address() as AddressInfo).port }));
  });
}

type Files = Record<string, string | Buffer | { symlink: string }>;

interface Build {
  lines: string[];
  spec: BuildSpec;
  sha: string;
}

/** A pushed commit holding `files`, as the builder sees it. */
function commitOf(files: Files): { repo: string; sha: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deis-df-'));
  for (const [name, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    if (typeof content === 'string' || Buffer.isBuffer(content))
      fs.writeFileSync(path.join(dir, name), content);
    else fs.symlinkSync(content.symlink, path.join(dir, name));
  }
  const { dir: work, sha } = repoFromFolder(dir);
  fs.rmSync(dir, { recursive: true, force: true });
  return { repo: bareFrom(work), sha };
}

function build(
  files: Files,
  opts: { app?: string; appUuid?: string; trusted?: boolean; config?: Record<string, string> } = {},
): { run: () => Promise<string>; b: Build } {
  const { repo, sha } = commitOf(files);
  const lines: string[] = [];
  const spec: BuildSpec = {
    app: opts.app ?? `df-attacker-${process.pid}`,
    appUuid: opts.appUuid ?? randomUUID(),
    trusted: opts.trusted ?? false,
    sha,
    repo,
    config: opts.config ?? {},
    output: { line: (l) => lines.push(l) },
  };
  return {
    b: { lines, spec, sha },
    run: async () => {
      const built = await builder.build(spec);
      made.add(built.image);
      return built.image;
    },
  };
}

/** Builds and expects a refusal matching `reason`; nothing was asked of the loopback, no image made. */
async function refused(files: Files, reason: RegExp, opts: Parameters<typeof build>[1] = {}): Promise<Build> {
  const hitsBefore = loopback.hits.length;
  const { run, b } = build(files, opts);
  await expect(run()).rejects.toThrow(reason);
  expect(loopback.hits.slice(hitsBefore)).toEqual([]);
  expect(b.lines.join('\n')).not.toContain(SECRET);
  const tag = `deis-desktop/${b.spec.app}:git-${b.sha.slice(0, 8)}`;
  await expect(docker.getImage(tag).inspect()).rejects.toMatchObject({ statusCode: 404 });
  return b;
}

const FROM = `FROM ${DEFAULT_STACK_IMAGE}\n`;
const LOOPBACK = /builds may not reach services on this machine's loopback/;

/** The mode, owner and content of `file` in `image`, read from a created (never started) container. */
async function fileIn(image: string, file: string): Promise<{ mode: number; uid: number; content: string }> {
  const c = await docker.createContainer({ Image: image, Cmd: ['true'] });
  try {
    const stream = await c.getArchive({ path: file });
    const chunks: Buffer[] = [];
    for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
    const tar = Buffer.concat(chunks);
    const mode = Number.parseInt(tar.subarray(100, 108).toString('ascii').replace(/\0.*$/, ''), 8);
    const uid = Number.parseInt(tar.subarray(108, 116).toString('ascii').replace(/\0.*$/, ''), 8);
    const size = Number.parseInt(tar.subarray(124, 136).toString('ascii').replace(/\0.*$/, ''), 8);
    return { mode: mode & 0o7777, uid, content: tar.subarray(512, 512 + size).toString('utf8') };
  } finally {
    await c.remove({ force: true });
  }
}

afterAll(async () => {
  for (const image of made)
    await docker
      .getImage(image)
      .remove({ force: true })
      .catch(() => undefined);
});

describe.skipIf(!hasDocker)('Dockerfile builds and the host', () => {
  beforeAll(async () => {
    await ensureStackImage();
    const hits: string[] = [];
    const secret: http.RequestListener = (req, res) => {
      hits.push(`${req.method} ${req.url}`);
      res.writeHead(404).end(`${SECRET} for ${req.url}`);
    };
    const v4 = await serve(secret, '127.0.0.1');
    const v6 = await serve(secret, '::1', v4.port).catch(() => undefined);
    loopback = { server: v4.server, server6: v6?.server, port: v4.port, hits };
    // The Docker bridge's own address: on this machine, yet not loopback, as a public server would be.
    const bridge = (await docker.getNetwork('bridge').inspect()) as {
      IPAM: { Config: { Gateway?: string; Subnet?: string }[] };
    };
    const config = bridge.IPAM.Config.find((c) => c.Gateway || c.Subnet?.includes('.'));
    // Docker gives the bridge the subnet's first address when it does not say which.
    const host = config?.Gateway ?? config?.Subnet?.replace(/\.\d+\/\d+$/, '.1');
    if (!host) throw new Error('the Docker bridge has no address to serve the public test files from');
    const pub = await serve((req, res) => {
      if (req.url === '/file.txt')
        res.writeHead(200, { 'Last-Modified': 'Wed, 21 Oct 2015 07:28:00 GMT' }).end('public content\n');
      else if (req.url === '/archive.tar') res.writeHead(200).end(fs.readFileSync(tarFixture()));
      else if (req.url === '/download/')
        res.writeHead(200, { 'Content-Disposition': 'attachment; filename="named.txt"' }).end('named\n');
      else if (req.url === '/big') res.writeHead(200).end(Buffer.alloc(100_000));
      else if (req.url?.startsWith('/redirect'))
        res.writeHead(302, { Location: `http://127.0.0.1:${loopback.port}/secret` }).end();
      else if (req.url === '/redirect-host')
        res.writeHead(302, { Location: `http://localhost:${loopback.port}/secret` }).end();
      else res.writeHead(404).end();
    }, host);
    publicServer = { server: pub.server, host, port: pub.port, base: `http://${host}:${pub.port}` };
  }, 600_000);

  afterAll(async () => {
    loopback?.server.close();
    loopback?.server6?.close();
    publicServer?.server.close();
  });

  const secretUrl = (host: string) => `http://${host}:${loopback.port}/secret`;

  it('refuses ADD from the loopback, in every spelling of the address', async () => {
    for (const host of ['127.0.0.1', 'localhost', '127.1', '2130706433', '0x7f000001', '0.0.0.0']) {
      const b = await refused({ Dockerfile: `${FROM}ADD ${secretUrl(host)} /x\n` }, LOOPBACK);
      expect(b.lines.join('\n')).toMatch(/Fetching http:\/\/.*\/secret \(ADD\)/);
    }
    if (loopback.server6) await refused({ Dockerfile: `${FROM}ADD ${secretUrl('[::1]')} /x\n` }, LOOPBACK);
    await refused({ Dockerfile: `${FROM}ADD ${secretUrl('[::ffff:127.0.0.1]')} /x\n` }, LOOPBACK);
  }, 120_000);

  it('refuses a host name that resolves to the loopback (the connected peer is checked, not the name)', async () => {
    const name = os.hostname();
    const addresses = await dns.lookup(name, { all: true }).catch(() => []);
    const names = ['localhost', ...(addresses.some((a) => /^127\.|^::1$/.test(a.address)) ? [name] : [])];
    for (const n of names) await refused({ Dockerfile: `${FROM}ADD ${secretUrl(n)} /x\n` }, LOOPBACK);
  }, 60_000);

  it('refuses a public server that redirects to the loopback, by address or by name', async () => {
    await refused({ Dockerfile: `${FROM}ADD ${publicServer.base}/redirect /x\n` }, LOOPBACK);
    await refused({ Dockerfile: `${FROM}ADD ${publicServer.base}/redirect-host /x\n` }, LOOPBACK);
  }, 60_000);

  it('refuses the loopback URL when it comes from ARG, a build arg, ENV, a stage or several sources', async () => {
    const url = secretUrl('127.0.0.1');
    await refused(
      { Dockerfile: `ARG H=127.0.0.1\n${FROM}ARG H\nADD http://$H:${loopback.port}/s /x\n` },
      LOOPBACK,
    );
    await refused({ Dockerfile: `${FROM}ARG U=http://example.invalid/\nADD $U /x\n` }, LOOPBACK, {
      config: { DEIS_DOCKER_BUILD_ARGS_ENABLED: '1', U: url },
    });
    await refused({ Dockerfile: `${FROM}ENV U="${url}"\nADD \${U:-nothing} /x\n` }, LOOPBACK);
    await refused(
      { Dockerfile: `${FROM.trim()} AS one\nENV U=${url}\nFROM one\nADD ["$U", "/x"]\n` },
      LOOPBACK,
    );
    await refused({ 'local.txt': 'x', Dockerfile: `${FROM}ADD local.txt ${url} /d/\n` }, LOOPBACK);
    await refused({ Dockerfile: `# escape=\`\n${FROM}ADD \`\n  ${url} /x\n` }, LOOPBACK);
  }, 120_000);

  it("refuses the loopback URL in a base image's ENV and in its ONBUILD trigger", async () => {
    const appUuid = randomUUID();
    const base = await build(
      { Dockerfile: `${FROM}ENV U=${secretUrl('127.0.0.1')}\nONBUILD ADD $U /x\n` },
      { app: `df-base-${process.pid}`, appUuid },
    ).run();
    // The base itself stores the trigger; building it fetched nothing.
    expect(loopback.hits).toEqual([]);
    await refused(
      { Dockerfile: `FROM ${base}\n` },
      /ONBUILD trigger .* a build cannot let a base image's trigger fetch a URL/,
      {
        appUuid,
      },
    );
    const envOnly = await build(
      { Dockerfile: `${FROM}ENV U=${secretUrl('localhost')}\n` },
      { app: `df-base2-${process.pid}`, appUuid },
    ).run();
    await refused({ Dockerfile: `FROM ${envOnly}\nADD $U /x\n` }, LOOPBACK, { appUuid });
  }, 180_000);

  it('does not let the engine pull from a registry on this machine', async () => {
    for (const ref of [`127.0.0.1:${loopback.port}/x`, `localhost:${loopback.port}/x:1`])
      await refused({ Dockerfile: `FROM ${ref}\n` }, /builds pull only from Docker Hub/);
    await refused(
      { Dockerfile: `${FROM}COPY --from=localhost:${loopback.port}/y / /\n` },
      /only from Docker Hub/,
    );
  }, 60_000);

  it('refuses other schemes and a Dockerfile reached through a symlink is read as the engine would', async () => {
    await refused({ Dockerfile: `${FROM}ADD ftp://127.0.0.1/x /x\n` }, /only http:\/\/ and https:\/\//);
    await refused(
      {
        'docker/prod': `${FROM}ADD ${secretUrl('127.0.0.1')} /x\n`,
        Dockerfile: { symlink: '/docker/../docker/prod' },
      },
      LOOPBACK,
    );
  }, 60_000);

  it('fetches a public ADD itself: 0600, root-owned, named from the URL, never unpacked, next to local ADDs', async () => {
    const { run, b } = build(
      {
        'local.tar': fs.readFileSync(tarFixture()),
        Dockerfile:
          `${FROM}ADD ${publicServer.base}/file.txt /downloads/\n` +
          `ADD ${publicServer.base}/file.txt /renamed\n` +
          `ADD ${publicServer.base}/download/ /named/\n` +
          `ADD --chown=1000:1000 ${publicServer.base}/archive.tar local.tar /mixed/\n` +
          'COPY . /app/\n',
      },
      { app: `df-public-${process.pid}` },
    );
    const image = await run();
    expect(await fileIn(image, '/downloads/file.txt')).toEqual({
      mode: 0o600,
      uid: 0,
      content: 'public content\n',
    });
    expect(await fileIn(image, '/renamed')).toMatchObject({ mode: 0o600, uid: 0 });
    expect(await fileIn(image, '/named/named.txt')).toMatchObject({ mode: 0o600, content: 'named\n' });
    // The downloaded archive stays a file; the local one is unpacked, as ADD does.
    expect(await fileIn(image, '/mixed/archive.tar')).toMatchObject({ mode: 0o600, uid: 1000 });
    expect(await fileIn(image, '/mixed/inside.txt')).toMatchObject({ content: 'inside\n' });
    // The build context is the pushed commit (git's modes): the downloads are not in it.
    expect((await fileIn(image, '/app/local.tar')).mode).not.toBe(0o600);
    const c = await docker.createContainer({ Image: image, Cmd: ['true'] });
    await expect(c.getArchive({ path: '/app/f' })).rejects.toMatchObject({ statusCode: 404 });
    await c.remove({ force: true });
    expect(b.lines).toContain(`-----> Fetching ${publicServer.base}/file.txt (ADD)`);
    expect(loopback.hits).toEqual([]);
    // The image holding the downloads is gone.
    const dangling = await docker.listImages({ filters: { label: [`${LABEL_INSTANCE}=${INSTANCE}`] } });
    expect(dangling.filter((i) => !(i.RepoTags ?? []).some((t) => t !== '<none>:<none>'))).toEqual([]);
  }, 180_000);
});

describe.skipIf(!hasDocker)("Dockerfile builds and other apps' images", () => {
  const victimUuid = randomUUID();
  let victim = '';
  let victimId = '';
  let alias = '';
  beforeAll(async () => {
    await ensureStackImage();
    victim = await build(
      { 'secret.txt': 'the victim app source\n', Dockerfile: `${FROM}COPY secret.txt /secret.txt\n` },
      { app: `df-victim-${process.pid}`, appUuid: victimUuid },
    ).run();
    const info = await docker.getImage(victim).inspect();
    victimId = info.Id;
    alias = `deis-desktop-test-${process.pid}/alias:latest`;
    await docker.getImage(victim).tag({ repo: alias.split(':')[0]!, tag: 'latest' });
    made.add(alias);
  }, 600_000);

  it('labels the image with the app, its uuid and the instance', async () => {
    const labels = (await docker.getImage(victim).inspect()).Config.Labels;
    expect(labels).toMatchObject({
      [LABEL_APP_UUID]: victimUuid,
      [LABEL_APP]: `df-victim-${process.pid}`,
      [LABEL_INSTANCE]: INSTANCE,
    });
  });

  it("refuses an app's LABEL that would claim another app's image; an app's own labels stay, ours come from the cache", async () => {
    const claim =
      /LABEL io\.deis-desktop\.app-uuid: names under io\.deis-desktop\. are set by Deis Desktop itself; choose another name/;
    // Our labels are set before the app's instructions: a LABEL of its own naming the victim's uuid
    // would otherwise make its image one the victim's builds may use, and the victim's of its own.
    await refused({ Dockerfile: `${FROM}LABEL io.deis-desktop.app-uuid=${victimUuid}\n` }, claim);
    await refused(
      { Dockerfile: `${FROM}ARG K=io.deis-desktop.app-uuid\nLABEL team=web $K=${victimUuid}\n` },
      claim,
    );

    const app = `df-labels-${process.pid}`;
    const appUuid = randomUUID();
    const dockerfile = `${FROM}LABEL team=web\nCOPY a.txt /a.txt\n`;
    await build({ 'a.txt': 'one\n', Dockerfile: dockerfile }, { app, appUuid }).run();
    const next = build({ 'a.txt': 'two\n', Dockerfile: dockerfile }, { app, appUuid });
    const image = await next.run();
    expect((await fileIn(image, '/a.txt')).content).toBe('two\n');
    expect((await docker.getImage(image).inspect()).Config.Labels).toEqual({
      [LABEL_INSTANCE]: INSTANCE,
      [LABEL_ROLE]: 'image',
      [LABEL_APP]: app,
      [LABEL_APP_UUID]: appUuid,
      team: 'web',
    });
    // BuildKit sets labels as metadata: no step of their own to redo on the next push (the legacy
    // builder's cached labelling step is checked in image-builder.test.ts).
    expect(next.b.lines.join('\n')).not.toMatch(/LABEL io\.deis-desktop\./);
  }, 300_000);

  it('refuses the RUN flags BuildKit would act on: a mount of another image or a cache, the host network', async () => {
    const victimRef = victim;
    await refused(
      { Dockerfile: `${FROM}RUN --mount=type=bind,from=${victimRef},target=/v cat /v/secret.txt\n` },
      /RUN --mount is not supported by these builds/,
    );
    await refused(
      { Dockerfile: `${FROM}RUN --mount=type=cache,target=/root/.cache true\n` },
      /RUN --mount is not supported/,
    );
    await refused({ Dockerfile: `${FROM}RUN --network=host true\n` }, /RUN --network is not supported/);
    await refused({ Dockerfile: `${FROM}RUN --security=insecure true\n` }, /RUN --security is not supported/);
    // A base image's trigger is run by the engine too: its flags are refused the same way.
    const appUuid = randomUUID();
    const base = await build(
      { Dockerfile: `${FROM}ONBUILD RUN --mount=type=bind,from=${victimRef},target=/v true\n` },
      { app: `df-trigger-${process.pid}`, appUuid },
    ).run();
    await refused({ Dockerfile: `FROM ${base}\n` }, /RUN --mount is not supported/, {
      app: `df-trigger-${process.pid}`,
      appUuid,
    });
  }, 300_000);

  it("never hands one app's build another app's cached RUN layers", async () => {
    // The same steps, on the same base, for two apps: each app's RUN runs for it.
    const files = { Dockerfile: `${FROM}RUN head -c 16 /dev/urandom | od -An -tx1 > /stamp\n` };
    const one = build(files, { app: `df-scope-a-${process.pid}` });
    const two = build(files, { app: `df-scope-b-${process.pid}` });
    const a = await one.run();
    const b = await two.run();
    expect((await fileIn(a, '/stamp')).content).not.toBe((await fileIn(b, '/stamp')).content);
    const run = two.b.lines.find((l) => /^#\d+ \[\d+\/\d+\] RUN head/.test(l));
    expect(run, two.b.lines.join('\n')).toBeDefined();
    expect(two.b.lines).not.toContain(`${run!.split(' ')[0]} CACHED`);
    // The same app's next build of them does take its own cache.
    const again = build(files, { app: `df-scope-a-${process.pid}`, appUuid: one.b.spec.appUuid });
    const c = await again.run();
    expect((await fileIn(c, '/stamp')).content).toBe((await fileIn(a, '/stamp')).content);
  }, 300_000);

  it('leaves out of the build context what .dockerignore names, as the docker CLI does', async () => {
    const image = await build({
      '.dockerignore': '# local files\n.env\nlogs/\n!logs/keep.log\n**/*.pyc\n',
      '.env': 'SECRET=1\n',
      'app.py': 'print(1)\n',
      'lib/cache.pyc': 'x',
      'logs/debug.log': 'x',
      'logs/keep.log': 'kept\n',
      Dockerfile: `${FROM}COPY . /app\nRUN cd /app && find . -type f | sort > /listing\n`,
    }).run();
    expect((await fileIn(image, '/listing')).content.split('\n').filter(Boolean)).toEqual([
      './.dockerignore',
      './Dockerfile',
      './app.py',
      './logs/keep.log',
    ]);
  }, 300_000);

  it("gives BuildKit none of the app's BUILDKIT_ build args: no frontend image named by config is run", async () => {
    const b = build(
      { Dockerfile: `${FROM}ARG BUILDKIT_SYNTAX\nRUN echo "syntax=[$BUILDKIT_SYNTAX] ${randomUUID()}"\n` },
      {
        config: {
          DEIS_DOCKER_BUILD_ARGS_ENABLED: '1',
          BUILDKIT_SYNTAX: `127.0.0.1:${loopback.port}/frontend:latest`,
        },
      },
    );
    await b.run();
    expect(b.b.lines.join('\n')).toContain('syntax=[]');
    expect(loopback.hits).toEqual([]);
  }, 300_000);

  it("refuses a non-administrator's FROM / COPY --from of another app's image, by tag, alias, ID or prefix", async () => {
    const other = /built for another app; only an administrator's build may use it/;
    const byId = /non-administrators may use local images by name only/;
    await refused({ Dockerfile: `FROM ${victim}\n` }, other);
    await refused({ Dockerfile: `${FROM}COPY --from=${victim} /secret.txt /s\n` }, other);
    await refused({ Dockerfile: `FROM ${alias}\n` }, other);
    await refused({ Dockerfile: `ARG I=${victim}\nFROM $I\n` }, other);
    await refused({ Dockerfile: `FROM ${victimId}\n` }, byId);
    await refused({ Dockerfile: `FROM ${victimId.slice(7, 19)}\n` }, byId);
    await refused({ Dockerfile: `${FROM}COPY --from=${victimId} /secret.txt /s\n` }, byId);
    // An intermediate image of the victim's build holds its files too, without the label.
    const parent = (await docker.getImage(victimId).inspect()).Parent;
    if (parent) await refused({ Dockerfile: `FROM ${parent}\n` }, byId);
  }, 180_000);

  it("lets the app's own builds, and an administrator's, use it; stages and local bases work as before", async () => {
    const own = await build(
      { Dockerfile: `FROM ${victim}\nRUN cat /secret.txt\n` },
      { app: `df-victim-${process.pid}`, appUuid: victimUuid },
    ).run();
    expect((await fileIn(own, '/secret.txt')).content).toBe('the victim app source\n');
    const admin = await build(
      {
        Dockerfile: `${FROM.trim()} AS base\nRUN echo staged > /s\nFROM ${victimId}\nCOPY --from=base /s /s\nCOPY --from=0 /s /t\n`,
      },
      { app: `df-admin-${process.pid}`, trusted: true },
    ).run();
    expect((await fileIn(admin, '/secret.txt')).content).toBe('the victim app source\n');
    expect((await fileIn(admin, '/t')).content).toBe('staged\n');
  }, 300_000);
});

/** A tar holding inside.txt, for ADD's unpacking. */
function tarFixture(): string {
  const file = path.join(os.tmpdir(), `deis-df-fixture-${process.pid}.tar`);
  if (!fs.existsSync(file)) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deis-df-tar-'));
    fs.writeFileSync(path.join(dir, 'inside.txt'), 'inside\n');
    execFileSync('tar', ['-c', '-f', file, '-C', dir, 'inside.txt']);
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return file;
}

describe.skipIf(!hasDocker)('our reading of a Dockerfile agrees with the engine', () => {
  // Each case is a LABEL value: the engine substitutes it, we substitute it, and the two must agree.
  const cases = [
    '$A',
    '${A}x',
    '${U:-d}',
    '${E:-d}',
    '${A:+p}',
    '${E:+p}',
    '\\$A',
    "'$A'",
    '"$A b"',
    '"q\\"\\$A\\x"',
    '$A_b',
    '${A:-${U:-z}}',
    'a$',
    '$1$A',
    'http://$H:8$P/x',
  ];
  const vars = 'ENV A=http://h/a E= H=127.0.0.1 P=0\n';

  for (const escape of ['\\', '`']) {
    it(`substitutes as the engine does, with ${escape} as the escape character`, async () => {
      const text =
        (escape === '`' ? '# escape=`\n' : '') +
        `${FROM}${vars}` +
        cases.map((c, i) => `LABEL t${i}=${escape === '`' ? c.replaceAll('\\', '`') : c}\n`).join('');
      const image = await build({ Dockerfile: text }, { app: `df-lex-${process.pid}` }).run();
      const labels = (await docker.getImage(image).inspect()).Config.Labels;
      const env: Record<string, string> = { A: 'http://h/a', E: '', H: '127.0.0.1', P: '0' };
      const df = parseDockerfile(text);
      for (const [i] of cases.entries()) {
        const ins = df.instructions.find((x) => x.args.startsWith(`t${i}=`))!;
        const raw = splitWords(ins.args, df.escape)[0]!.slice(`t${i}=`.length);
        const ours = processWord(raw, (n) => (n in env ? env[n]! : null), df.escape, { left: 1e6 });
        expect(ours, `case ${i}: ${raw}`).toEqual({ value: labels[`t${i}`] });
      }
    }, 120_000);
  }
});
