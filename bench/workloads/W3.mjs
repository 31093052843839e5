// W3 bulk map: 1,000,000 items x -> x*2, items/s. A pool with its own map
// uses it with its default chunksize; the others get hand-made chunks of
// 1,000. Chunking and flattening are inside the timed window: a user pays them.
import { withPool, range, check } from './common.mjs';
import { elapsedNs, seconds } from '../lib/stats.mjs';

function chunks(items, size) {
  const out = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export async function run(create, sizes) {
  return withPool(create, 2, async (pool) => {
    const items = range(sizes.w3Items);
    const t0 = process.hrtime.bigint();
    const out = pool.map
      ? await pool.map('double', items)
      : (await pool.runMany('doubleChunk', chunks(items, sizes.w3Chunk))).flat();
    const s = seconds(elapsedNs(t0));
    check(out.length === items.length && out[12345] === 24690 && out.at(-1) === 2 * items.at(-1), 'doubled items');
    return { itemsPerSec: items.length / s, batching: pool.map ? 'own map' : `hand chunks of ${sizes.w3Chunk}` };
  });
}
