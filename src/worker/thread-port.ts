/**
 * Worker side of the thread runtime's channel: a private MessagePort handed
 * over in workerData, so user code using `parentPort` never mixes with ours.
 */
import type { MessagePort } from 'node:worker_threads';
import type { Command, InitCommand, TransferItem, WorkerEvent } from '../protocol/messages.js';
import type { WorkerPort } from './port.js';
import { openSharedItemLog } from './item-log.js';
import { encodeError } from '../protocol/values.js';
import type { GrowableMemory } from '../protocol/item-log.js';

/** What the thread runtime hands a worker thread (runtime/thread.ts). */
export interface ThreadWorkerData {
  port: MessagePort;
  running?: Float64Array;
  init: InitCommand;
  logBacklog?: Int32Array;
  itemLog?: GrowableMemory;
}

export function openThreadPort(port: MessagePort, running: Float64Array | undefined, init: InitCommand, itemLog?: GrowableMemory): WorkerPort {
  let goneHandler: () => void = () => {};
  port.on('close', () => goneHandler());
  /** Commands received, `init` (in workerData) being the first, as the parent's runtime counts them (port.ts). */
  let received = 1;
  // A command this thread cannot deserialize would otherwise be dropped in silence, and its tasks wait forever.
  port.on('messageerror', (err: Error) => port.postMessage({ t: 'undecodable', n: ++received, e: encodeError(err) } satisfies WorkerEvent));
  return {
    init,
    send(event, transfer) {
      port.postMessage(event, transfer as TransferItem[] | undefined);
    },
    onCommand(h) {
      port.on('message', (m: Command) => { received++; h(m); });
    },
    // A MessagePort is cheap to listen on, and it keeps the thread alive while its start-up awaits.
    listen() {},
    onParentGone(h) { goneHandler = h; },
    // The parent reads it after this thread died (see runtime/thread.ts).
    recordStart: running ? (id, attempt) => { running[0] = id; running[1] = attempt; } : undefined,
    // Item first: the parent checks the id after reading it, so it never pairs a new id with an old item's start.
    recordItem: running ? (id, attempt, at) => { running[2] = at; running[1] = attempt; running[0] = id; } : undefined,
    recordCulprit: running ? (id) => { running[3] = id; } : undefined,
    // Memory shared with the parent (runtime/thread.ts), read there only after this thread is gone.
    itemLog: itemLog ? openSharedItemLog(itemLog) : undefined,
    exit(code: number): never {
      // process.exit in a worker thread ends only this thread. Messages
      // already posted stay queued on the parent's side of the port.
      process.exit(code);
    },
  };
}
