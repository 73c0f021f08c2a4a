/**
 * One time-series chart drawn by uPlot: lines by label, the app's releases marked as dashed
 * vertical lines with their version, sized to its container. The numbers it draws are also in the
 * legend (uPlot's, which follows the cursor) and in the tab's tables, for whoever cannot see it.
 */
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { Columns } from './series';

export interface Line {
  label: string;
  color: string;
}

export interface Marker {
  /** Seconds since the epoch. */
  at: number;
  label: string;
}

const HEIGHT = 200;

/** Draws each release as a dashed line with its version at the top. */
function markersPlugin(markers: () => Marker[]): uPlot.Plugin {
  return {
    hooks: {
      draw: (u) => {
        const ctx = u.ctx;
        const { left, top, width, height } = u.bbox;
        ctx.save();
        ctx.strokeStyle = '#6b7489';
        ctx.fillStyle = '#3a4256';
        ctx.lineWidth = 1 * uPlot.pxRatio;
        ctx.setLineDash([4 * uPlot.pxRatio, 4 * uPlot.pxRatio]);
        ctx.font = `${11 * uPlot.pxRatio}px system-ui, sans-serif`;
        for (const m of markers()) {
          const x = Math.round(u.valToPos(m.at, 'x', true));
          if (x < left || x > left + width) continue;
          ctx.beginPath();
          ctx.moveTo(x, top);
          ctx.lineTo(x, top + height);
          ctx.stroke();
          ctx.fillText(m.label, x + 3 * uPlot.pxRatio, top + 12 * uPlot.pxRatio);
        }
        ctx.restore();
      },
    },
  };
}

export function Chart(props: {
  title: string;
  unit: string;
  lines: Line[];
  columns: Columns;
  range: [number, number];
  markers: Marker[];
  testId: string;
}) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const markers = useRef(props.markers);
  markers.current = props.markers;
  const range = useRef(props.range);
  range.current = props.range;
  const shape = props.lines.map((l) => l.label).join('|');

  const data = (): uPlot.AlignedData => [
    props.columns.x,
    ...props.lines.map((l) => props.columns.lines[l.label] ?? props.columns.x.map(() => null)),
  ];

  // A new set of lines (a process type appeared) is a new chart; new figures are new data.
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const unit = props.unit;
    const opts: uPlot.Options = {
      width: Math.max(el.clientWidth, 300),
      height: HEIGHT,
      plugins: [markersPlugin(() => markers.current)],
      scales: {
        x: { time: true, range: () => range.current },
        y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] },
      },
      series: [
        {},
        ...props.lines.map((l) => ({
          label: l.label,
          stroke: l.color,
          width: 2,
          spanGaps: false,
          points: { show: false },
          value: (_u: uPlot, v: number | null) => (v === null ? '—' : `${v} ${unit}`),
        })),
      ],
      axes: [
        { stroke: '#3a4256', grid: { stroke: '#e3e7ef' }, ticks: { stroke: '#e3e7ef' } },
        {
          stroke: '#3a4256',
          grid: { stroke: '#e3e7ef' },
          ticks: { stroke: '#e3e7ef' },
          size: 56,
          values: (_u, splits) => splits.map((v) => `${+v.toFixed(2)}`),
        },
      ],
      legend: { live: true },
      cursor: { drag: { x: false, y: false } },
    };
    const u = new uPlot(opts, data(), el);
    plot.current = u;
    const resize = new ResizeObserver(() =>
      u.setSize({ width: Math.max(el.clientWidth, 300), height: HEIGHT }),
    );
    resize.observe(el);
    return () => {
      resize.disconnect();
      u.destroy();
      plot.current = null;
    };
    // Rebuilt only when its lines change; new data and markers go through setData and refs.
  }, [shape, props.unit]);

  useEffect(() => {
    plot.current?.setData(data(), true);
  }, [props.columns, props.range, props.markers]);

  return (
    <figure className="chart" data-testid={props.testId} data-points={props.columns.x.length}>
      <figcaption className="chart-title">
        {props.title} <span className="muted small">({props.unit})</span>
      </figcaption>
      <div ref={box} className="chart-plot" />
    </figure>
  );
}
