/** A borderless table with a header rule, the layout `deis certs:list` printed (olekukonko/tablewriter). */

function center(text: string, width: number): string {
  const left = Math.floor((width - text.length) / 2);
  return ' '.repeat(left) + text + ' '.repeat(width - text.length - left);
}

export function renderTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => `${cells.join('|')}\n`;
  let text = line(header.map((h, i) => ` ${center(h, widths[i]!)} `));
  text += line(widths.map((w) => '-'.repeat(w + 2))).replaceAll('|', '+');
  for (const row of rows) text += line(widths.map((w, i) => ` ${(row[i] ?? '').padEnd(w)} `));
  return text;
}
