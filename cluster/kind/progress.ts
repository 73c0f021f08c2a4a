/**
 * kind's progress, as `kind create cluster` prints it when its output is not a terminal (the status
 * logger of kind's pkg/internal/cli: ` • <step>  ...` when a step starts, ` ✓ <step>` / ` ✗ <step>`
 * when it ends, then ` • Ready after 15s 💚`), turned into named steps with the time each took.
 * On a terminal kind draws a spinner with `\r` and colours instead; those are stripped too.
 */

import { KIND_PROGRESS_STEPS_MAX } from '../../main/contract/limits';

/** The steps kind prints, by the start of their text (kind adds emojis and details after it). */
const KNOWN_STEPS: { key: string; label: string; test: RegExp }[] = [
  { key: 'ensuring-node-image', label: 'Ensuring node image', test: /^Ensuring node image\b/ },
  { key: 'preparing-nodes', label: 'Preparing nodes', test: /^Preparing nodes\b/ },
  {
    key: 'configuring-load-balancer',
    label: 'Configuring the external load balancer',
    test: /^Configuring the external load balancer\b/,
  },
  { key: 'writing-configuration', label: 'Writing configuration', test: /^Writing configuration\b/ },
  { key: 'starting-control-plane', label: 'Starting control-plane', test: /^Starting control-plane\b/ },
  { key: 'installing-cni', label: 'Installing CNI', test: /^Installing CNI\b/ },
  { key: 'installing-storageclass', label: 'Installing StorageClass', test: /^Installing StorageClass\b/ },
  {
    key: 'joining-control-plane-nodes',
    label: 'Joining more control-plane nodes',
    test: /^Joining more control-plane nodes\b/,
  },
  { key: 'joining-worker-nodes', label: 'Joining worker nodes', test: /^Joining worker nodes\b/ },
  {
    key: 'waiting-for-ready',
    label: 'Waiting for control-plane = Ready',
    test: /^Waiting .* for control-plane = Ready\b/,
  },
  { key: 'deleting-cluster', label: 'Deleting cluster', test: /^Deleting cluster\b/ },
];

export type KindLine =
  | { type: 'start'; key: string; label: string; text: string; detail?: string }
  | { type: 'end'; ok: boolean; key: string; label: string; text: string; detail?: string }
  | { type: 'ready'; after: string }
  | { type: 'warning'; text: string }
  | { type: 'error'; text: string }
  | { type: 'creating'; cluster: string }
  | { type: 'text'; text: string };

const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;
/** Emojis, variation selectors and joiners kind decorates its steps with. */
const DECORATION = /[\p{Extended_Pictographic}\u{FE0F}\u{200D}\u{2B50}]/gu;

/** A step's text without kind's decoration: `Preparing nodes 📦 📦 ` → `Preparing nodes`. */
function bare(text: string): string {
  return text.replace(DECORATION, '').replace(/\s+/g, ' ').trim();
}

function stepOf(text: string): { key: string; label: string; detail?: string } {
  const clean = bare(text);
  const known = KNOWN_STEPS.find((s) => s.test.test(clean));
  if (!known) {
    const key =
      clean
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, '-')
        .replace(/^-|-$/g, '')
        .slice(0, 60) || 'step';
    return { key, label: clean };
  }
  // What kind adds: the node image's name, the number of nodes (one 📦 each), the wait.
  let detail: string | undefined;
  const image = /^Ensuring node image \((.*)\)$/.exec(clean);
  if (image) detail = image[1];
  if (known.key === 'preparing-nodes') {
    const nodes = (text.match(/\u{1F4E6}/gu) ?? []).length;
    if (nodes > 0) detail = `${nodes} node${nodes === 1 ? '' : 's'}`;
  }
  const wait = /^Waiting (≤|<=) (\S+) for control-plane/.exec(clean);
  if (wait) detail = `up to ${wait[2]}`;
  return { key: known.key, label: known.label, ...(detail ? { detail } : {}) };
}

/** One line of kind's output, classified. */
export function parseKindLine(raw: string): KindLine {
  const line = raw.replace(ANSI, '').replace(/\r/g, '');
  const started = /^\s*•\s+(.*?)\s+\.\.\.\s*$/.exec(line);
  if (started) {
    const text = started[1]!;
    if (/^WARNING:/.test(text)) return { type: 'warning', text: bare(text) };
    return { type: 'start', text: bare(text), ...stepOf(text) };
  }
  const ready = /^\s*•\s+Ready after (\S+)/.exec(line);
  if (ready) return { type: 'ready', after: ready[1]! };
  const bullet = /^\s*•\s+(.*)$/.exec(line);
  if (bullet) {
    const text = bare(bullet[1]!);
    return /^WARNING:/.test(text) ? { type: 'warning', text } : { type: 'text', text };
  }
  const ended = /^\s*([✓✗])\s+(.*)$/.exec(line);
  if (ended) return { type: 'end', ok: ended[1] === '✓', text: bare(ended[2]!), ...stepOf(ended[2]!) };
  const creating = /^Creating cluster "(.*)" \.\.\.\s*$/.exec(line);
  if (creating) return { type: 'creating', cluster: creating[1]! };
  if (/^ERROR: /.test(line)) return { type: 'error', text: line.slice('ERROR: '.length).trim() };
  return { type: 'text', text: line };
}

export interface KindStep {
  key: string;
  label: string;
  detail?: string;
  state: 'running' | 'succeeded' | 'failed';
  startedAt: number;
  endedAt?: number;
  /** Milliseconds from the step's start to its end (or to now while it runs). */
  elapsedMs: number;
}

/**
 * Follows kind's output line by line and keeps its steps with the time each took (as this process
 * saw the lines arrive); `onStep` hears each start and end. A step that kind ended without a line
 * (kind ends the previous step when it starts the next) is closed when the next starts.
 */
export class KindProgress {
  readonly steps: KindStep[] = [];
  /** kind's `ERROR: …` line, when it printed one. */
  error?: string;
  readyAfter?: string;
  warnings: string[] = [];

  constructor(
    private readonly onStep: (step: KindStep) => void = () => {},
    private readonly now: () => number = Date.now,
  ) {}

  private get current(): KindStep | undefined {
    const last = this.steps.at(-1);
    return last?.state === 'running' ? last : undefined;
  }

  private close(step: KindStep, ok: boolean): void {
    step.state = ok ? 'succeeded' : 'failed';
    step.endedAt = this.now();
    step.elapsedMs = step.endedAt - step.startedAt;
    this.onStep({ ...step });
  }

  /** Keeps a step, the oldest going once KIND_PROGRESS_STEPS_MAX are kept. */
  private keep(step: KindStep): void {
    if (this.steps.length >= KIND_PROGRESS_STEPS_MAX) this.steps.shift();
    this.steps.push(step);
  }

  line(raw: string): KindLine {
    const parsed = parseKindLine(raw);
    switch (parsed.type) {
      case 'start': {
        const open = this.current;
        if (open) this.close(open, true);
        const step: KindStep = {
          key: parsed.key,
          label: parsed.label,
          ...(parsed.detail ? { detail: parsed.detail } : {}),
          state: 'running',
          startedAt: this.now(),
          elapsedMs: 0,
        };
        this.keep(step);
        this.onStep({ ...step });
        break;
      }
      case 'end': {
        const open = this.current;
        if (open && open.key === parsed.key) this.close(open, parsed.ok);
        else if (!this.steps.some((s) => s.key === parsed.key && s.state !== 'running')) {
          // A terminal's output has no start lines: the step is known only when it ends.
          const at = this.now();
          const step: KindStep = {
            key: parsed.key,
            label: parsed.label,
            ...(parsed.detail ? { detail: parsed.detail } : {}),
            state: parsed.ok ? 'succeeded' : 'failed',
            startedAt: at,
            endedAt: at,
            elapsedMs: 0,
          };
          this.keep(step);
          this.onStep({ ...step });
        }
        break;
      }
      case 'ready':
        this.readyAfter = parsed.after;
        break;
      case 'warning':
        this.warnings.push(parsed.text);
        break;
      case 'error':
        this.error ??= parsed.text;
        break;
    }
    return parsed;
  }

  /** kind exited: a step still running ended with it (failed unless kind succeeded). */
  finish(ok: boolean): void {
    const open = this.current;
    if (open) this.close(open, ok);
  }
}

/** `12.3 s`, `850 ms`: a step's time for people. */
export function formatElapsed(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}
