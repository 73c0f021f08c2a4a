/**
 * The stack image buildpack builds run in: configured (pulled when missing), or built once from
 * resources/stack/Dockerfile. Its build is minutes of apt output: the pusher sees a few step and
 * progress lines, the task keeps the whole log, and the core starts it in the background at startup.
 */
import path from 'node:path';
import type Docker from 'dockerode';
import { buildFolderImage, imageExists } from '../../cluster/docker/engine';
import { pullImage } from '../../cluster/docker/pull';
import { STACK_PROGRESS_EVERY_MS, STACK_PROGRESS_QUIET_MS, STACK_STEP_LINE_MAX } from '../contract/limits';
import type { TaskHandle, Tasks } from '../controller/tasks';
import { BuildFailed, type BuildOutput } from './types';

export const DEFAULT_STACK_IMAGE = 'deis-desktop/stack:bookworm';
/** Images of this repository are ours: built from the stack Dockerfile, never pulled. */
const OWN_STACK_REPOSITORY = 'deis-desktop/stack';

export interface StackSettings {
  /** DEIS_STACK_IMAGE: use this image as is (pulled when the engine does not have it). */
  image: string;
  /** DEIS_STACK_BASE: the Debian 12 image the default stack is built from. */
  base: string;
  /** resources/stack, holding the Dockerfile of the default stack. */
  dockerfileDir: string;
}

export function stackSettings(resources: string, env: NodeJS.ProcessEnv = process.env): StackSettings {
  return {
    image: env.DEIS_STACK_IMAGE || DEFAULT_STACK_IMAGE,
    base: env.DEIS_STACK_BASE || 'debian:bookworm-slim',
    dockerfileDir: path.join(resources, 'stack'),
  };
}

/** Whether the stack is built here (a `deis-desktop/stack:<tag>`) rather than pulled. */
export const builtHere = (image: string): boolean => image.split(':')[0] === OWN_STACK_REPOSITORY;

const elapsed = (since: number) => {
  const s = Math.round((Date.now() - since) / 1000);
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
};

/** Summarises a stack build's output: Dockerfile steps and counts, never apt's own lines. */
class BuildSummary {
  packages = 0;
  lines = 0;
  step = '';
  /** apt's `N newly installed`, once it has said it. */
  private total = 0;
  /** Packages fetched and unpacked since apt said how many it installs. */
  private fetched = 0;
  private unpacked = 0;
  /** What apt did last: it fetches all, unpacks all, then sets each up (with a few early ones). */
  private phase: 'fetch' | 'unpack' | 'setup' | '' = '';

  /** The line to show the pusher for one output line, if any. */
  note(line: string): string | undefined {
    this.lines++;
    if (/^Setting up \S/.test(line)) {
      this.packages++;
      this.phase = 'setup';
    } else if (this.total && /^Get:\d+ /.test(line)) {
      this.fetched++;
      this.phase = 'fetch';
    } else if (this.total && /^Unpacking \S/.test(line)) {
      this.unpacked++;
      this.phase = 'unpack';
    } else {
      const planned = /^\d+ upgraded, (\d+) newly installed/.exec(line);
      if (planned) this.total += Number(planned[1]);
    }
    const step = /^Step (\d+\/\d+) : (.*)$/.exec(line);
    if (!step) return undefined;
    this.step = step[1]!;
    const text = line.length > STACK_STEP_LINE_MAX ? `${line.slice(0, STACK_STEP_LINE_MAX)}…` : line;
    return text;
  }

  private what(): string {
    if (this.total && this.phase === 'setup') return `${this.packages} of ${this.total} packages installed`;
    if (this.total && this.phase === 'unpack') return `${this.unpacked} of ${this.total} packages unpacked`;
    if (this.total) return `${this.fetched} of ${this.total} packages downloaded`;
    if (this.packages) return `${this.packages} packages installed`;
    return `step ${this.step || '1'}, ${this.lines} lines of output`;
  }

  progress(since: number): string {
    return `still preparing the stack: ${this.what()}, ${elapsed(since)} so far…`;
  }
}

const PROGRESS_LINE = /^ *still preparing the stack: (.*), [^,]+ so far…$/;

/**
 * One pusher's view of the preparation: a progress line that says what the last one it saw said,
 * less than STACK_PROGRESS_QUIET_MS ago, is held back (a long download would otherwise repeat one
 * line for minutes). Kept per pusher, so one who joins late still sees where the build is.
 */
function quietRepeats(output: BuildOutput): BuildOutput {
  let last = '';
  let at = 0;
  return {
    line: (text) => {
      const what = PROGRESS_LINE.exec(text)?.[1];
      if (what !== undefined) {
        if (what === last && Date.now() - at < STACK_PROGRESS_QUIET_MS) return;
        last = what;
        at = Date.now();
      }
      output.line(text);
    },
  };
}

/**
 * Makes sure the stack image exists: pulls a configured one, or builds ours (once, then cached by
 * tag). `output` gets a few lines; `log`, when given, every line of the build.
 */
export async function ensureStack(
  docker: Docker,
  s: StackSettings,
  output: BuildOutput,
  log: (line: string) => void = () => {},
): Promise<void> {
  if (await imageExists(docker, s.image)) return;
  if (!builtHere(s.image)) {
    output.line(`-----> Pulling the stack image ${s.image} (DEIS_STACK_IMAGE; first build only)`);
    await pull(docker, s.image, 'DEIS_STACK_IMAGE', output, log);
    return;
  }
  const started = Date.now();
  if (!(await imageExists(docker, s.base))) {
    output.line(`-----> Pulling the stack's base image ${s.base} (DEIS_STACK_BASE; first build only)`);
    await pull(docker, s.base, 'DEIS_STACK_BASE', output, log);
  }
  output.line(`-----> Preparing the stack image ${s.image} from ${s.base} (first build only, a few minutes)`);
  const summary = new BuildSummary();
  const ticker = setInterval(
    () => output.line(`       ${summary.progress(started)}`),
    STACK_PROGRESS_EVERY_MS,
  );
  try {
    const error = await buildFolderImage(docker, s.dockerfileDir, s.image, { BASE: s.base }, (l) => {
      log(l);
      const shown = summary.note(l);
      if (shown) output.line(`       ${shown}`);
    });
    if (error) throw new BuildFailed(`Could not build the stack image ${s.image}: ${error.trim()}`);
  } finally {
    clearInterval(ticker);
  }
  output.line(
    `       Stack ready: ${summary.packages} packages installed in ${elapsed(started)} (${summary.lines} lines of output, kept in the task log).`,
  );
}

async function pull(
  docker: Docker,
  ref: string,
  setting: string,
  output: BuildOutput,
  log: (line: string) => void,
): Promise<void> {
  try {
    await pullImage(docker, ref, (line) => {
      log(line);
      output.line(`       ${line}`);
    });
  } catch (err) {
    throw new BuildFailed(
      `The image ${ref} (${setting}) is not in the local Docker engine and could not be pulled (${(err as Error).message}); pull it, or set ${setting} to an image you have.`,
    );
  }
}

/**
 * Prepares the stack once for everyone: at startup in the background when it is missing, and for
 * a push that needs it. A push that arrives while it is being prepared waits for it, saying so, and
 * sees the same progress lines; the whole log is kept in a `stack` task.
 */
export class StackPreparer {
  private preparing: Promise<void> | undefined;
  private since = 0;
  private readonly watchers = new Set<BuildOutput>();

  constructor(
    private readonly docker: () => Docker,
    readonly settings: StackSettings,
    private readonly tasks: Tasks,
  ) {}

  /** Whether the stack image is missing (to be prepared). */
  async missing(): Promise<boolean> {
    return !(await imageExists(this.docker(), this.settings.image));
  }

  /** Makes sure the stack exists; `output` (a pusher) sees a few lines while it is prepared. */
  async ensure(output: BuildOutput): Promise<void> {
    if (!this.preparing && !(await this.missing())) return;
    if (this.preparing)
      output.line(
        `-----> Waiting for the stack image ${this.settings.image}, being prepared for ${elapsed(this.since)} (first build only)`,
      );
    const watcher = quietRepeats(output);
    this.watchers.add(watcher);
    try {
      await this.prepare();
    } finally {
      this.watchers.delete(watcher);
    }
  }

  /** Starts preparing (or joins the preparation in progress); settles when it ends. */
  prepare(): Promise<void> {
    if (this.preparing) return this.preparing;
    this.since = Date.now();
    const task: TaskHandle = this.tasks.start('stack', `Preparing the stack image ${this.settings.image}`);
    task.step(`Preparing the stack image ${this.settings.image}`);
    const shown: BuildOutput = {
      line: (text) => {
        for (const w of this.watchers) w.line(text);
      },
    };
    const work = ensureStack(this.docker(), this.settings, shown, (line) => task.log(line)).then(
      () => task.succeed(),
      (err: Error) => {
        task.fail(err.message);
        throw err;
      },
    );
    this.preparing = work.finally(() => {
      this.preparing = undefined;
    });
    return this.preparing;
  }
}
