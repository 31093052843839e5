/**
 * How hub traffic rides on the pool's worker channel. The one entry point the
 * pool and the worker entry use, with `codec.ts`.
 *
 * Main side: each worker is a `HubPeer`; the pool passes every `hub` message a
 * worker sends to `hubReceive`, and calls `hubPeerGone` when the worker exits
 * (so locks it held are released and waiters are told it died).
 *
 * Worker side: the worker entry calls `attachWorkerHub` once with a function
 * that sends a `hub` message to the parent, and feeds every `hub` message it
 * receives to the returned `receive`.
 */
import './objects/resolve.js';
import * as hub from './hub/hub.js';
import { attach, flushNow, postRaw } from './objects/worker-link.js';
import { takesOfTask } from './objects/queue-feed.js';
import type { HubPeer } from './messages.js';

export type { HubPeer };

export function hubReceive(peer: HubPeer, message: unknown): void {
  hub.receive(peer, message);
}

/** `died`: it crashed or was killed mid-work, not recycled or stopped by its pool (see hub.peerGone). */
export function hubPeerGone(peer: HubPeer, died: boolean): void {
  hub.peerGone(peer, died);
}

/**
 * `taskEnded(id)` must be called just before each task's result is sent: it
 * tells the hub, ahead of the result, which JoinableQueue items that task
 * took. `runningTask` names the task whose code runs now (0: none), so that
 * with several tasks at once (`concurrent`) each one's items, and locks, are its own.
 */
export function attachWorkerHub(send: (message: unknown) => void, runningTask: () => number, concurrent: boolean): { receive(message: unknown): void; taskEnded(id: number): void } {
  return { ...attach(send, runningTask, concurrent), taskEnded };
}

function taskEnded(id: number): void {
  const q = takesOfTask(id);
  // Most tasks took no JoinableQueue item: no message.
  if (q.length === 0) return;
  postRaw({ k: 'te', q });
  // Now, not at the end of the turn: the result is written right after this,
  // and the hub must read this first (a death right after the result must
  // not put back what the task took).
  flushNow();
}
