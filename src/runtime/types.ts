/**
 * The one small interface every runtime implements (parent side). The
 * supervisor drives workers only through it and never branches on the runtime.
 */
import type { Command, WorkerEvent } from '../protocol/messages.js';

export interface SpawnSpec {
  workerId: number;
  /** Node flags for the worker. */
  execArgv: string[];
  env: NodeJS.ProcessEnv | undefined;
  cwd: string | undefined;
  /** V8 old-space cap in MB (`--max-old-space-size` / `resourceLimits`). */
  maxOldGenerationSizeMb: number | undefined;
}

export interface ExitInfo {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the runtime knows the worker ran out of V8 heap. */
  outOfMemory: boolean;
  /** An error the runtime itself reported (spawn failure, uncaught error in a thread). */
  error?: Error;
  /** The task whose code ended the worker, when the worker recorded it (several tasks at once: worker/concurrent.ts). */
  culprit?: number;
}

export interface RuntimeHandlers {
  onEvent(event: WorkerEvent): void;
  /** Text written straight to the worker's fd 1/2 (native code, V8 fatal errors). */
  onOutput(stream: 'stdout' | 'stderr', text: string): void;
  /**
   * The worker's event channel cannot be trusted: a message that does not
   * decode, an impossible frame length, or the channel closed while the worker
   * lives. The supervisor treats it as a crash of that worker (kills it).
   */
  onChannelError(error: Error): void;
  /** Called once, after every byte the worker sent has been delivered. */
  onExit(info: ExitInfo): void;
}

export interface RuntimeWorker {
  /** OS pid (for threads: the pool's own pid). */
  readonly pid: number | undefined;
  /**
   * Sends a command. Throws synchronously if it cannot be serialized. Returns
   * its number among the commands sent to this worker (`init` is 1), which
   * the worker names if it cannot decode it (the `undecodable` event).
   */
  send(command: Command): number;
  /** Sends a signal (processes) or terminates the thread (threads; any signal). */
  kill(signal: NodeJS.Signals): void;
  /**
   * When the item of chunk `id` that runs now started (`util/clock.ts`
   * time), as the worker recorded it for a chunk whose timeout covers each
   * item; undefined when it recorded none for that chunk.
   */
  itemStartedAt(id: number): number | undefined;
  /**
   * The worker has an item log (protocol/item-log.ts): after it dies, a
   * `logged` event gives the finished items of the chunk it was running.
   */
  readonly logsItems: boolean;
  /** Current memory use in bytes, read from the OS (processes); undefined when unknown. */
  memory(): number | undefined;
  /**
   * Stop keeping the parent's event loop alive for this worker. Called once,
   * at spawn: the pool's one keep-alive timer decides whether the process
   * stays up (engine/keep-alive.ts).
   */
  unref(): void;
}

export type SpawnWorker = (spec: SpawnSpec, handlers: RuntimeHandlers) => RuntimeWorker;
