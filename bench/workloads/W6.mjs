// W6 payload: echo a 100 KB string x 2,000 and a 1 MB Uint8Array x 200,
// MB/s per direction (MB = 10^6 bytes). The typed array must come back as a
// typed array with the same bytes; a pool that turns it into something else
// is reported as 'wrong type' after ONE round trip, because JSON-IPC pools
// take seconds per megabyte and would stall the suite.
import { withPool, check } from './common.mjs';
import { elapsedNs, seconds } from '../lib/stats.mjs';

const describe = (v) => (v === null || typeof v !== 'object' ? typeof v : v.constructor?.name ?? 'Object');

function sameBytes(a, b) {
  if (!ArrayBuffer.isView(a) || a instanceof DataView || a.byteLength !== b.byteLength) return false;
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

async function timed(fn) {
  const t0 = process.hrtime.bigint();
  const value = await fn();
  return { value, s: seconds(elapsedNs(t0)) };
}

async function strings(pool, sizes) {
  const text = 'forkpool'.repeat(sizes.w6StringBytes / 8);
  const { value, s } = await timed(() => pool.runMany('echo', Array(sizes.w6StringCount).fill(text)));
  check(value.every((v) => v === text), 'echoed string');
  return (sizes.w6StringCount * text.length) / s / 1e6;
}

async function binary(pool, sizes) {
  const bytes = new Uint8Array(sizes.w6BinaryBytes).map((_, i) => (i * 31) & 0xff);
  const first = await timed(() => pool.run('echo', bytes));
  if (!sameBytes(first.value, bytes)) {
    return { binaryMBps: 'wrong type', binaryReturned: describe(first.value), wrongTypeMBps: bytes.length / first.s / 1e6 };
  }
  const { value, s } = await timed(() => pool.runMany('echo', Array(sizes.w6BinaryCount).fill(bytes)));
  check(value.every((v) => sameBytes(v, bytes)), 'echoed bytes');
  return { binaryMBps: (sizes.w6BinaryCount * bytes.length) / s / 1e6, binaryReturned: describe(first.value) };
}

export async function run(create, sizes) {
  return withPool(create, 2, async (pool) => ({ stringMBps: await strings(pool, sizes), ...(await binary(pool, sizes)) }));
}
