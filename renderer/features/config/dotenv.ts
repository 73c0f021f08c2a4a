/** Reads a pasted .env file: KEY=value lines, `export` prefixes, quotes and comments as shells write them. */

export interface DotenvResult {
  values: Record<string, string>;
  /** Lines that are not KEY=value, by number, so the user can fix them. */
  skipped: number[];
}

export function parseDotenv(text: string): DotenvResult {
  const values: Record<string, string> = {};
  const skipped: number[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!m) {
      skipped.push(i + 1);
      return;
    }
    let value = m[2]!;
    const quote = value[0];
    if ((quote === '"' || quote === "'") && value.endsWith(quote) && value.length >= 2) {
      value = value.slice(1, -1);
      if (quote === '"') value = value.replace(/\\n/g, '\n').replace(/\\"/g, '"');
    } else value = value.replace(/\s+#.*$/, '');
    values[m[1]!] = value;
  });
  return { values, skipped };
}
