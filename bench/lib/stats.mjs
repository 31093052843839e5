export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

// Nearest-rank percentile: an actual sample, never an interpolation (p99 of
// 2,000 latencies is the 20th slowest).
export function percentile(xs, p) {
  const sorted = [...xs].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

export const seconds = (ns) => Number(ns) / 1e9;
export const elapsedNs = (t0) => Number(process.hrtime.bigint() - t0);
