/**
 * Compile-time checks of `transfer` (single calls only: ArrayBuffers and
 * MessagePorts) and `move()` (its value keeps its type for the caller).
 */
import { MessageChannel } from 'node:worker_threads';
import { Pool } from 'forkpool';
import { currentTask, move } from 'forkpool/worker';
import type * as tasks from '../fixtures/basic.ts';

const pool = new Pool<typeof tasks>(new URL('../fixtures/basic.ts', import.meta.url), { concurrentTasksPerWorker: 4 });

export async function transfers(): Promise<void> {
  const buf = new ArrayBuffer(8);
  const { port1 } = new MessageChannel();
  const n: number = await pool.apply('double', [2], { transfer: [buf, port1] });
  pool.applyAsync('double', [2], { transfer: [buf], callback: (v: number) => void v });
  void n;

  // @ts-expect-error — a typed array is not transferable: list its .buffer
  await pool.apply('double', [2], { transfer: [new Uint8Array(8)] });
  // @ts-expect-error — a map's items travel in many messages: no transfer there
  await pool.map('double', [1], { transfer: [buf] });
  // @ts-expect-error — concurrentTasksPerWorker is a number
  void new Pool('x.mjs', { concurrentTasksPerWorker: '4' });

  // move() hands back the value's own type, which is what the caller receives.
  const bytes: Uint8Array = move(new Uint8Array(4), [buf]);
  // @ts-expect-error — move() lists ArrayBuffers and MessagePorts only
  move(bytes, [bytes]);
}

// currentTask(): `key` is a string on a distributed pool and undefined locally.
{
  const ctx = currentTask();
  const key: string | undefined = ctx.key;
  const attempt: number = ctx.attempt;
  void key; void attempt;
  // @ts-expect-error key may be undefined (local pools)
  const sure: string = ctx.key;
  void sure;
}
