/**
 * Small CPU and memory charts per process type on the overview, for the last minutes (the metrics
 * API's in-memory samples), drawn by uPlot and asked for again every few seconds. Each one says its
 * current value in text beside it, and to screen readers as the chart's label.
 */
import { useEffect, useRef, useState } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { AppMetrics } from '../../../main/contract/metrics';
import { get, messageOf } from '../../src/api';
import { AppMetricsSchema } from '../metrics/store';
import { usageColumns, type Columns } from '../metrics/series';
import './sparklines.css';

/** How often the overview asks again: the core samples processes every few seconds. */
const REFRESH_MS = 5_000;
const WIDTH = 140;
const HEIGHT = 32;

function Sparkline(props: {
  x: number[];
  y: (number | null)[];
  color: string;
  label: string;
  testId: string;
}) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const data = (): uPlot.AlignedData => [props.x, props.y];
  useEffect(() => {
    if (!box.current) return;
    const u = new uPlot(
      {
        width: WIDTH,
        height: HEIGHT,
        pxAlign: false,
        cursor: { show: false },
        legend: { show: false },
        select: { show: false, left: 0, top: 0, width: 0, height: 0 },
        scales: { x: { time: false }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] } },
        axes: [{ show: false }, { show: false }],
        series: [{}, { stroke: props.color, width: 1.5, fill: `${props.color}22`, points: { show: false } }],
      },
      data(),
      box.current,
    );
    plot.current = u;
    return () => {
      u.destroy();
      plot.current = null;
    };
  }, [props.color]);
  useEffect(() => {
    plot.current?.setData(data(), true);
  }, [props.x, props.y]);
  return (
    <div
      ref={box}
      className="sparkline"
      role="img"
      aria-label={props.label}
      data-testid={props.testId}
      data-points={props.x.length}
    />
  );
}

const last = (v: (number | null)[]): number | null => {
  for (let i = v.length - 1; i >= 0; i--) if (v[i] !== null && v[i] !== undefined) return v[i]!;
  return null;
};

export function Sparklines({ app }: { app: string }) {
  const [metrics, setMetrics] = useState<AppMetrics | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [now, setNow] = useState(() => Date.now() / 1000);
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = async () => {
      try {
        const m = await get(`/v2/apps/${encodeURIComponent(app)}/metrics/?minutes=10`, AppMetricsSchema);
        if (stopped) return;
        setMetrics(m);
        setError(null);
        setNow(Date.now() / 1000);
      } catch (err) {
        if (!stopped) setError(messageOf(err));
      }
      if (!stopped) timer = setTimeout(() => void tick(), REFRESH_MS);
    };
    void tick();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [app]);

  if (error) return <p className="muted small">Usage is not available: {error}</p>;
  if (!metrics) return <p className="muted small">Reading the processes' use of CPU and memory…</p>;
  if (!metrics.collected)
    return <p className="muted small">This app's target does not report CPU and memory yet.</p>;
  const cpu: Columns = usageColumns(metrics, 'live', now, 'cpu');
  const memory: Columns = usageColumns(metrics, 'live', now, 'memory');
  const types = Object.keys(cpu.lines);
  if (types.length === 0)
    return (
      <p className="muted small">No process has reported its use of CPU and memory in the last minutes.</p>
    );
  return (
    <table className="sparklines" data-testid="usage-sparklines">
      <caption className="sr-only">CPU and memory per process type, last 10 minutes</caption>
      <thead>
        <tr>
          <th scope="col">Type</th>
          <th scope="col">CPU (% of one core)</th>
          <th scope="col">Memory</th>
        </tr>
      </thead>
      <tbody>
        {types.map((type) => {
          const c = last(cpu.lines[type]!);
          const m = last(memory.lines[type]!);
          const cpuText = c === null ? 'not measured yet' : `${c.toFixed(1)} %`;
          const memText = m === null ? 'not measured yet' : `${m.toFixed(1)} MiB`;
          return (
            <tr key={type}>
              <th scope="row" className="mono">
                {type}
              </th>
              <td>
                <span className="spark-cell">
                  <Sparkline
                    x={cpu.x}
                    y={cpu.lines[type]!}
                    color="#2f6fdb"
                    label={`${type} CPU now: ${cpuText}`}
                    testId={`spark-cpu-${type}`}
                  />
                  <span className="spark-value">{cpuText}</span>
                </span>
              </td>
              <td>
                <span className="spark-cell">
                  <Sparkline
                    x={memory.x}
                    y={memory.lines[type]!}
                    color="#8a4fd1"
                    label={`${type} memory now: ${memText}`}
                    testId={`spark-memory-${type}`}
                  />
                  <span className="spark-value">{memText}</span>
                </span>
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
