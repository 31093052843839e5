/** The chaos suites' fault plans: a seeded mix of faults, replayable with CHAOS_SEED. */

export type FaultKind = 'ok' | 'kill' | 'exit' | 'throw' | 'hang' | 'oom';

/** Small deterministic PRNG (mulberry32) so a failing seed can be replayed. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` kinds drawn from `mix` (probability per fault kind, the rest `ok`); the first `healthy` are all `ok`. */
export function faultPlan(seed: number, count: number, mix: Partial<Record<FaultKind, number>>, healthy = 0): FaultKind[] {
  const rnd = prng(seed);
  return Array.from({ length: count }, (_, i) => {
    if (i < healthy) return 'ok';
    let x = rnd();
    for (const [kind, p] of Object.entries(mix) as Array<[FaultKind, number]>) {
      if (x < p) return kind;
      x -= p;
    }
    return 'ok';
  });
}
