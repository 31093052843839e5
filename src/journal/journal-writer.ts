/**
 * Appending records: one write per event-loop turn, fsync in groups.
 *
 * Durability: each record reaches the kernel within the event-loop turn
 * that appended it (one write per turn), so a killed process loses next to
 * nothing. Records are fsync'd (fdatasync) in groups: the writer never holds
 * more than its group (`SYNC_GROUP`, or the call's chunk size when larger)
 * unsynced records, and a timer syncs a partial group after `SYNC_AFTER_MS`.
 * So even a machine crash loses at most one group of finished results, and
 * those are simply run again on resume.
 *
 * Why a chunk-sized group: results come back a chunk at a time, and a chunk
 * that came back is already finished work held in memory. Syncing every 64
 * records of a 1,000-item chunk costs 16 fsyncs (about 7 ms each here) per
 * chunk and bounds nothing better: the chunk's results are lost with the
 * process either way until they are written.
 */
import type { FileHandle } from 'node:fs/promises';
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';

/** At most this many finished results are accepted before they are fsync'd: the crash-loss bound. */
export const SYNC_GROUP = 64;
/** A partial group is synced after this long, so a slow run is durable within a fraction of a second. */
export const SYNC_AFTER_MS = 200;

export class JournalWriter {
  #path: string;
  readonly #fh: FileHandle;
  #pending: string[] = [];
  /** Groups handed to the writer whose write has not started yet (see flushSyncOnExit). */
  #queued: string[][] = [];
  /** Records handed to the writer and not yet fsync'd. */
  #unsynced = 0;
  #writeScheduled = false;
  #writeChain: Promise<void> = Promise.resolve();
  #syncChain: Promise<void> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;
  #failure: unknown;
  /** Unsynced records allowed before append waits for the fsync. */
  readonly group: number;

  /** `fh` is the journal opened for appending (O_APPEND); `chunksize`: the items per task of the call that records. */
  constructor(path: string, fh: FileHandle, chunksize = 1) {
    this.#path = path;
    this.#fh = fh;
    this.group = Math.max(SYNC_GROUP, chunksize);
  }

  /** The file was renamed (a staged journal put in place): the exit flush opens it there. */
  movedTo(path: string): void {
    this.#path = path;
  }

  /**
   * Appends one line (a serialized record, without its newline). It reaches
   * the kernel within the current turn of the event loop, and the disk at the
   * next fsync. Resolves at once while fewer than `group` records are
   * unsynced; at `group` it resolves only after the fsync, which holds the
   * producer back and keeps the crash-loss bound.
   */
  async append(line: string): Promise<void> {
    if (this.#failure) throw this.#failure;
    this.#pending.push(`${line}\n`);
    if (this.#pending.length + this.#unsynced >= this.group) {
      await this.flush();
      return;
    }
    // Records appended in the same turn go to the kernel in one write.
    if (!this.#writeScheduled) {
      this.#writeScheduled = true;
      setImmediate(() => { this.#writeScheduled = false; this.#writePending(); });
    }
    this.#timer ??= setTimeout(() => { this.#timer = undefined; this.flush().catch(() => { /* kept in #failure */ }); }, SYNC_AFTER_MS);
  }

  /**
   * Writes and fsyncs everything appended so far. The fsync waits only for
   * the writes issued before it; later writes go on meanwhile, so records
   * keep reaching the kernel while the disk catches up.
   */
  flush(): Promise<void> {
    if (this.#timer) { clearTimeout(this.#timer); this.#timer = undefined; }
    this.#writePending();
    if (this.#unsynced === 0) return this.#syncChain;
    const n = this.#unsynced;
    const written = this.#writeChain;
    this.#syncChain = this.#syncChain.then(() => written).then(async () => {
      if (this.#failure) throw this.#failure;
      try {
        await this.#fh.datasync();
      } catch (err) {
        this.#failure = err;
        throw err;
      }
      this.#unsynced -= n;
    });
    return this.#syncChain;
  }

  /** Hands the pending records to the kernel, after any earlier write: writes never interleave. */
  #writePending(): void {
    const lines = this.#pending;
    this.#pending = [];
    if (lines.length === 0) return;
    this.#unsynced += lines.length;
    this.#queued.push(lines);
    this.#writeChain = this.#writeChain.then(async () => {
      if (this.#failure) throw this.#failure;
      const at = this.#queued.indexOf(lines);
      if (at < 0) return; // already written by flushSyncOnExit
      this.#queued.splice(at, 1);
      try {
        await this.#fh.write(lines.join(''));
      } catch (err) {
        this.#failure = err;
        throw err;
      }
    });
    this.#writeChain.catch(() => { /* surfaced by the next append or flush */ });
  }

  /**
   * Last-resort synchronous flush for a process about to exit (a second
   * Ctrl-C): whatever no write has started on yet is written and fsync'd now.
   * A group whose write(2) already started is left to the kernel, which
   * finishes it even if the process exits.
   */
  flushSyncOnExit(): void {
    if (this.#timer) { clearTimeout(this.#timer); this.#timer = undefined; }
    const lines = [...this.#queued.flat(), ...this.#pending];
    this.#queued = [];
    this.#pending = [];
    if (lines.length === 0) return;
    try {
      // O_APPEND: this write and a concurrent async one never overwrite each other.
      const fd = openSync(this.#path, 'a');
      try {
        writeSync(fd, lines.join(''));
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    } catch { /* exiting anyway; lost records are re-run on resume */ }
  }

  async close(): Promise<void> {
    try {
      await this.flush();
    } finally {
      await this.#fh.close().catch(() => { /* already closed */ });
    }
  }
}
