/**
 * Pipe: two connected ends. Each end can be used in the main process or passed
 * to one task; an end taken by a worker closes when that worker exits, so
 * `recv` on the other end rejects with EOFError instead of hanging.
 */
import { standaloneToken } from '../hub/collect.js';
import { checkOptionKeys, checkTimeout, type WaitOptions } from '../options.js';
import { SharedObject, createLocal, type Ref } from './ref.js';
import { PipeState } from '../state/pipe.js';
import { invalidArg, show } from '../../errors.js';
import { encodeValue } from '../codec.js';
import { flushNow, onNotice, post } from './worker-link.js';

/**
 * What a worker knows of a Pipe's ends: which are closed and why. It learns
 * that from the answer to `take` and then from the hub's notices, which
 * travel in order with every other answer, so from then on `send` is checked
 * here and written without waiting for an answer, as Python's send is: one
 * message per value instead of a round trip. A send racing with a close of
 * the other end is dropped, as if it had happened just before the close
 * (a closed end's unread values are never read).
 */
interface View { known: boolean; readonly closed: [string | null, string | null] }
const views = new Map<number, View>();

function viewOf(id: number): View {
  let view = views.get(id);
  if (!view) {
    const v: View = (view = { known: false, closed: [null, null] });
    views.set(id, v);
    onNotice(id, (n) => {
      const { e, w } = (n ?? {}) as { e?: unknown; w?: unknown };
      if ((e === 0 || e === 1) && typeof w === 'string') v.closed[e] ??= w;
    });
  }
  return view;
}

export interface PipeOptions {
  /**
   * `true`: both ends send and receive. `false`: the first end only receives
   * and the second only sends, as in Python's `Pipe(duplex=False)`.
   * @default true
   */
  duplex?: boolean;
}

export class Connection<T = unknown> extends SharedObject {
  /** @internal Use `Pipe()`. */
  constructor(ref: Ref) {
    super(ref);
    // This worker now owns the end: its exit must close it (see state/pipe.ts).
    if (this.remote) {
      const view = viewOf(this.objectId);
      this.op('take', this.#end).then((v) => {
        const c = (v as { c?: unknown } | undefined)?.c;
        if (!Array.isArray(c)) return;
        for (const i of [0, 1] as const) if (typeof c[i] === 'string') view.closed[i] ??= c[i] as string;
        view.known = true;
      }, () => { /* reported by the next real call */ });
      // Written before the task that received this end can run: a task that
      // dies in its first synchronous turn (process.exit, a SIGKILL) would
      // otherwise take the `take` with it, and the other end's `recv` would
      // wait forever for an end the hub never knew this worker held.
      flushNow();
    }
  }

  get #end(): number { return this.info.end as number; }

  /** Whether this end can `send` / `recv` (false for the other direction of a one-way Pipe). */
  get writable(): boolean { return this.info.writable as boolean; }
  get readable(): boolean { return this.info.readable as boolean; }

  /** Sends a copy of `value` to the other end. PipeClosedError when either end is closed. */
  async send(value: T): Promise<void> {
    const view = this.remote ? views.get(this.objectId) : undefined;
    const i = this.#end;
    // Written without an answer only when it is known to succeed; anything
    // else asks the hub, so every error is the one it always was.
    if (view?.known && this.writable && !view.closed[0] && !view.closed[1]) {
      await post(this.objectId, 'send', [i, encodeValue(value).value]);
      return;
    }
    await this.op('send', i, value);
  }

  /**
   * The next value from the other end. Rejects with EOFError once the other
   * end is closed (or its worker died) and nothing is left to read, and with
   * RecvTimeoutError past `timeout`.
   */
  async recv(options?: WaitOptions): Promise<T> {
    return await this.waiting('recv', 'Connection.recv()', options, this.#end) as T;
  }

  /** True when `recv` would not wait (data, or EOF to report); waits up to `timeoutMs` (default 0; Infinity: until then). */
  async poll(timeoutMs = 0): Promise<boolean> {
    // Forever travels as Infinity: a missing timeout means "do not wait" to the hub.
    const timeout = checkTimeout(timeoutMs, 'Connection.poll()') ?? Infinity;
    return await this.op('poll', this.#end, timeout) as boolean;
  }

  /** Closes this end: the other end's `recv` gets EOF once it has read what was sent. */
  async close(): Promise<void> { await this.op('close', this.#end); }
}

/** Creates a pipe and returns its two ends. */
export function Pipe<T = unknown>(options?: PipeOptions): [Connection<T>, Connection<T>] {
  checkOptionKeys(options, 'Pipe()', ['duplex']);
  const duplex = options?.duplex ?? true;
  if (typeof duplex !== 'boolean') throw invalidArg(TypeError, `Expected \`duplex\` of Pipe() to be a boolean, got ${show(duplex)}`);
  let token: object | undefined;
  const owner = (id: number): object => (token ??= standaloneToken(id));
  const first = createLocal('conn', 'A Pipe', (id) => new PipeState(id, duplex), { end: 0, readable: true, writable: duplex }, owner);
  // Both ends share one hub object: make the second Ref for the same id.
  const second = sibling(first, { end: 1, readable: duplex, writable: true });
  return [new Connection<T>(first), new Connection<T>(second)];
}

function sibling(ref: Ref, info: Ref['info']): Ref {
  return { id: ref.id, kind: ref.kind, info, call: (op, args, signal) => ref.call(op, args, signal) };
}
