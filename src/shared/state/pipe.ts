/**
 * The state behind a Pipe: two ends, each with an inbox of messages sent by
 * the other end. An end taken by a worker belongs to it: when that worker
 * exits, the end closes, just as a process's file descriptors close when it
 * dies, so a `recv` on the other end gets EOF instead of hanging.
 */
import { EOFError, PipeClosedError, RecvTimeoutError } from '../errors.js';
import { Deque } from '../../util/deque.js';
import { checkTimeout, checkInt, unknownOp } from '../options.js';
import { MAIN, type HubObject, type Reply } from '../hub/reply.js';
import { notify } from '../hub/hub.js';
import { Waiters } from '../hub/waiters.js';
import { invalidArg } from '../../errors.js';

interface End {
  readonly inbox: Deque<unknown>;
  readonly receivers: Waiters<Reply>;
  readonly pollers: Waiters<Reply>;
  /** Why this end is closed, or undefined while open. */
  closed: string | undefined;
  /** The worker that took this end, if any. */
  owner: string | undefined;
  readonly canSend: boolean;
  readonly canRecv: boolean;
}

export class PipeState implements HubObject {
  readonly label: string;
  readonly #id: number;
  readonly #ends: [End, End];
  /** Workers that took an end: each is told when an end closes, so its sends can be checked locally (see objects/pipe.ts). */
  readonly #takers = new Set<string>();

  constructor(id: number, duplex: boolean) {
    this.label = `Pipe #${id}`;
    this.#id = id;
    // Python's Pipe(duplex=False): the first end only receives, the second only sends.
    this.#ends = [makeEnd(true, duplex), makeEnd(duplex, true)];
  }

  call(op: string, a: unknown[], reply: Reply): void {
    const i = checkInt(a[0], 'end', `${this.label}.${op}()`);
    if (i !== 0 && i !== 1) throw invalidArg(RangeError, `${this.label} has ends 0 and 1, got ${i}`);
    const end = this.#ends[i]!;
    const other = this.#ends[1 - i]!;
    const name = `end ${i} of ${this.label}`;
    switch (op) {
      case 'take':
        // A worker received this end in its arguments: it is that worker's from now on.
        if (reply.caller !== MAIN) {
          end.owner = reply.caller;
          this.#takers.add(reply.caller);
        }
        // What is closed now; later closes are notices, sent in order after this answer.
        return reply.ok({ c: [this.#ends[0].closed ?? null, this.#ends[1].closed ?? null] });
      case 'send':
        if (end.closed) throw new PipeClosedError(`send() on ${name}, which is closed`);
        if (!end.canSend) throw new PipeClosedError(`send() on ${name}, the receive-only end of a one-way Pipe`);
        if (other.closed) throw new PipeClosedError(`send() on ${name}: the other end ${other.closed}`);
        deliver(other, a[1]);
        return reply.ok(undefined);
      case 'recv': {
        const timeout = checkTimeout(a[1], `${this.label} recv()`);
        if (end.closed) throw new PipeClosedError(`recv() on ${name}, which is closed`);
        if (!end.canRecv) throw new PipeClosedError(`recv() on ${name}, the send-only end of a one-way Pipe`);
        if (end.inbox.length > 0) return reply.ok(end.inbox.shift());
        // Data sent before the other end closed is still delivered; EOF only after it.
        if (other.closed) throw new EOFError(`recv() on ${name}: nothing left to read and the other end ${other.closed}`);
        if (timeout === 0) throw new RecvTimeoutError(`recv() on ${name}: nothing to read`);
        return end.receivers.add(reply, timeout, (r) =>
          r.fail(new RecvTimeoutError(`recv() on ${name}: nothing arrived within its timeout of ${timeout} ms`)), reply);
      }
      case 'poll': {
        const timeout = a[1] === undefined ? 0 : checkTimeout(a[1], `${this.label} poll()`);
        // Like Python: true when recv() would not block (data, or EOF to report).
        if (end.inbox.length > 0 || other.closed) return reply.ok(true);
        if (timeout === 0) return reply.ok(false);
        return end.pollers.add(reply, timeout, (r) => r.ok(false), reply);
      }
      case 'close':
        this.#close(i, 'was closed');
        return reply.ok(undefined);
      default: unknownOp(this.label, op);
    }
  }

  #close(i: number, why: string): void {
    const end = this.#ends[i]!;
    if (end.closed) return;
    end.closed = why;
    for (const key of this.#takers) notify(key, this.#id, { e: i, w: why });
    const mine = new PipeClosedError(`end ${i} of ${this.label} was closed while waiting in recv()`);
    for (const r of end.receivers.drain()) r.fail(mine);
    for (const p of end.pollers.drain()) p.ok(false);
    const other = this.#ends[1 - i]!;
    // The other end's receivers are waiting, so its inbox is empty: they get EOF now.
    const eof = new EOFError(`recv() on end ${1 - i} of ${this.label}: the other end ${why}`);
    for (const r of other.receivers.drain()) r.fail(eof);
    for (const p of other.pollers.drain()) p.ok(true);
  }

  peerGone(caller: string): void {
    this.#takers.delete(caller);
    this.#ends.forEach((end, i) => {
      end.receivers.dropCaller(caller);
      end.pollers.dropCaller(caller);
      if (end.owner === caller) this.#close(i, `was closed because its worker ${caller} exited`);
    });
  }

  idle(): boolean { return this.#ends[0].closed !== undefined && this.#ends[1].closed !== undefined; }

  dispose(error: Error): void {
    for (const end of this.#ends) {
      for (const r of end.receivers.drain()) r.fail(error);
      for (const p of end.pollers.drain()) p.fail(error);
    }
  }
}

function makeEnd(canRecv: boolean, canSend: boolean): End {
  return { inbox: new Deque(), receivers: new Waiters(), pollers: new Waiters(), closed: undefined, owner: undefined, canSend, canRecv };
}

function deliver(to: End, value: unknown): void {
  const r = to.receivers.shift();
  if (r) r.ok(value);
  else to.inbox.push(value);
  for (const p of to.pollers.drain()) p.ok(true);
}
