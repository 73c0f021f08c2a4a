/**
 * Walks a Dockerfile the way the Docker engine would run it — stages, ARG and ENV, the environment
 * and ONBUILD triggers of base images, variable substitution — and decides, before the engine sees
 * it, everything that could leave the build context: which images FROM and COPY --from use (checked,
 * then pinned by ID), which ADD sources are URLs (fetched by the core, see fetch.ts). What cannot be
 * known for certain is refused. The result is a Dockerfile in a plain form the engine reads exactly
 * as we did: one line per instruction, image references pinned, ADD sources written as literals.
 */
import type Docker from 'dockerode';
import { LABEL_APP, LABEL_APP_UUID, LABEL_INSTANCE, LABEL_ROLE } from '../../../cluster/docker/labels';
import {
  DOCKERFILE_MAX_EXPANDED_CHARS,
  DOCKERFILE_MAX_IMAGES,
  DOCKERFILE_MAX_LINE_BYTES,
  DOCKERFILE_MAX_REMOTE_FILES,
} from '../../contract/limits';
import { BuildFailed } from '../types';
import {
  argPairs,
  DockerfileError,
  envPairs,
  instructionOf,
  KEYWORDS,
  listArgs,
  parseDockerfile,
  splitWords,
  trimSpace,
  type Dockerfile,
  type Instruction,
} from './parse';
import { fullName, fullNames, parseImageRef, ReferenceError, type ImageRef } from './reference';
import { literalWord, processWord, UNKNOWN, WordError, type Budget, type Lookup } from './words';

type Value = string | typeof UNKNOWN;

/** The build arg holding the app's uuid in every stage (see `from`). */
export const BUILD_SCOPE_ARG = 'DEIS_BUILD_SCOPE';

/** The prefix of the labels Deis Desktop puts on what it creates (cluster/docker/labels.ts). */
const OUR_LABELS = 'io.deis-desktop.';

/** What a build may use of the engine and who asks. */
export interface PlanContext {
  docker: Docker;
  app: string;
  appUuid: string;
  instance: string;
  /** An administrator's build may use any local image; others only their app's and unclaimed ones. */
  trusted: boolean;
  /** Build args given to the engine (config values, when DEIS_DOCKER_BUILD_ARGS_ENABLED is set). */
  buildArgs: Record<string, string>;
  say: (line: string) => void;
  signal?: AbortSignal;
}

export interface RemoteSource {
  id: number;
  url: string;
}

/** What the fetches produced: the name each download has inside the fetch image. */
export type Downloads = Map<number, string>;

/**
 * How a pinned image is written in the Dockerfile the engine builds: the legacy builder takes its ID;
 * BuildKit reads `sha256:…` as a name on Docker Hub, so there it is a tag the builder made for it.
 */
export type Pin = (id: string) => string;

const byId: Pin = (id) => id;

type Piece = string | ((downloads: Downloads, fetchImage: string, pin: Pin) => string);

export interface Plan {
  remotes: RemoteSource[];
  /** The images the Dockerfile uses (FROM, COPY --from), each once, and whether each has a tag. */
  images: { id: string; tagged: boolean }[];
  /** The Dockerfile the engine builds; `pin` writes each image of `images` (and the fetch image). */
  render(downloads: Downloads, fetchImage: string, pin?: Pin): string;
}

interface ImageInfo {
  id: string;
  /** It has a name of its own (a tag), besides its ID. */
  tagged: boolean;
  env: string[];
  onBuild: string[];
}

interface Stage {
  name: string;
  env: { key: string; value: Value }[];
  /** An ENV or ARG set a variable whose name we could not know: no lookup is certain any more. */
  poisoned: boolean;
  onBuild: string[];
  allowed: Map<string, Value | null>;
}

const BUILTIN_ARGS = [
  'HTTP_PROXY',
  'http_proxy',
  'HTTPS_PROXY',
  'https_proxy',
  'FTP_PROXY',
  'ftp_proxy',
  'NO_PROXY',
  'no_proxy',
];
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const STAGE_NAME = /^[a-z][a-z0-9-_.]*$/;
const PLATFORM = /^[a-z0-9_]+\/[a-z0-9_]+(?:\/[a-z0-9_]+)?$/;
/** Words that read the same in the plain form: no quotes, `$`, escapes, white space or leading `-`/`[`. */
const PLAIN = /^[A-Za-z0-9_./@%+=:,~^][A-Za-z0-9_./@%+=:,~^-]*$/;
const FLAG_VALUE = /^[A-Za-z0-9_.:@+/${}-]*$/;
const URL_LIKE = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;
/** An app's own build, tagged before images carried the app's uuid. */
const LEGACY_APP_TAG = /^deis-desktop\/[^:]+:git-[0-9a-f]{8}$/;
export const UNNAMED = '__unnamed__';
const BACKTICK_END = /`[ \t]*$/;
const BACKSLASH_END = /\\[ \t]*$/;

class Refused extends Error {}

function refuse(message: string, ins?: Instruction): never {
  throw new Refused(ins ? `${message} (Dockerfile line ${ins.startLine})` : message);
}

const upper = (k: string) => k.toUpperCase();

export async function planBuild(text: string, ctx: PlanContext): Promise<Plan> {
  try {
    return await new Planner(parseDockerfile(text), ctx).run();
  } catch (err) {
    if (err instanceof Refused) throw new BuildFailed(`The Dockerfile cannot be built: ${err.message}`);
    if (err instanceof DockerfileError)
      throw new BuildFailed(
        `The Dockerfile cannot be read: ${err.message}${err.line ? ` (Dockerfile line ${err.line})` : ''}.`,
      );
    throw err;
  }
}

class Planner {
  private readonly budget: Budget = { left: DOCKERFILE_MAX_EXPANDED_CHARS };
  private readonly pieces: Piece[] = [];
  /** Where the last stage's instructions begin (just after its FROM): our labels go there. */
  private lastStageAt = 0;
  private readonly remotes: RemoteSource[] = [];
  private readonly stages: Stage[] = [];
  private readonly images = new Map<string, Promise<ImageInfo | undefined>>();
  /** IDs the Dockerfile we hand the engine names, and whether each image has a tag. */
  private readonly pinned = new Map<string, boolean>();
  private readonly meta = new Map<string, Value | null>();
  /** The base args' allowed set: global ARGs are added to it as they are read. */
  private readonly globalAllowed = new Map<string, Value | null>();
  private readonly options: Map<string, Value>;

  constructor(
    private readonly df: Dockerfile,
    private readonly ctx: PlanContext,
  ) {
    this.options = new Map(
      Object.entries(ctx.buildArgs).map(
        ([k, v]) => [k, /[\uD800-\uDFFF]/.test(v) ? UNKNOWN : v] as [string, Value],
      ),
    );
  }

  async run(): Promise<Plan> {
    const { df } = this;
    if (df.escape !== '\\') this.pieces.push(`# escape=${df.escape}`);
    for (const ins of df.instructions)
      if (!KEYWORDS.has(ins.keyword)) refuse(`unknown instruction: ${upper(ins.keyword)}`, ins);
    let stage: Stage | undefined;
    let n = 0;
    for (const ins of df.instructions) {
      // Let the core answer others between slices of a long Dockerfile.
      if (++n % 256 === 0) await new Promise((resolve) => setImmediate(resolve));
      if (ins.keyword === 'from') {
        if (stage) this.stages.push(stage);
        stage = await this.from(ins);
        continue;
      }
      if (!stage) {
        if (ins.keyword !== 'arg') refuse('the Dockerfile must start with FROM (after global ARGs)', ins);
        this.metaArg(ins);
        this.pieces.push(this.verbatim(ins));
        continue;
      }
      await this.dispatch(stage, ins, { emit: true, parseEscape: df.escape });
    }
    if (!stage) refuse('the Dockerfile has no FROM instruction');
    // Right after the tagged stage's FROM (whose ONBUILD triggers the engine runs as part of it),
    // not at the end: there the step follows the app's own changes, so the engine redoes it on every
    // push (a container and a commit); here its parent is the base image, and it comes from the cache.
    // The app's own LABELs cannot undo it: they may not use our names (see `label`).
    this.pieces.splice(this.lastStageAt, 0, this.labels());
    const pieces = this.pieces;
    return {
      remotes: this.remotes,
      images: [...this.pinned].map(([id, tagged]) => ({ id, tagged })),
      render: (downloads, fetchImage, pin = byId) => {
        const text =
          pieces.map((p) => (typeof p === 'string' ? p : p(downloads, fetchImage, pin))).join('\n') + '\n';
        // What we hand the engine must read back as exactly these lines, one instruction each.
        const lines = text.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
        const back = parseDockerfile(text).instructions.map((i) => i.line);
        if (back.length !== lines.length || back.some((l, i) => l !== lines[i]))
          throw new BuildFailed('The Dockerfile could not be rewritten safely; please report this.');
        return text;
      },
    };
  }

  // ---------------------------------------------------------------------------------------------
  // Build args and variables, as the engine's BuildArgs and dispatch environment work.

  private buildArg(key: string, mapping: Map<string, Value | null>): Value | undefined {
    if (this.options.has(key)) return this.options.get(key)!;
    const dv = mapping.get(key);
    if (dv === undefined || dv === null) {
      const m = this.meta.get(key);
      return m === undefined || m === null ? undefined : m;
    }
    return dv;
  }

  private allFrom(mapping: Map<string, Value | null>): Map<string, Value> {
    const out = new Map<string, Value>();
    for (const key of new Set([...mapping.keys(), ...BUILTIN_ARGS])) {
      const v = this.buildArg(key, mapping);
      if (v !== undefined) out.set(key, v);
    }
    return out;
  }

  private mapLookup(values: Map<string, Value>): Lookup {
    return (name) => (values.has(name) ? values.get(name)! : null);
  }

  private stageLookup(stage: Stage): Lookup {
    const args = this.allFrom(stage.allowed);
    const env = stage.env;
    return (name) => {
      for (let i = env.length - 1; i >= 0; i--) if (env[i]!.key === name) return env[i]!.value;
      if (stage.poisoned) return UNKNOWN;
      return args.has(name) ? args.get(name)! : null;
    };
  }

  private expand(word: string, lookup: Lookup, ins: Instruction): Value {
    try {
      const r = processWord(word, lookup, this.df.escape, this.budget);
      return 'value' in r ? r.value : UNKNOWN;
    } catch (err) {
      if (err instanceof WordError) refuse(`${upper(ins.keyword)} ${word}: ${err.message}`, ins);
      throw err;
    }
  }

  /** The value of `word`, which must be certain. */
  private certain(word: string, lookup: Lookup, ins: Instruction, what: string): string {
    try {
      const r = processWord(word, lookup, this.df.escape, this.budget);
      if ('unknown' in r)
        refuse(
          `${what} ${word} depends on $${r.unknown}, whose value the build cannot know for certain; write it out`,
          ins,
        );
      return r.value;
    } catch (err) {
      if (err instanceof WordError) refuse(`${what} ${word}: ${err.message}`, ins);
      throw err;
    }
  }

  private metaArg(ins: Instruction): void {
    const lookup = this.mapLookup(this.allFrom(this.globalAllowed));
    const pairs = argPairs(ins.args, this.df.escape, ins.startLine).map(
      ([k, v]) => [this.expand(k, lookup, ins), v === null ? null : this.expand(v, lookup, ins)] as const,
    );
    for (const [k, v] of pairs) {
      if (k === UNKNOWN) refuse(`ARG ${ins.args}: its name depends on a variable`, ins);
      this.globalAllowed.set(k, v);
      this.meta.set(k, v);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Stages and images.

  private flags(ins: Instruction, allowed: string[]): Map<string, string> {
    const out = new Map<string, string>();
    for (const f of ins.flags) {
      if (!allowed.includes(f.name)) refuse(`Unknown flag: ${f.name}`, ins);
      if (out.has(f.name)) refuse(`Duplicate flag specified: ${f.name}`, ins);
      if (f.value === null) refuse(`Missing a value on flag: ${f.name}`, ins);
      out.set(f.name, f.value);
    }
    if (out.has('chmod')) refuse('the --chmod option requires BuildKit, which these builds do not use', ins);
    return out;
  }

  private async from(ins: Instruction): Promise<Stage> {
    const flags = this.flags(ins, ['platform']);
    const args = ins.args === '' ? [] : ins.args.split(/[\t\v\f\r ]+/);
    let name = '';
    if (args.length === 3 && args[1]!.toLowerCase() === 'as') {
      name = args[2]!.toLowerCase();
      if (!STAGE_NAME.test(name))
        refuse(
          `invalid name for build stage: ${JSON.stringify(args[2])}, name can't start with a number or contain symbols`,
          ins,
        );
      if (this.stages.some((s) => s.name === name)) refuse(`${name} stage name already used`, ins);
    } else if (args.length !== 1) refuse('FROM requires either one or three arguments', ins);
    const meta = this.mapLookup(this.allFrom(this.meta));
    const base = this.certain(args[0]!, meta, ins, 'FROM');
    if (base === '') refuse(`base name (${args[0]}) should not be blank`, ins);
    let platform: string | undefined;
    if (flags.has('platform')) {
      platform = this.certain(flags.get('platform')!, meta, ins, 'FROM --platform');
      if (!PLATFORM.test(platform))
        refuse(`FROM --platform=${platform}: write it as os/architecture[/variant]`, ins);
    }

    const stage: Stage = { name, env: [], poisoned: false, onBuild: [], allowed: new Map() };
    let written: string;
    const earlier = this.stages.find((s) => s.name !== '' && s.name === base.toLowerCase());
    if (earlier) {
      stage.env = earlier.env.map((e) => ({ ...e }));
      stage.poisoned = earlier.poisoned;
      stage.onBuild = [...earlier.onBuild];
      written = earlier.name;
    } else if (base === 'scratch') {
      written = 'scratch';
    } else {
      const image = await this.image(base, ins, 'FROM', platform);
      stage.env = image.env.map(envEntry);
      stage.onBuild = [...image.onBuild];
      written = image.id;
      this.pinned.set(image.id, image.tagged);
      this.ctx.say(`-----> FROM ${base}: the local image ${image.id.slice(0, 19)}`);
    }
    if (!stage.env.some((e) => e.key === 'PATH')) stage.env.push({ key: 'PATH', value: DEFAULT_PATH });
    const pinnedId = this.pinned.has(written) ? written : undefined;
    const fromLine = (ref: string) =>
      `FROM ${platform ? `--platform=${platform} ` : ''}${ref}${name ? ` AS ${name}` : ''}`;
    this.pieces.push(pinnedId ? (_d, _f, pin) => fromLine(pin(pinnedId)) : fromLine(written));
    // Every stage's RUN steps see the app's uuid, so their cache is the app's own: BuildKit sets our
    // LABEL as metadata, which (unlike the legacy builder's labelling step) keys nothing after it, and
    // another app's build of the same steps would otherwise hand this one its layers.
    if (!/^[0-9a-f-]{1,64}$/i.test(this.ctx.appUuid))
      throw new BuildFailed('The app has no valid uuid; please report this.');
    this.pieces.push(`ARG ${BUILD_SCOPE_ARG}=${this.ctx.appUuid}`);
    this.lastStageAt = this.pieces.length;

    const triggers = stage.onBuild;
    stage.onBuild = [];
    for (const trigger of triggers) await this.trigger(stage, trigger, base, ins);
    stage.allowed.set(BUILD_SCOPE_ARG, this.ctx.appUuid);
    return stage;
  }

  /** A base image's ONBUILD trigger, run as the engine runs it: parsed alone, in the new stage. */
  private async trigger(stage: Stage, text: string, base: string, from: Instruction): Promise<void> {
    const where = `the ONBUILD trigger "${text.slice(0, 200)}" of ${base}`;
    let parsed: Dockerfile;
    try {
      parsed = parseDockerfile(text);
    } catch (err) {
      if (err instanceof DockerfileError) refuse(`${where} cannot be read: ${err.message}`, from);
      throw err;
    }
    if (parsed.instructions.length !== 1) refuse(`${where} is not a single instruction`, from);
    const ins = { ...parsed.instructions[0]!, startLine: from.startLine };
    // A reading of our own that disagreed with the engine's on whether this is an ADD must not pass.
    const looksAdd = /^\s*add\s/i.test(text.replace(/^[\s\u0085\u00a0\ufeff]+/, '') + ' ');
    if (looksAdd !== (ins.keyword === 'add') || /[\r\0]/.test(text))
      refuse(`${where} cannot be read safely`, from);
    if (!KEYWORDS.has(ins.keyword)) refuse(`${where}: unknown instruction ${upper(ins.keyword)}`, from);
    if (ins.keyword === 'from' || ins.keyword === 'onbuild')
      refuse(`${where} is not allowed as a trigger`, from);
    await this.dispatch(stage, ins, { emit: false, parseEscape: parsed.escape, trigger: where });
  }

  private async image(ref: string, ins: Instruction, what: string, platform?: string): Promise<ImageInfo> {
    let parsed: ImageRef;
    try {
      parsed = parseImageRef(ref);
    } catch (err) {
      if (err instanceof ReferenceError) refuse(`${what} ${ref}: ${err.message}`, ins);
      throw err;
    }
    const key = `${ref}\n${platform ?? ''}`;
    if (!this.images.has(key)) {
      if (this.images.size >= DOCKERFILE_MAX_IMAGES)
        refuse(`the Dockerfile uses more than ${DOCKERFILE_MAX_IMAGES} images; use fewer`, ins);
      this.images.set(key, this.lookUp(ref, parsed, ins, what, platform));
    }
    const info = await this.images.get(key)!;
    return info!;
  }

  private async inspect(ref: string): Promise<Docker.ImageInspectInfo | undefined> {
    try {
      return await this.ctx.docker.getImage(ref).inspect();
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 404) return undefined;
      throw new BuildFailed(
        `The Docker engine could not look up the image ${ref}: ${(err as Error).message}`,
      );
    }
  }

  private async lookUp(
    ref: string,
    parsed: ImageRef,
    ins: Instruction,
    what: string,
    platform?: string,
  ): Promise<ImageInfo> {
    let info = await this.inspect(ref);
    if (!info) {
      if (parsed.kind === 'id' || parsed.path.startsWith('deis-desktop/'))
        refuse(`${what} ${ref}: there is no such image in the local Docker engine`, ins);
      if (parsed.domain !== 'docker.io')
        refuse(
          `${what} ${ref}: that image is not in the local Docker engine, and builds pull only from Docker Hub ` +
            '(so that no build can reach a registry on this machine); pull it first',
          ins,
        );
      await this.pull(ref, ins, what, platform);
      info = await this.inspect(ref);
      if (!info) refuse(`${what} ${ref}: the image is still missing after pulling it`, ins);
    }
    if (!this.ctx.trusted) {
      const byName =
        parsed.kind === 'named' &&
        (fullNames(info.RepoTags).has(fullName(parsed)) || fullNames(info.RepoDigests).has(fullName(parsed)));
      if (!byName)
        refuse(
          `${what} ${ref}: builds by non-administrators may use local images by name only, not by ID`,
          ins,
        );
      const owner = info.Config?.Labels?.[LABEL_APP_UUID];
      // Unlabelled (built before labels): an app image if asked for as one, or known by no other name.
      const tags = info.RepoTags ?? [];
      const legacy =
        !owner &&
        ((LEGACY_APP_TAG.test(ref) && !ref.startsWith(`deis-desktop/${this.ctx.app}:`)) ||
          (tags.length > 0 && tags.every((t) => LEGACY_APP_TAG.test(t))));
      if ((owner && owner !== this.ctx.appUuid) || legacy)
        refuse(
          `${what} ${ref}: that image was built for another app; only an administrator's build may use it`,
          ins,
        );
    }
    if (platform) {
      const [os, arch, variant] = platform.split('/');
      const matches = os === info.Os && arch === info.Architecture && (!variant || variant === info.Variant);
      if (!matches)
        refuse(
          `${what} --platform=${platform} ${ref}: the local image is ${info.Os}/${info.Architecture}` +
            `${info.Variant ? `/${info.Variant}` : ''}`,
          ins,
        );
    }
    return {
      id: info.Id,
      tagged: (info.RepoTags?.length ?? 0) > 0,
      env: info.Config?.Env ?? [],
      onBuild: info.Config?.OnBuild ?? [],
    };
  }

  private async pull(ref: string, ins: Instruction, what: string, platform?: string): Promise<void> {
    this.ctx.say(`-----> Pulling ${ref} from Docker Hub`);
    const docker = this.ctx.docker;
    try {
      const stream = await docker.pull(ref, {
        ...(platform ? { platform } : {}),
        abortSignal: this.ctx.signal,
      });
      await new Promise<void>((resolve, reject) =>
        docker.modem.followProgress(stream, (err: Error | null, out: { error?: string }[]) => {
          const failed = out?.find((m) => m.error);
          if (err || failed) reject(err ?? new Error(failed!.error));
          else resolve();
        }),
      );
    } catch (err) {
      refuse(`${what} ${ref}: could not pull it from Docker Hub: ${(err as Error).message}`, ins);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Instructions.

  private async dispatch(
    stage: Stage,
    ins: Instruction,
    how: { emit: boolean; parseEscape: string; trigger?: string },
  ): Promise<void> {
    const emit = (p: Piece) => {
      if (how.emit) this.pieces.push(p);
    };
    const lookup = this.stageLookup(stage);
    switch (ins.keyword) {
      case 'env': {
        const pairs = envPairs(ins.args, how.parseEscape, ins.startLine).map(
          ([k, v]) => [this.expand(k, lookup, ins), this.expand(v, lookup, ins)] as const,
        );
        for (const [key, value] of pairs) {
          if (key === UNKNOWN) {
            stage.poisoned = true;
            continue;
          }
          const at = stage.env.findIndex((e) => e.key === key);
          if (at >= 0) stage.env[at] = { key, value };
          else stage.env.push({ key, value });
        }
        emit(this.verbatim(ins));
        return;
      }
      case 'arg': {
        const pairs = argPairs(ins.args, how.parseEscape, ins.startLine).map(
          ([k, v]) => [this.expand(k, lookup, ins), v === null ? null : this.expand(v, lookup, ins)] as const,
        );
        for (const [key, value] of pairs) {
          if (key === UNKNOWN) stage.poisoned = true;
          else stage.allowed.set(key, value);
        }
        emit(this.verbatim(ins));
        return;
      }
      case 'copy':
        emit(await this.copy(stage, ins, how.trigger));
        return;
      case 'add':
        emit(this.add(stage, ins, lookup, how.trigger));
        return;
      case 'onbuild':
        emit(this.onbuild(stage, ins));
        return;
      case 'label':
        // A base image's trigger runs as part of FROM, before our labels are set: only the app's own
        // LABELs could overwrite them.
        if (!how.trigger) this.label(lookup, ins, how.parseEscape);
        emit(this.verbatim(ins));
        return;
      case 'from':
        return refuse('FROM cannot be used here', ins);
      case 'run':
        // BuildKit acts on RUN's flags: --mount could read any image of the engine or a cache other
        // apps write, --network=host reaches this machine's loopback. The legacy builder has none.
        if (ins.flags.length > 0)
          refuse(
            `RUN --${ins.flags[0]!.name} is not supported by these builds; write the RUN without it`,
            ins,
          );
        emit(this.verbatim(ins));
        return;
      default:
        emit(this.verbatim(ins));
    }
  }

  /**
   * The app's own LABEL: its names, as the engine will expand them, must not be ours. Our labels say
   * which app and instance an image belongs to (the uuid decides which builds may use it), and they
   * are set before the app's instructions, so a LABEL of the app's could otherwise claim another app.
   */
  private label(lookup: Lookup, ins: Instruction, escape: string): void {
    let pairs: [string, string][];
    try {
      pairs = envPairs(ins.args, escape, ins.startLine);
    } catch (err) {
      if (err instanceof DockerfileError) refuse(err.message.replace(/^ENV/, 'LABEL'), ins);
      throw err;
    }
    for (const [raw] of pairs) {
      const key = this.certain(raw, lookup, ins, 'LABEL');
      if (key.toLowerCase().startsWith(OUR_LABELS))
        refuse(
          `LABEL ${key}: names under ${OUR_LABELS} are set by Deis Desktop itself; choose another name`,
          ins,
        );
    }
  }

  private verbatim(ins: Instruction): string {
    return this.line(`${upper(ins.keyword)} ${ins.rest}`.trimEnd(), ins);
  }

  /** A line we hand the engine: it must stay one line, as we read it. */
  private line(text: string, ins: Instruction): string {
    const continuation = this.df.escape === '`' ? BACKTICK_END : BACKSLASH_END;
    if (/[\r\n\0]/.test(text) || continuation.test(text))
      refuse(`${upper(ins.keyword)}: this line cannot be passed on safely; simplify it`, ins);
    if (Buffer.byteLength(text) > DOCKERFILE_MAX_LINE_BYTES)
      refuse(`${upper(ins.keyword)}: the line is too long`, ins);
    return text;
  }

  private flagValue(name: string, value: string, ins: Instruction): string {
    if (!FLAG_VALUE.test(value))
      refuse(`${upper(ins.keyword)} --${name}=${value}: use only letters, digits and ._:@+/-$`, ins);
    return `--${name}=${value}`;
  }

  /** ADD/COPY arguments: the plain form when every word reads the same there, else JSON. */
  private argsText(words: string[]): string {
    return words.every((w) => PLAIN.test(w)) ? words.join(' ') : JSON.stringify(words);
  }

  private async copy(stage: Stage, ins: Instruction, trigger?: string): Promise<Piece> {
    const flags = this.flags(ins, ['from', 'chown', 'chmod']);
    const { words } = listArgs(ins.args);
    if (words.length < 2) refuse('COPY requires at least two arguments', ins);
    const parts = ['COPY'];
    let pinnedId: string | undefined;
    const from = flags.get('from');
    if (from !== undefined) {
      // The engine takes --from as written (no substitution): a stage by name, then by index, else an image.
      const byName = this.stages.findIndex((s) => s.name !== '' && s.name === from.toLowerCase());
      if (byName >= 0) parts.push(`--from=${byName}`);
      else if (/^[+-]?\d+$/.test(from) && Math.abs(Number(from)) <= Number.MAX_SAFE_INTEGER) {
        const ix = Number(from);
        if (ix === this.stages.length) refuse(`COPY --from=${from} refers to the current build stage`, ins);
        if (ix < 0 || ix > this.stages.length) refuse(`COPY --from=${from}: index out of bounds`, ins);
        parts.push(`--from=${ix}`);
      } else {
        if (/^[+-]?\d+$/.test(from)) refuse(`COPY --from=${from}: index out of bounds`, ins);
        const image = await this.image(from, ins, trigger ? `${trigger}: COPY --from` : 'COPY --from');
        parts.push(`--from=${image.id}`);
        pinnedId = image.id;
        this.pinned.set(image.id, image.tagged);
        if (!trigger) this.ctx.say(`-----> COPY --from=${from}: the local image ${image.id.slice(0, 19)}`);
      }
    }
    void stage;
    if (flags.has('chown')) parts.push(this.flagValue('chown', flags.get('chown')!, ins));
    parts.push(this.argsText(words));
    const text = this.line(parts.join(' '), ins);
    if (!pinnedId) return text;
    const id = pinnedId;
    return (_d, _f, pin) => text.replace(`--from=${id} `, `--from=${pin(id)} `);
  }

  private add(stage: Stage, ins: Instruction, lookup: Lookup, trigger?: string): Piece {
    const flags = this.flags(ins, ['chown', 'chmod']);
    const { words } = listArgs(ins.args);
    if (words.length < 2) refuse('ADD requires at least two arguments', ins);
    const rawDest = words[words.length - 1]!;
    const chown = flags.has('chown') ? this.flagValue('chown', flags.get('chown')!, ins) : undefined;
    const sources = words.slice(0, -1).map((w) => {
      const value = this.certain(w, lookup, ins, 'ADD');
      if (value.startsWith('http://') || value.startsWith('https://')) return { value, remote: true };
      if (URL_LIKE.test(value)) refuse(`ADD ${value}: only http:// and https:// URLs can be added`, ins);
      return { value, remote: false };
    });
    void stage;
    const remotes = sources.filter((s) => s.remote);
    if (remotes.length === 0) {
      const parts = ['ADD', ...(chown ? [chown] : [])];
      parts.push(this.argsText([...sources.map((s) => this.literal(s.value, ins)), rawDest]));
      return this.line(parts.join(' '), ins);
    }
    if (trigger)
      refuse(
        `${trigger} downloads ${remotes[0]!.value}; a build cannot let a base image's trigger fetch a URL`,
        ins,
      );
    const dest = this.certain(rawDest, lookup, ins, 'ADD destination');
    if (sources.length > 1 && !dest.endsWith('/'))
      refuse(
        'When using ADD with more than one source file, the destination must be a directory and end with a /',
        ins,
      );
    if (this.remotes.length + remotes.length > DOCKERFILE_MAX_REMOTE_FILES)
      refuse(`the Dockerfile adds more than ${DOCKERFILE_MAX_REMOTE_FILES} URLs; use fewer`, ins);
    // Consecutive sources of one kind stay together, in their order: local ones keep ADD (archives are
    // unpacked), downloads become a COPY from the image holding them (mode 0600, never unpacked).
    const groups: { remote: boolean; items: { value: string; id?: number }[] }[] = [];
    for (const s of sources) {
      const item = s.remote ? { value: s.value, id: this.remotes.length } : { value: s.value };
      if (s.remote) this.remotes.push({ id: item.id!, url: s.value });
      const last = groups[groups.length - 1];
      if (last && last.remote === s.remote) last.items.push(item);
      else groups.push({ remote: s.remote, items: [item] });
    }
    const destWord = this.literal(dest, ins);
    return (downloads, fetchImage, pin) =>
      groups
        .map((g) => {
          if (!g.remote) {
            const parts = ['ADD', ...(chown ? [chown] : [])];
            parts.push(this.argsText([...g.items.map((i) => this.literal(i.value, ins)), destWord]));
            return this.line(parts.join(' '), ins);
          }
          const paths = g.items.map((i) => {
            const name = downloads.get(i.id!) ?? UNNAMED;
            if (name === UNNAMED && dest.endsWith('/'))
              refuse(`cannot determine filename for source ${i.value}`, ins);
            return this.literal(`/${i.id}/${name}`, ins);
          });
          const parts = ['COPY', `--from=${pin(fetchImage)}`, ...(chown ? [chown] : [])];
          parts.push(this.argsText([...paths, destWord]));
          return this.line(parts.join(' '), ins);
        })
        .join('\n');
  }

  private literal(value: string, ins: Instruction): string {
    try {
      return literalWord(value, this.df.escape);
    } catch {
      refuse(`${upper(ins.keyword)} ${value}: this value cannot be passed on safely`, ins);
    }
  }

  private onbuild(stage: Stage, ins: Instruction): string {
    if (ins.flags.length > 0) refuse(`Unknown flag: ${ins.flags[0]!.name}`, ins);
    if (ins.args === '') refuse('ONBUILD requires at least one argument', ins);
    const inner = instructionOf(ins.args, ins.startLine);
    if (inner.keyword === 'onbuild') refuse("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed", ins);
    if (inner.keyword === 'from' || inner.keyword === 'maintainer')
      refuse(`${upper(inner.keyword)} isn't allowed as an ONBUILD trigger`, ins);
    if (!KEYWORDS.has(inner.keyword)) refuse(`unknown instruction: ${upper(inner.keyword)}`, ins);
    let expression: string;
    if (inner.keyword === 'add' || inner.keyword === 'copy') {
      // Written plainly, so that when the trigger runs it reads as we will read it then.
      const parts = [upper(inner.keyword)];
      for (const f of inner.flags) {
        if (f.value === null) refuse(`Missing a value on flag: ${f.name}`, ins);
        parts.push(this.flagValue(f.name, f.value, ins));
      }
      parts.push(JSON.stringify(listArgs(inner.args).words));
      expression = parts.join(' ');
    } else expression = `${upper(inner.keyword)} ${inner.rest}`.trimEnd();
    stage.onBuild.push(expression);
    return this.line(`ONBUILD ${expression}`, ins);
  }

  /** The labels that mark the image as this app's, on the last stage (the image that is tagged). */
  private labels(): string {
    const { ctx, df } = this;
    const labels: Record<string, string> = {
      [LABEL_INSTANCE]: ctx.instance,
      [LABEL_ROLE]: 'image',
      [LABEL_APP]: ctx.app,
      [LABEL_APP_UUID]: ctx.appUuid,
    };
    const e = df.escape;
    const quote = (v: string) =>
      `"${v.replace(/[\\`"$]/g, (c) => (c === e || c === '"' || c === '$' ? e + c : c))}"`;
    const words = Object.entries(labels).map(
      ([k, v]) => `${k}=${/^[A-Za-z0-9_.:/@+-]+$/.test(v) ? v : quote(v)}`,
    );
    const text = `LABEL ${words.join(' ')}`;
    // Read it back as the engine will: each value must come out exactly.
    const back = splitWords(trimSpace(words.join(' ')), e);
    const values = back.map((w) =>
      processWord(w.slice(w.indexOf('=') + 1), () => null, e, { left: Infinity }),
    );
    if (
      values.some((v, i) => !('value' in v) || v.value !== Object.values(labels)[i]) ||
      /[\r\n\0]/.test(text)
    )
      throw new BuildFailed('The image labels could not be written safely; check the instance name.');
    return text;
  }
}

function envEntry(raw: string): { key: string; value: Value } {
  const eq = raw.indexOf('=');
  return eq < 0 ? { key: raw, value: '' } : { key: raw.slice(0, eq), value: raw.slice(eq + 1) };
}
