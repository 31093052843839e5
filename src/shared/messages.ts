/**
 * Hub messages, carried inside the pool's `{ t: 'hub', m }` envelope. Named by
 * direction like the pool protocol: requests go worker → main, answers (and
 * notices) main → worker. Keys are short because a busy Queue sends one of
 * these per item. Messages made in one turn travel together as one batch
 * (`k: 'b'`), so a producer's window of 64 puts costs one write and one frame, not 64.
 */
import type { WireError } from './errors.js';

/** Counters in a worker's take log: one per Queue it reads ahead of; past that, it falls back to acknowledgements. */
export const TAKE_LOG_SLOTS = 4096;

/** Worker → main. */
export type HubRequest =
  /**
   * Apply operation `op` with arguments `a` to object `o`; answer with request
   * id `r`. Queue operations only workers send: `take`/`fill` (read-ahead, see
   * state/queue.ts), `puts` (consecutive puts of one turn), `reclaimed`. `t`:
   * the calling task, from a worker running several at once (who holds a
   * lock: `Reply.holder` in hub/reply.ts).
   */
  | { k: 'q'; r: number; o: number; op: string; a: unknown[]; t?: number }
  /** Apply `op` and send no answer (a Pipe `send` whose outcome the worker already knows). */
  | { k: 'n'; o: number; op: string; a: unknown[] }
  /** Delivery `d` reached the worker: the item is the worker's now, do not put it back. */
  | { k: 'ack'; d: number }
  /** The caller's AbortSignal fired: withdraw request `r` if it is still waiting (it is answered either way). */
  | { k: 'x'; r: number }
  /**
   * This worker's take log (see `objects/take-log.ts`): a SharedArrayBuffer
   * (thread); or (process) the worker's pid and descriptor of the file, already
   * unlinked, for the hub to open as /proc/<pid>/fd/<fd>, or without /proc its
   * path, to open and unlink.
   */
  | { k: 'tl'; b?: SharedArrayBuffer; p?: string; pid?: number; fd?: number }
  /**
   * A task ended (returned or threw): sent just before its result. `q`: per
   * JoinableQueue `[object id, lent items taken in all, ...numbers of the
   * items the task that just ended holds]` whose items that task's code took.
   * Those items are no longer put back if this worker dies (state/queue-owed.ts).
   */
  | { k: 'te'; q: number[][] }
  /** Several of the above, made in one turn (a producer's window of puts), applied in order. */
  | { k: 'b'; m: HubRequest[] };

/** Main → worker. */
export type HubAnswer =
  /** Request `r` succeeded with `v`. `d`, when set, must be acknowledged at once. */
  | { k: 'r'; r: number; v: unknown; d?: number }
  | { k: 'e'; r: number; e: WireError }
  /** Unasked: object `o` tells this worker's proxies something (`v`: what, per kind of object). */
  | { k: 'o'; o: number; v: unknown }
  /** Several answers to one worker from one turn of the hub, in order. */
  | { k: 'b'; m: HubAnswer[] };

/** A worker as the hub sees it (main side). */
export interface HubPeer {
  /** Stable for the life of the worker, e.g. `w3`. Must be unique in the process, across pools. */
  readonly id: string;
  /** Sends one hub message to this worker. */
  send(message: unknown): void;
}
