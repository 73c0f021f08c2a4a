/** Procfiles for `deis pull`: `type: command` lines (the YAML subset Procfiles use) or a JSON map. */
import { CliError } from './errors';

function unquote(v: string): string {
  const m = /^(['"])([\s\S]*)\1$/.exec(v);
  if (!m) return v;
  return m[1] === '"' ? (JSON.parse(v) as string) : m[2]!.replaceAll("''", "'");
}

export function parseProcfile(text: string): Record<string, string> {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    try {
      const parsed = JSON.parse(trimmed) as unknown;
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed))
        return Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, String(v)]));
    } catch {
      /* a YAML flow map that is not JSON: read it line by line below */
    }
  }
  const result: Record<string, string> = {};
  for (const raw of trimmed.replace(/^\{|\}$/g, '').split(/\n|,(?=\s*[\w-]+\s*:)/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([\w-]+)\s*:\s*(.*)$/.exec(line);
    if (!m) throw new CliError(`yaml: line is not "type: command": ${line}`);
    result[m[1]!] = unquote(m[2]!.trim());
  }
  return result;
}
