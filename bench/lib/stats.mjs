export function median(xs) {
  return percentile(xs, 50);
}

// Nearest-rank percentile: an actual sample, never an interpolation.
export function percentile(xs, p) {
  const sorted = [...xs].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

export const seconds = (ns) => Number(ns) / 1e9;
export const elapsedNs = (t0) => Number(process.hrtime.bigint() - t0);
