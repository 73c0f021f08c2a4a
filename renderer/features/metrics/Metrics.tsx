/**
 * The app's Metrics tab: requests per second by status class, latency percentiles, and CPU and
 * memory per process type, drawn live with uPlot, with the app's releases marked on the time axis
 * so a bad deploy shows at a glance; the latest figures per process in a table.
 */
import { useMemo, useState, type ReactNode } from 'react';
import type { AppMetrics } from '../../../main/contract/metrics';
import { Empty, Notice } from '../../src/ui/common';
import { Chart, type Line } from './Chart';
import { hasData, latencyColumns, RANGE_SECONDS, requestColumns, usageColumns, type Range } from './series';
import { useMetrics } from './store';
import './metrics.css';

const RANGES: { range: Range; label: string }[] = [
  { range: 'live', label: 'Last 10 minutes, live' },
  { range: 'hour', label: 'Last hour' },
  { range: 'day', label: 'Last 24 hours' },
];

const STATUS_LINES: Line[] = [
  { label: '2xx', color: '#1f9d55' },
  { label: '3xx', color: '#3f7ef6' },
  { label: '4xx', color: '#b07800' },
  { label: '5xx', color: '#d64545' },
];
const LATENCY_LINES: Line[] = [
  { label: 'p50', color: '#3f7ef6' },
  { label: 'p95', color: '#b07800' },
  { label: 'p99', color: '#d64545' },
];
const PALETTE = ['#3f7ef6', '#1f9d55', '#8a4fd6', '#b07800', '#d64545', '#0f8a9d', '#6b7489'];
const typeLines = (labels: string[]): Line[] =>
  labels.map((label, i) => ({ label, color: PALETTE[i % PALETTE.length]! }));

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
const ms = (n: number | undefined) => (n === undefined ? '—' : `${n} ms`);

function Current({ m }: { m: AppMetrics }) {
  const c = m.current;
  return (
    <div className="facts" data-testid="metrics-current">
      <div className="fact">
        <div className="fact-label">Requests / s (last {c.window_seconds} s)</div>
        <div className="fact-value">{c.requests_per_second}</div>
      </div>
      <div className="fact">
        <div className="fact-label">By status</div>
        <div className="fact-value small">
          {STATUS_LINES.map((l) => `${l.label} ${c.requests[l.label as keyof typeof c.requests]}`).join(
            ' · ',
          )}
        </div>
      </div>
      <div className="fact">
        <div className="fact-label">Latency p50 / p95 / p99</div>
        <div className="fact-value small">
          {c.latency_ms ? `${ms(c.latency_ms.p50)} / ${ms(c.latency_ms.p95)} / ${ms(c.latency_ms.p99)}` : '—'}
        </div>
      </div>
      <div className="fact">
        <div className="fact-label">Bytes out</div>
        <div className="fact-value small">{(c.bytes_out / 1024).toFixed(1)} KiB</div>
      </div>
    </div>
  );
}

function Processes({ m }: { m: AppMetrics }) {
  if (m.current.processes.length === 0)
    return (
      <Empty>
        No process is running, so there is no CPU or memory to show. Scale a process type up on the Overview.
      </Empty>
    );
  return (
    <table className="table" data-testid="metrics-processes">
      <caption className="sr-only">CPU and memory of each process</caption>
      <thead>
        <tr>
          <th scope="col">Process</th>
          <th scope="col">Type</th>
          <th scope="col">CPU</th>
          <th scope="col">Memory</th>
        </tr>
      </thead>
      <tbody>
        {m.current.processes.map((p) => (
          <tr key={p.name}>
            <td className="mono">{p.name}</td>
            <td>{p.type}</td>
            <td>{p.cpu_percent === null ? 'measuring…' : `${p.cpu_percent.toFixed(1)} %`}</td>
            <td>{mib(p.memory_bytes)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** A chart's place while its time range has nothing to draw: its title and why it is empty. */
function EmptyChart(props: { title: string; testId: string; children: ReactNode }) {
  return (
    <figure className="chart chart-empty" data-testid={props.testId}>
      <figcaption className="chart-title">{props.title}</figcaption>
      <Empty>{props.children}</Empty>
    </figure>
  );
}

export function Metrics({ app }: { app: string }) {
  const [range, setRange] = useState<Range>('live');
  const { metrics: m, releases, error, now } = useMetrics(app, range);
  const charts = useMemo(() => {
    if (!m) return null;
    const cpu = usageColumns(m, range, now, 'cpu');
    const memory = usageColumns(m, range, now, 'memory');
    return {
      requests: requestColumns(m, range, now),
      latency: latencyColumns(m, range, now),
      cpu,
      memory,
      types: typeLines(Object.keys(cpu.lines)),
    };
  }, [m, range, now]);
  const span: [number, number] = [now - RANGE_SECONDS[range], now];

  return (
    <>
      <div className="metrics-toolbar">
        <div className="segmented" role="radiogroup" aria-label="Time range">
          {RANGES.map((r) => (
            <button
              key={r.range}
              type="button"
              role="radio"
              aria-checked={range === r.range}
              className={range === r.range ? 'segment active' : 'segment'}
              onClick={() => setRange(r.range)}
            >
              {r.label}
            </button>
          ))}
        </div>
        <span className="muted small">Dashed lines mark releases.</span>
      </div>
      {error && <Notice kind="error">{error}</Notice>}
      {!m || !charts ? (
        !error && <Empty>Reading the app's figures…</Empty>
      ) : !m.collected ? (
        <Notice kind="info">
          The target this app runs on does not collect metrics yet; apps on the Docker engine have them.
        </Notice>
      ) : (
        <>
          <Current m={m} />
          <div className="charts">
            {hasData(charts.requests) ? (
              <Chart
                title="Requests per second by status"
                unit="req/s"
                lines={STATUS_LINES}
                columns={charts.requests}
                range={span}
                markers={releases}
                testId="chart-requests"
              />
            ) : (
              <EmptyChart title="Requests per second by status" testId="chart-requests-empty">
                No requests in this time range. Open the app's URL or send it some traffic: requests show up
                here within a few seconds.
              </EmptyChart>
            )}
            {hasData(charts.latency) ? (
              <Chart
                title="Response time"
                unit="ms"
                lines={LATENCY_LINES}
                columns={charts.latency}
                range={span}
                markers={releases}
                testId="chart-latency"
              />
            ) : (
              <EmptyChart title="Response time" testId="chart-latency-empty">
                Percentiles of the response time appear with the first requests.
              </EmptyChart>
            )}
            {charts.cpu.x.length > 0 ? (
              <>
                <Chart
                  title="CPU by process type"
                  unit="% of a core"
                  lines={charts.types}
                  columns={charts.cpu}
                  range={span}
                  markers={releases}
                  testId="chart-cpu"
                />
                <Chart
                  title="Memory by process type"
                  unit="MiB"
                  lines={charts.types}
                  columns={charts.memory}
                  range={span}
                  markers={releases}
                  testId="chart-memory"
                />
              </>
            ) : (
              <EmptyChart title="CPU and memory by process type" testId="chart-usage-empty">
                No CPU or memory figures in this time range: they are read every{' '}
                {m.interval_seconds.processes} s while processes run.
              </EmptyChart>
            )}
          </div>
          <h3>Processes now</h3>
          <Processes m={m} />
        </>
      )}
    </>
  );
}
