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
import { attach } from './objects/worker-link.js';
import type { HubPeer } from './messages.js';

export type { HubPeer };

export function hubReceive(peer: HubPeer, message: unknown): void {
  hub.receive(peer, message);
}

export function hubPeerGone(peer: HubPeer): void {
  hub.peerGone(peer);
}

export function attachWorkerHub(send: (message: unknown) => void): { receive(message: unknown): void } {
  return attach(send);
}
