/**
 * metrics — a Deis Desktop extension: how an app answers (requests by status class, latency, bytes
 * out over the last minute) and what each of its processes uses (CPU, memory), as a compact table,
 * or the API's whole answer with --json.
 */
import type { AppMetrics } from '../../contract/metrics';
import { APP_OPTION, type Command, type Topic } from '../command';
import { renderTable } from '../table';

/** 1536 → "1.5 KiB": binary units, one decimal below 10. */
export function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

export function formatMetrics(m: AppMetrics): string {
  let text = `=== ${m.app} Metrics (last ${m.current.window_seconds}s)\n`;
  if (!m.collected) return `${text}This app's target does not collect metrics yet.\n`;
  const r = m.current.requests;
  const l = m.current.latency_ms;
  text += renderTable(
    ['REQ/S', '2XX', '3XX', '4XX', '5XX', 'P50', 'P95', 'P99', 'BYTES OUT'],
    [
      [
        String(m.current.requests_per_second),
        String(r['2xx']),
        String(r['3xx']),
        String(r['4xx']),
        String(r['5xx']),
        l ? `${l.p50} ms` : '-',
        l ? `${l.p95} ms` : '-',
        l ? `${l.p99} ms` : '-',
        bytes(m.current.bytes_out),
      ],
    ],
  );
  text += '\n';
  if (m.current.processes.length === 0) return `${text}No process is running.\n`;
  text += renderTable(
    ['PROCESS', 'TYPE', 'CPU', 'MEMORY'],
    m.current.processes.map((p) => [
      p.name,
      p.type,
      p.cpu_percent === null ? '-' : `${p.cpu_percent}%`,
      bytes(p.memory_bytes),
    ]),
  );
  return text;
}

const show: Command = {
  name: 'metrics:list',
  summary: "show an app's requests, latency, CPU and memory",
  description:
    'Shows how an application answers over the last minute (requests by status class, response time\npercentiles, bytes sent) and the CPU and memory each of its processes uses.',
  options: [APP_OPTION, { long: 'json', help: "print the API's whole answer (history included) as JSON." }],
  async run(ctx, input) {
    const app = ctx.app(input);
    const m = await ctx.client().get<AppMetrics>(`/v2/apps/${app}/metrics/`);
    if (input.flag('json')) ctx.out.print(`${JSON.stringify(m, null, 2)}\n`);
    else ctx.out.print(formatMetrics(m));
  },
};

export const metricsTopic: Topic = {
  name: 'metrics',
  summary: "view an app's requests, latency, CPU and memory",
  commands: [show],
  defaultCommand: 'metrics:list',
};
