// Workload sizes. FULL is issue 5 exactly; QUICK is a smoke run that only
// proves every pair works (its figures are not comparable).

export const FULL = {
  w1Tasks: 20_000,
  w2Tasks: 2_000,
  w3Items: 1_000_000,
  w3Chunk: 1_000,
  w5Tasks: 40,
  w5Grains: [27, 32],
  w6StringBytes: 100 * 1024,
  w6StringCount: 2_000,
  w6BinaryBytes: 1024 * 1024,
  w6BinaryCount: 200,
};

export const QUICK = {
  ...FULL,
  w1Tasks: 2_000,
  w2Tasks: 200,
  w3Items: 100_000,
  w5Tasks: 8,
  w5Grains: [20, 25],
  w6StringCount: 100,
  w6BinaryCount: 10,
};

export const sizesFor = (quick) => (quick ? QUICK : FULL);
