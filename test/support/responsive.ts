/**
 * "The core stays responsive": while some hostile work runs, /healthz is asked every 100 ms and must
 * answer each time within a second. Not a benchmark — a second is ~1000× what an idle core needs; a
 * probe that waits longer means the event loop was blocked (or sockets ran out) for that long.
 */
import http from 'node:http';

export const PROBE_LIMIT_MS = 1000;

function probe(url: string): Promise<number> {
  const started = Date.now();
  return new Promise((resolve) => {
    // A fresh connection each time: a refused or stalled accept is part of what is checked.
    const req = http.get(`${url}/healthz`, { agent: false, timeout: PROBE_LIMIT_MS * 5 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 200 ? Date.now() - started : Infinity));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(Infinity));
  });
}

export interface ProbeReport {
  /** How many probes answered. */
  probes: number;
  /** The slowest answer in ms (Infinity when one failed or timed out). */
  slowestMs: number;
}

/**
 * Runs `work` while probing `url`; resolves with `work`'s result and the probes' report, which
 * counts every probe made until `work` ended (at least one).
 */
export async function whileProbing<T>(url: string, work: () => Promise<T>): Promise<[T, ProbeReport]> {
  const report: ProbeReport = { probes: 0, slowestMs: 0 };
  let done = false;
  const loop = (async () => {
    do {
      const ms = await probe(url);
      report.probes++;
      report.slowestMs = Math.max(report.slowestMs, ms);
      if (!done) await new Promise((r) => setTimeout(r, 100));
    } while (!done);
  })();
  let result: T;
  try {
    result = await work();
  } finally {
    done = true;
    await loop;
  }
  return [result, report];
}
