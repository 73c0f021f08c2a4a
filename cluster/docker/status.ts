/** A container's Docker state in Deis's pod vocabulary. */
import type { ProcessInfo } from '../target';
import type { Proc } from './processes';

const iso = (seconds: number) => new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');

export function processInfo(p: Proc, starting: ReadonlySet<string>): ProcessInfo {
  let state: ProcessInfo['state'];
  if (p.state === 'restarting') state = 'crashed';
  else if (p.state === 'running') state = starting.has(p.name) ? 'starting' : 'up';
  else if (p.state === 'created') state = 'starting';
  else if (p.state === 'removing') state = 'terminating';
  else state = p.state === 'exited' || p.state === 'dead' ? 'crashed' : 'down';
  return { name: p.name, type: p.type, version: p.version, state, started: iso(p.created) };
}
