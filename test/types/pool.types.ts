/**
 * Compile-time checks of the public generics, run with `tsc --noEmit -p test/types`.
 * Every `@ts-expect-error` line must fail to compile, or tsc reports the directive as unused.
 */
import { Pool, type AsyncResult } from 'forkpool';
import type * as tasks from '../fixtures/basic.ts';

const pool = new Pool<typeof tasks>(new URL('../fixtures/basic.ts', import.meta.url));

export async function typed(): Promise<void> {
  const n: number = await pool.apply('double', [2]);
  const s: number = await pool.apply('add', [1, 2]);
  const r: AsyncResult<number> = pool.applyAsync('double', [1], { callback: (v: number) => void v });
  // An async callback is part of the type (the pool awaits it).
  pool.applyAsync('double', [1], { callback: async (v: number) => { await Promise.resolve(v); }, errorCallback: async () => {} });
  // A callback that returns something (Array#push's length, a saved record) is fine: the value is ignored.
  const saved: number[] = [];
  pool.applyAsync('double', [1], { callback: (v) => saved.push(v), errorCallback: (e) => saved.push(String(e).length) });
  pool.mapAsync('double', [1], { callback: (vs) => saved.push(...vs) });
  // The result type still reaches the callback.
  // @ts-expect-error: a number result is not a string
  pool.applyAsync('double', [1], { callback: (v: string) => v });
  const list: number[] = await pool.map('double', [1, 2, 3]);
  const star: number[] = await pool.starmap('add', [[1, 2]]);
  for await (const v of pool.imap('double', [1])) { const x: number = v; void x; }
  // An AsyncResult is a Promise: it goes wherever one is expected, and then() gives a plain Promise.
  const asPromise: Promise<number> = pool.applyAsync('double', [1]);
  const chained: Promise<string> = pool.applyAsync('double', [1]).then((v) => String(v));
  const both: [number, number[]] = await Promise.all([pool.applyAsync('double', [1]), pool.mapAsync('double', [1, 2])]);
  // mapAsync takes a journal, as map does.
  const journaledAsync: AsyncResult<number[]> = pool.mapAsync('double', [1], { journal: 'run.journal', callback: (v: number[]) => void v });
  void n; void s; void r; void list; void star; void asPromise; void chained; void both; void journaledAsync;

  // @ts-expect-error — not an export of the module
  await pool.apply('nope', []);
  // @ts-expect-error — wrong argument type
  await pool.apply('double', ['two']);
  // @ts-expect-error — missing argument
  await pool.apply('add', [1]);
  // @ts-expect-error — the result is a number, not a string
  const wrong: string = await pool.apply('double', [2]);
  // @ts-expect-error — an AsyncResult's value is typed too
  const wrongAsync: Promise<string> = pool.applyAsync('double', [1]);
  void wrongAsync;
  // @ts-expect-error — a misspelt option (the pool also refuses it at run time)
  await pool.apply('double', [1], { timout: 100 });
  // @ts-expect-error — imap's options have no `ordered` (imapSettled's do)
  pool.imap('double', [1], { ordered: true });
  // @ts-expect-error — map items must be the first parameter's type
  await pool.map('double', ['a']);
  // @ts-expect-error — starmap elements must be argument lists
  await pool.starmap('add', [1, 2]);
  void wrong;

  // Without a module type, any name and arguments are accepted.
  const loose = new Pool('x.mjs');
  const anything: unknown = await loose.apply('whatever', [1, 'a']);
  void anything;
}
