/**
 * The worker's side of its channel to the pool, one implementation per runtime.
 */
import type { Command, InitCommand, TransferItem, WorkerEvent } from '../protocol/messages.js';
import type { ItemLog } from './item-log.js';

/**
 * Both ports count the commands they receive (`init` is 1, as the parent's
 * runtime counts them) and answer one that arrived whole but does not
 * deserialize here with an `undecodable` event naming its number: the
 * parent fails that command's tasks (their arguments cannot cross), or
 * replaces this worker if it held none. The commands after it are still read.
 */
export interface WorkerPort {
  /**
   * Sends one event to the parent. Throws if the event cannot be serialized.
   * `transfer` (a `move()` result's buffers) is moved by the thread port; the
   * process port copies the bytes with the rest.
   */
  send(event: WorkerEvent, transfer?: readonly TransferItem[]): void;
  /**
   * The `init` command when the port had it on opening: a thread's comes in
   * its workerData, a process reads it off its pipe synchronously. Undefined
   * when it is to arrive as the first command (after `listen()`).
   */
  readonly init?: InitCommand;
  /** Registers the command handler (once). */
  onCommand(handler: (command: Command) => void): void;
  /**
   * Starts reading commands after `init` (idempotent). The process port reads
   * none until then, so opening its reader stays off the start-up's critical
   * path; the thread port delivers them from `onCommand` on.
   */
  listen(): void;
  /**
   * Process port, before `listen()`: blocks until one command has arrived
   * and been handled (the pool's answer to `ready`). False if it read
   * nothing it could use; the command then comes once the port listens.
   */
  readOne?(): boolean;
  /** Called when the parent is gone: the worker must exit. */
  onParentGone(handler: () => void): void;

  /** Ends the worker after everything sent has been handed to the OS. */
  exit(code: number): never;
  /**
   * Records the task this worker starts now (one task at a time) where the
   * parent reads it only if the worker dies: memory shared with the parent
   * (threads), or a file the parent opened and unlinked (processes). Wakes
   * nobody, unlike a `started` event. Absent when the channel has no such
   * record: the worker sends `started` instead.
   */
  recordStart?(id: number, attempt: number): void;
  /**
   * Records that an item of chunk `id` starts now (`at`: the shared
   * monotonic clock, ms), in the same record: a chunk whose timeout covers
   * each item (`WireTask.pi`) is judged by its running item. Absent when the
   * channel has no record: the timeout then covers the whole chunk.
   */
  recordItem?(id: number, attempt: number, at: number): void;
  /**
   * Records, as this worker exits, the task whose code ended it (a worker
   * running several tasks at once knows it from the exit's async context),
   * in the same record, for the parent's blame. Absent without a record.
   */
  recordCulprit?(id: number): void;
  /**
   * Where a chunk that asks for it (`WireTask.pl`) records each finished
   * item, in a file the parent reads only if this worker dies. Absent when the
   * runtime gave it none: such a chunk then fails whole if the worker dies.
   */
  itemLog?: ItemLog;
}
