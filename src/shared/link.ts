/**
 * How hub traffic rides on the pool's worker channel.
 *
 * Main side: each worker is a `HubPeer`; the pool passes every `hub` message a
 * worker sends to `hubReceive`, and calls `hubPeerGone` when the worker exits
 * (so locks it held are released and waiters are told it died).
 *
 * Worker side: the worker entry calls `attachWorkerHub` once with a function
 * that sends a `hub` message to the parent, and feeds every `hub` message it
 * receives to the returned `receive`.
 */
import './kinds.js';
import * as hub from './hub.js';
import { attach } from './worker-link.js';

export interface HubPeer {
  /** Stable for the life of the worker, e.g. `w3`. Must be unique in the process, across pools. */
  readonly id: string;
  /** Sends one hub message to this worker. */
  send(message: unknown): void;
}

export function hubReceive(peer: HubPeer, message: unknown): void {
  hub.receive(peer, message);
}

export function hubPeerGone(peer: HubPeer): void {
  hub.peerGone(peer);
}

export function attachWorkerHub(send: (message: unknown) => void): { receive(message: unknown): void } {
  return attach(send);
}
