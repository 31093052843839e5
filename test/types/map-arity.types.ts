/**
 * `map` and its lazy kin pass one argument per item: a task that needs more
 * must not compile with them (the error names `starmap`), while a task whose
 * further parameters are optional still does. A misspelled name lists the
 * valid ones (checked in map-arity.test.ts, which reads tsc's message).
 */
import { Pool, type NeedsStarmap } from 'forkpool';

interface Tasks {
  hash(data: string, rounds: number): string;
  hashMaybe(data: string, rounds?: number): string;
  sum(first: number, ...rest: number[]): number;
  none(): number;
  maybe(x?: number): number;
  [other: symbol]: unknown;
}

const pool = new Pool<Tasks>('tasks.mjs');

export async function arity(): Promise<void> {
  // Optional or rest parameters after the first: map passes one argument, fine.
  const a: string[] = await pool.map('hashMaybe', ['x']);
  const b: number[] = await pool.map('sum', [1, 2]);
  const c: number[] = await pool.map('none', [undefined]);
  const d: number[] = await pool.map('maybe', [1, undefined]);
  for await (const v of pool.imap('hashMaybe', ['x'])) { const s: string = v; void s; }
  for await (const s of pool.imapSettled('hashMaybe', ['x'])) { if (s.ok) { const v: string = s.value; void v; } }
  void a; void b; void c; void d;

  // Two required parameters: starmap, or imapSettled with spread.
  const e: string[] = await pool.starmap('hash', [['x', 2]]);
  for await (const s of pool.imapSettled('hash', [['x', 2]], { spread: true })) { if (s.ok) { const v: string = s.value; void v; } }
  void e;

  // @ts-expect-error — hash needs two arguments: map cannot call it
  await pool.map('hash', ['x']);
  // @ts-expect-error — the same for mapAsync
  pool.mapAsync('hash', ['x']);
  // @ts-expect-error — and for imap
  pool.imap('hash', ['x']);
  // @ts-expect-error — and for imapUnordered
  pool.imapUnordered('hash', ['x']);
  // @ts-expect-error — and for imapSettled without spread
  pool.imapSettled('hash', ['x']);
  // @ts-expect-error — argument lists need spread: true
  pool.imapSettled('hash', [['x', 2]]);
  // @ts-expect-error — with spread, items are argument lists of the right types
  pool.imapSettled('hash', [['x', 'two']], { spread: true });
  // @ts-expect-error — a misspelled name
  await pool.map('hsah', ['x']);

  // The message type names starmap and the task.
  const msg: NeedsStarmap<'hash'> = "hash() needs more than one argument: call starmap('hash', [[a, b], …]) instead";
  void msg;
}
