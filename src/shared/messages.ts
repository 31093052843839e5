/**
 * Hub messages, carried inside the pool's `{ t: 'hub', m }` envelope. Named by
 * direction like the pool protocol: requests go worker → main, answers main →
 * worker. Keys are short because a busy Queue sends one of these per item.
 */
import type { WireError } from './errors.js';

/** Worker → main. */
export type HubRequest =
  /** Apply operation `op` with arguments `a` to object `o`; answer with request id `r`. */
  | { k: 'q'; r: number; o: number; op: string; a: unknown[] }
  /** Delivery `d` reached the worker: the item is the worker's now, do not put it back. */
  | { k: 'ack'; d: number }
  /** The caller's AbortSignal fired: withdraw request `r` if it is still waiting (it is answered either way). */
  | { k: 'x'; r: number };

/** Main → worker. */
export type HubAnswer =
  /** Request `r` succeeded with `v`. `d`, when set, must be acknowledged at once. */
  | { k: 'r'; r: number; v: unknown; d?: number }
  | { k: 'e'; r: number; e: WireError };
