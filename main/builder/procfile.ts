/** Procfiles: `type: command` lines, as Heroku and Deis read them, with Deis's process-type rule. */

export type Procfile = Record<string, string>;

export const PROCESS_TYPE_RE = /^[a-z0-9]+(-[a-z0-9]+)*$/;

export class ProcfileError extends Error {}

/**
 * Parses a Procfile. Deis reads it as a YAML map; in practice that is `name: command` per line, so
 * comments and blank lines are skipped and a quoted command is unquoted.
 */
export function parseProcfile(text: string): Procfile {
  const procfile: Procfile = {};
  text.split(/\r?\n/).forEach((line, i) => {
    if (/^\s*(#.*)?$/.test(line) || line.trim() === '---') return;
    const m = /^([^:\s]+)\s*:\s*(.*)$/.exec(line);
    if (!m) throw new ProcfileError(`Procfile line ${i + 1} is not "type: command": ${line.trim()}`);
    const [, type, rawCommand] = m as unknown as [string, string, string];
    const command = unquote(rawCommand.trim());
    if (!PROCESS_TYPE_RE.test(type))
      throw new ProcfileError(
        `Procfile process type "${type}" is invalid: use lowercase letters, digits and single hyphens (like web or worker-2).`,
      );
    if (command === '') throw new ProcfileError(`Procfile process type "${type}" has no command.`);
    procfile[type] = command;
  });
  return procfile;
}

function unquote(s: string): string {
  if (s.length >= 2 && ((s.startsWith('"') && s.endsWith('"')) || (s.startsWith("'") && s.endsWith("'"))))
    return s.slice(1, -1);
  return s;
}

/**
 * `default_process_types` from a buildpack's `bin/release` YAML. Only that one mapping is read:
 * two-space-indented `type: command` lines under the key.
 */
export function releaseProcessTypes(yaml: string): Procfile {
  const out: Procfile = {};
  let inside = false;
  for (const line of yaml.split(/\r?\n/)) {
    if (/^default_process_types:\s*(\{\s*\})?\s*$/.test(line)) {
      inside = !/\{\s*\}/.test(line);
      continue;
    }
    if (!inside) continue;
    const m = /^\s+([^:\s]+)\s*:\s*(.+)$/.exec(line);
    if (m) out[m[1]!] = unquote(m[2]!.trim());
    else if (/^\S/.test(line)) inside = false;
  }
  return out;
}
