/**
 * Worker side of the thread runtime's channel: a private MessagePort handed
 * over in workerData, so user code using `parentPort` never mixes with ours.
 *
 * An idle thread **parks**: instead of going back to its event loop to wait
 * for the next command, it blocks in `Atomics.wait` on a counter the parent
 * bumps after every command it posts, then reads the commands straight off
 * the port. A 'message' event costs an event-loop wake-up and a MessageEvent
 * dispatched through JS; a parked thread resumes where it stopped. On a
 * 2-core host one call's round trip fell from about 55 to 34 µs (median of
 * six alternating runs of a bare echo).
 *
 * Parking blocks everything else this thread might be waiting for, so it
 * happens only when nothing else could run anyway: no task running or queued
 * here, and no active handle or request but our own port (a timer, a socket,
 * a pending fs call, a user's MessagePort each keep the thread on its event
 * loop). It starts from setImmediate, after the microtasks a finished task
 * left behind, and lasts at most PARK_MS: a wake-up we cannot see (an unref'd
 * timer, a native add-on's callback) is late by that much at worst, never lost.
 */
import type { MessagePort, receiveMessageOnPort } from 'node:worker_threads';
import type { Command, TransferItem, WorkerEvent } from '../protocol/messages.js';
import type { WorkerPort } from './port.js';

/** The longest a thread parks before it goes back to its event loop (until its next result). */
const PARK_MS = 50;

export interface ThreadChannel {
  port: MessagePort;
  /** The running-task record the parent reads only after this thread died (see runtime/thread.ts). */
  running?: Float64Array;
  /** Bumped by the parent after every command it posts; absent from a parent that does not (no parking). */
  mail?: Int32Array;
}

export function openThreadPort(
  { port, running, mail }: ThreadChannel,
  receive: typeof receiveMessageOnPort,
  idle: () => boolean,
): WorkerPort {
  let goneHandler: () => void = () => {};
  let handler: (m: Command) => void = () => {};
  let parkScheduled = false;
  port.on('close', () => goneHandler());

  const park = () => {
    parkScheduled = false;
    if (!idle() || !onlyOurPort()) return;
    // Load first, then read what is already queued: the parent posts before
    // it bumps, so a command is either read here or wakes the wait below.
    const seen = Atomics.load(mail!, 0);
    if (drain()) return;
    if (Atomics.wait(mail!, 0, seen, PARK_MS) === 'timed-out') return;
    drain();
  };
  /** Handles every command queued on the port; says whether there was one. */
  const drain = (): boolean => {
    let any = false;
    for (let m = receive(port); m; m = receive(port)) {
      any = true;
      handler(m.message as Command);
    }
    return any;
  };

  return {
    send(event, transfer) {
      port.postMessage(event, transfer as TransferItem[] | undefined);
      // A result may leave this thread idle: park once the turn's microtasks have run.
      if (mail && !parkScheduled && (event.t === 'done' || event.t === 'ready')) {
        parkScheduled = true;
        setImmediate(park);
      }
    },
    onCommand(h) {
      handler = h;
      port.on('message', (m: Command) => h(m));
    },
    onParentGone(h) { goneHandler = h; },
    recordStart: running ? (id, attempt) => { running[0] = id; running[1] = attempt; } : undefined,
    // Item first: the parent checks the id after reading it, so it never pairs a new id with an old item's start.
    recordItem: running ? (id, attempt, at) => { running[2] = at; running[1] = attempt; running[0] = id; } : undefined,
    exit(code: number): never {
      // process.exit in a worker thread ends only this thread. Messages
      // already posted stay queued on the parent's side of the port.
      process.exit(code);
    },
  };
}

/** Nothing but our own port keeps this thread's event loop alive (unref'd handles are not listed). */
function onlyOurPort(): boolean {
  const active = process.getActiveResourcesInfo();
  return active.length === 1 && active[0] === 'MessagePort';
}
