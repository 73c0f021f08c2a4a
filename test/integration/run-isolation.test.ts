/**
 * Apps are isolated from each other on the Docker engine: a process or a one-off run of one app
 * cannot open a connection to another app's process, only reach it through the router under that
 * app's host name, whitelist and maintenance mode. An install whose processes still share one
 * network (earlier versions) moves them to their apps' networks at start, without a failed request.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execIn } from '../../cluster/docker/exec';
import { appNetworkName, appNetworks, routerAddress } from '../../cluster/docker/network';
import { listProcs, type Proc } from '../../cluster/docker/processes';
import { Api, startTestCore, type TestCore } from '../support/core';
import { BASE_IMAGE, dockerAvailable } from '../support/images';
import {
  buildFixture,
  docker,
  eventually,
  freePort,
  instanceName,
  Load,
  pushBuild,
  removeImage,
  removeInstance,
  sleep,
  viaRouter,
} from '../support/run-stage';

const hasDocker = await dockerAvailable();
if (!hasDocker) console.warn('run-isolation tests skipped: no Docker engine answers (start dockerd).');

const instance = instanceName('iso');
const A = 'iso-a';
const B = 'iso-b';

/** A real TCP connection attempt from inside a container: `reached` or `blocked`. */
const connectScript = (ip: string, port: number) =>
  `timeout 3 bash -c 'exec 3<>/dev/tcp/${ip}/${port}' 2>/dev/null && echo reached || echo blocked`;

/** An HTTP request from inside a container: `<status> <body>`. */
const httpScript = (ip: string, host: string) =>
  `curl -s -m 5 -o /tmp/body -w '%{http_code} ' -H 'Host: ${host}' http://${ip}/; head -c 200 /tmp/body`;

/** A UDP listener on port 9999 that appends what it gets to /tmp/udp. */
const UDP_LISTENER = `node -e "require('dgram').createSocket('udp4').on('message', (m) => require('fs').appendFileSync('/tmp/udp', m + '\\n')).bind(9999)"`;

/**
 * An Ethernet frame written by hand (raw sockets need only the NET_RAW every container has): a UDP
 * datagram for `ip`, sent to the router's MAC address, as if the router were a gateway to it.
 */
const rawUdpScript = (routerMac: string, ip: string) => `python3 - <<'PY'
import socket, struct
def checksum(b):
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff)
    return ~(s + (s >> 16)) & 0xffff
mac = lambda m: bytes(int(x, 16) for x in m.split(':'))
own_mac = open('/sys/class/net/eth0/address').read().strip()
own_ip = socket.gethostbyname(socket.gethostname())
payload = b'forwarded'
udp = struct.pack('!HHHH', 40000, 9999, 8 + len(payload), 0) + payload
head = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(udp), 1, 0, 64, 17, 0,
                   socket.inet_aton(own_ip), socket.inet_aton('${ip}'))
head = head[:10] + struct.pack('!H', checksum(head)) + head[12:]
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(('eth0', 0))
for _ in range(5):
    s.send(mac('${routerMac}') + mac(own_mac) + b'\\x08\\x00' + head + udp)
print('sent')
PY`;

describe.skipIf(!hasDocker)('apps are isolated from each other', () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'deis-iso-'));
  let t: TestCore;
  let api: Api;
  let routerPort: number;
  let built: Awaited<ReturnType<typeof buildFixture>>;
  const start = () => startTestCore({ target: 'docker', instance, routerBase: BASE_IMAGE, home, routerPort });
  const web = async (app: string): Promise<Proc> => {
    const procs = await listProcs(docker, instance, app);
    const found = procs.find((p) => p.type === 'web' && p.state === 'running');
    if (!found) throw new Error(`no web process of ${app}`);
    return found;
  };
  const inside = async (proc: Proc, script: string) =>
    (await execIn(docker, proc.id, ['bash', '-c', script])).output.trim();

  beforeAll(async () => {
    built = await buildFixture(A, 'run-app');
    routerPort = await freePort();
    t = await start();
    api = await new Api(t.url).register('owner');
    for (const app of [A, B]) {
      await api.post('/v2/apps/', { id: app });
      await api.post(`/v2/apps/${app}/config/`, {
        values: { KUBERNETES_POD_TERMINATION_GRACE_PERIOD_SECONDS: '2', GREETING: `Hello ${app}` },
      });
      const r = await pushBuild(api, app, built);
      if (r.status !== 201) throw new Error(r.text);
    }
  }, 600_000);

  afterAll(async () => {
    await t?.core.stop().catch(() => undefined);
    await removeInstance(instance);
    if (built) await removeImage(built.image);
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('runs each app on a network of its own, both served through the router', async () => {
    const [a, b] = [await web(A), await web(B)];
    expect(a.network).toBe(appNetworkName(instance, A));
    expect(b.network).toBe(appNetworkName(instance, B));
    expect((await viaRouter(routerPort, `${A}.localhost`)).body).toMatch(/^Hello iso-a from v/);
    expect((await viaRouter(routerPort, `${B}.localhost`)).body).toMatch(/^Hello iso-b from v/);
  });

  it("refuses a connection from one app's process to another app's process", async () => {
    const [a, b] = [await web(A), await web(B)];
    // The check works: a process reaches its own app's address.
    expect(await inside(a, connectScript(a.ip, a.port))).toBe('reached');
    expect(await inside(a, connectScript(b.ip, b.port))).toBe('blocked');
    expect(await inside(b, connectScript(a.ip, a.port))).toBe('blocked');
    // Nor the router's address on the other app's network (only its own network's).
    const nets = await appNetworks(docker, instance);
    expect(await inside(a, connectScript(routerAddress(nets.get(B)!), 80))).toBe('blocked');
    expect(await inside(a, connectScript(routerAddress(nets.get(A)!), 80))).toBe('reached');
  }, 60_000);

  it("does not pass on a raw packet an app sends to another app's process through the router", async () => {
    const b = await web(B);
    const netA = appNetworkName(instance, A);
    const router = await docker.getContainer(`${instance}-router`).inspect();
    const routerMac = router.NetworkSettings.Networks[netA]!.MacAddress;
    // B writes down every datagram it gets on port 9999; one from itself shows the listener works.
    await inside(
      b,
      `(${UDP_LISTENER}) >/dev/null 2>&1 & sleep 1; echo self > /dev/udp/127.0.0.1/9999; sleep 0.5`,
    );
    expect(await inside(b, 'cat /tmp/udp')).toBe('self');
    // A one-off run of A (no extra privileges) sends B a datagram by way of the router's MAC address.
    const r = await api.post(`/v2/apps/${A}/run`, { command: rawUdpScript(routerMac, b.ip) });
    expect(r.body).toMatchObject({ exit_code: 0, output: 'sent\n' });
    await sleep(1000);
    expect(await inside(b, 'cat /tmp/udp')).toBe('self');
  }, 60_000);

  it("refuses a connection from one app's one-off run to another app's process", async () => {
    const b = await web(B);
    const r = await api.post(`/v2/apps/${A}/run`, { command: connectScript(b.ip, b.port) });
    expect(r.body).toEqual({ exit_code: 0, output: 'blocked\n' });
    const own = await web(A);
    const mine = await api.post(`/v2/apps/${A}/run`, { command: connectScript(own.ip, own.port) });
    expect(mine.body).toEqual({ exit_code: 0, output: 'reached\n' });
  }, 60_000);

  it('reaches another app through the router under its host name, whitelist and maintenance', async () => {
    const a = await web(A);
    const router = routerAddress((await appNetworks(docker, instance)).get(A)!);
    expect(await inside(a, httpScript(router, `${B}.localhost`))).toMatch(/^200 Hello iso-b from v/);

    expect((await api.post(`/v2/apps/${B}/settings/`, { maintenance: true })).status).toBe(201);
    expect(await inside(a, httpScript(router, `${B}.localhost`))).toMatch(/^503 .*maintenance/s);
    await api.post(`/v2/apps/${B}/settings/`, { maintenance: false });

    expect((await api.post(`/v2/apps/${B}/whitelist/`, { addresses: ['10.9.9.9'] })).status).toBe(201);
    expect(await inside(a, httpScript(router, `${B}.localhost`))).toMatch(/^403 /);
    // Allowing app A's own address lets it in again: the router sees who asks.
    await api.post(`/v2/apps/${B}/whitelist/`, { addresses: [a.ip] });
    expect(await inside(a, httpScript(router, `${B}.localhost`))).toMatch(/^200 Hello iso-b/);
    await api.delete(`/v2/apps/${B}/whitelist/`, { addresses: ['10.9.9.9', a.ip] });
  }, 60_000);

  it("removes an app's network with the app", async () => {
    const r = await api.delete(`/v2/apps/${B}/`);
    expect(r.status).toBe(204);
    expect((await appNetworks(docker, instance)).has(B)).toBe(false);
    expect((await viaRouter(routerPort, `${A}.localhost`)).status).toBe(200);
  }, 60_000);

  it('moves processes of an earlier install (one shared network) to their app network with no failed request', async () => {
    // Rebuild the layout an earlier version left: app A's process on the router's home network,
    // the router sending A's traffic there, and no network of A's own.
    await t.core.stop();
    const current = await web(A);
    const info = await docker.getContainer(current.id).inspect();
    const home = (await docker.getNetwork(instance).inspect()) as { IPAM: { Config: { Subnet: string }[] } };
    const legacyIp = home.IPAM.Config[0]!.Subnet.replace(/\.0\/\d+$/, '.100');
    const legacy = await docker.createContainer({
      name: `${A}-v0-web-legacy`,
      Image: info.Config.Image,
      Entrypoint: info.Config.Entrypoint as string[] | undefined,
      Cmd: info.Config.Cmd,
      Env: info.Config.Env,
      Labels: info.Config.Labels,
      HostConfig: { RestartPolicy: { Name: 'unless-stopped' }, NetworkMode: instance },
      NetworkingConfig: { EndpointsConfig: { [instance]: { IPAMConfig: { IPv4Address: legacyIp } } } },
    });
    await legacy.start();
    const router = `${instance}-router`;
    await eventually(
      async () => (await execIn(docker, router, ['curl', '-fs', `http://${legacyIp}:5000/`])).exitCode === 0,
    );
    const put = await execIn(
      docker,
      router,
      ['curl', '-s', '-X', 'PUT', '--data-binary', '@-', 'http://127.0.0.1:81/backends'],
      { input: Buffer.from(`${A} ${legacyIp}:5000\n`) },
    );
    expect(put.output.trim()).toBe('ok');
    await docker.getContainer(current.id).remove({ force: true });
    await docker.getNetwork(appNetworkName(instance, A)).disconnect({ Container: router, Force: true });
    await docker.getNetwork(appNetworkName(instance, A)).remove();
    expect((await viaRouter(routerPort, `${A}.localhost`)).status).toBe(200);

    const load = new Load(routerPort, `${A}.localhost`, 2);
    t = await start();
    await load.stop();
    expect(load.failures).toEqual([]);
    expect(load.ok).toBeGreaterThan(20);
    // The old process drains and stops in the background, as any replaced process does.
    await eventually(async () => {
      const procs = await listProcs(docker, instance, A);
      return (
        JSON.stringify(procs.map((p) => [p.network, p.state])) ===
        JSON.stringify([[appNetworkName(instance, A), 'running']])
      );
    }, 60_000);
    await expect(docker.getContainer(legacy.id).inspect()).rejects.toThrow();
    expect((await viaRouter(routerPort, `${A}.localhost`)).body).toMatch(/^Hello iso-a from v/);
  }, 180_000);
});
