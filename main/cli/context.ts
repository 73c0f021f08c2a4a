/** What every command gets: output, prompts, the settings and API client, and the current app. */
import { ApiClient, normalizeController } from './client';
import { CliError } from './errors';
import { DEFAULT_BUILDER_PORT, detectApp } from './git';
import { Printer } from './output';
import { Prompter } from './prompt';
import { loadSettings, type Settings } from './settings';
import type { Input } from './args';

/** `GET /v2/desktop/info/`: what a Deis Desktop controller adds about itself. */
export interface DesktopInfo {
  builder_port?: number;
  router_port?: number;
  /** Where apps answer when the router runs elsewhere (a cluster's router): `http://host:port`. */
  router_url?: string;
  /** The domain bare app domains live under (`<app>.<platform_domain>`), if the server has one. */
  platform_domain?: string;
}

const isPort = (p: unknown): p is number =>
  typeof p === 'number' && Number.isInteger(p) && p > 0 && p < 65536;

export class Context {
  readonly out: Printer;
  readonly prompt: Prompter;
  private cachedSettings: Settings | undefined;
  private cachedClient: ApiClient | undefined;
  /** null: asked, and the controller has no desktop extension. */
  private cachedInfo: DesktopInfo | null | undefined;

  constructor(
    readonly configFlag: string | undefined,
    readonly env: NodeJS.ProcessEnv = process.env,
    readonly cwd: string = process.cwd(),
    out?: Printer,
  ) {
    this.out = out ?? new Printer();
    this.prompt = new Prompter(this.out);
  }

  settings(): Settings {
    this.cachedSettings ??= loadSettings(this.configFlag, this.env);
    return this.cachedSettings;
  }

  /** A client for the logged-in controller. */
  client(): ApiClient {
    if (!this.cachedClient) {
      const s = this.settings();
      this.cachedClient = this.newClient(normalizeController(s.controller), s.token, s.sslVerify);
    }
    return this.cachedClient;
  }

  newClient(controller: URL, token: string, sslVerify: boolean): ApiClient {
    return new ApiClient(controller, token, sslVerify, (text) => this.out.printErr(text));
  }

  /** `-a/--app`, else the app of the git remote, else the directory name. */
  app(input: Input): string {
    return input.opt('app') ?? detectApp(this.client().controller, this.cwd).app;
  }

  /** The `-l/--limit` value, or the settings' response limit. */
  limit(input: Input): number {
    const raw = input.opt('limit');
    if (raw === undefined) return this.settings().limit;
    if (!/^-?\d+$/.test(raw)) throw new CliError(`strconv.Atoi: parsing "${raw}": invalid syntax`);
    return Number.parseInt(raw, 10);
  }

  /** The desktop extension's info, or undefined when the controller is not Deis Desktop. */
  async desktopInfo(client = this.client()): Promise<DesktopInfo | undefined> {
    if (this.cachedInfo !== undefined) return this.cachedInfo ?? undefined;
    let info: DesktopInfo | null = null;
    try {
      const reply = await client.send('GET', '/v2/desktop/info/');
      const parsed: unknown = reply.status === 200 ? JSON.parse(reply.body) : null;
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) info = parsed as DesktopInfo;
    } catch {
      /* an original Deis controller, or an older core: no desktop extension */
    }
    this.cachedInfo = info;
    return info ?? undefined;
  }

  /** The builder's SSH port: from a Deis Desktop controller if it says, else Deis's 2222. */
  async builderPort(client = this.client()): Promise<number> {
    const port = (await this.desktopInfo(client))?.builder_port;
    return isPort(port) ? port : DEFAULT_BUILDER_PORT;
  }

  /**
   * The router's HTTP port on a Deis Desktop controller, if it says: on this machine's loopback, or
   * (a core on a Kubernetes target) the port of the cluster's router that `router_url` names.
   */
  async routerPort(client = this.client()): Promise<number | undefined> {
    const info = await this.desktopInfo(client);
    if (isPort(info?.router_port)) return info.router_port;
    const url =
      typeof info?.router_url === 'string' && URL.canParse(info.router_url)
        ? new URL(info.router_url)
        : undefined;
    const port = url && url.protocol === 'http:' ? Number(url.port || 80) : undefined;
    return isPort(port) ? port : undefined;
  }
}
