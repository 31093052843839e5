/**
 * The journal file: JSON Lines, append-only, one header line then one record
 * per finished item.
 *
 *   {"forkpool":"journal","version":1,"task":"parse","keying":"default","input":{...},"created":"..."}
 *   {"k":"0:3f2a...","i":0,"h":"3f2a...","ok":true,"v":{...},"ms":12.5,"w":1}
 *   {"k":"1:9c1b...","i":1,"h":"9c1b...","ok":false,"e":{"name":"TypeError","message":"..."},"ms":3,"w":2}
 *
 * Durability: each record reaches the kernel within the event-loop turn
 * that appended it (one write per turn), so a killed process loses next to
 * nothing. Records are fsync'd (fdatasync) in groups: the writer never holds
 * more than `SYNC_GROUP` unsynced records, and a timer syncs a partial group
 * after `SYNC_AFTER_MS`. So even a machine crash loses at most `SYNC_GROUP`
 * finished results, and those are simply run again on resume.
 *
 * Only the last line can be torn by a crash, since every append goes to the
 * end of the file; on open a torn or unparsable last line is dropped and cut
 * off so the next append starts on a clean line. Damage anywhere else is
 * reported (`JournalCorruptError`), never guessed around.
 *
 * On resume the file is indexed, not loaded: the index keeps each record's
 * byte range and outcome, and a recorded result is read back from disk only
 * when it is yielded, so huge results do not sit in memory.
 */
import { open, mkdir, type FileHandle } from 'node:fs/promises';
import { readSync, openSync, closeSync, fsyncSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { JournalCorruptError, JournalMismatchError } from './errors.js';

/** At most this many finished results are accepted before they are fsync'd: the crash-loss bound. */
export const SYNC_GROUP = 64;
/** A partial group is synced after this long, so a slow run is durable within a fraction of a second. */
export const SYNC_AFTER_MS = 200;
export const JOURNAL_VERSION = 1;
/** Read size while indexing; big enough that a million-line journal opens in about a second. */
const READ_CHUNK = 1 << 20;

export interface JournalHeader {
  forkpool: 'journal';
  version: number;
  task: string;
  /** `default`: keys are `<index>:<hash>`; `custom`: keys come from the caller's `key` function. */
  keying: 'default' | 'custom';
  /** What identifies the whole input when known up front (file digest, array digest), else null. */
  input: Record<string, unknown> | null;
  created: string;
}

/** One record as stored. `v`/`e` are already JSON-safe (see value-codec.ts and values.ts). */
export interface StoredRecord {
  k: string;
  i: number;
  h: string;
  ok: boolean;
  v?: unknown;
  e?: unknown;
  ms: number;
  w: number;
}

/** Where a record sits in the file, and its outcome, so resume can decide without reading it. */
export interface RecordRef {
  off: number;
  len: number;
  ok: boolean;
  hash: string;
}

export type JournalMode = 'resume' | 'overwrite';

export class JournalFile {
  readonly path: string;
  readonly header: JournalHeader;
  /** Records found on open, by lookup key (index for default keying, key otherwise). Later records win. */
  readonly #index: Map<string, RecordRef>;
  #fh: FileHandle;
  #readFd: number | undefined;
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

  private constructor(path: string, header: JournalHeader, fh: FileHandle, index: Map<string, RecordRef>) {
    this.path = path;
    this.header = header;
    this.#fh = fh;
    this.#index = index;
  }

  /**
   * Opens (or creates) a journal. In `resume` mode an existing journal must
   * have been written for the same task, keying and input, else
   * `JournalMismatchError`.
   */
  static async open(path: string, header: Omit<JournalHeader, 'forkpool' | 'version' | 'created'>, mode: JournalMode): Promise<JournalFile> {
    const full: JournalHeader = { forkpool: 'journal', version: JOURNAL_VERSION, ...header, created: new Date().toISOString() };
    await mkdir(dirname(path), { recursive: true }).catch(() => { /* reported by open() below, with the path */ });
    if (mode === 'resume') {
      const existing = await indexExisting(path, full.keying);
      if (existing) {
        checkSameRun(path, existing.header, full);
        const fh = await open(path, 'r+');
        // Cut a torn tail so the next record starts on a line of its own.
        if (existing.goodBytes < existing.fileBytes) {
          await fh.truncate(existing.goodBytes);
          await fh.datasync();
        }
        await fh.close();
        return new JournalFile(path, existing.header, await open(path, 'a'), existing.index);
      }
    }
    const fh = await open(path, 'w');
    await fh.write(`${JSON.stringify(full)}\n`);
    await fh.datasync();
    syncDirectory(dirname(path));
    return new JournalFile(path, full, fh, new Map());
  }

  /** Number of distinct items recorded when the journal was opened. */
  get recordedOnOpen(): number {
    return this.#index.size;
  }

  lookup(lookupKey: string): RecordRef | undefined {
    return this.#index.get(lookupKey);
  }

  /** Reads a record found on open back from disk. */
  read(ref: RecordRef): StoredRecord {
    this.#readFd ??= openSync(this.path, 'r');
    const buf = Buffer.allocUnsafe(ref.len);
    let got = 0;
    while (got < ref.len) {
      const n = readSync(this.#readFd, buf, got, ref.len - got, ref.off + got);
      if (n === 0) throw new JournalCorruptError(this.path, 0, `a record at byte ${ref.off} ends early`);
      got += n;
    }
    return JSON.parse(buf.toString('utf8')) as StoredRecord;
  }

  /**
   * Appends a record. It reaches the kernel within the current turn of the
   * event loop (so a killed process loses almost nothing), and the disk at
   * the next fsync. Resolves at once while fewer than `SYNC_GROUP` records
   * are unsynced; at `SYNC_GROUP` it resolves only after the fsync, which
   * holds the producer back and keeps the crash-loss bound.
   */
  async append(record: StoredRecord): Promise<void> {
    if (this.#failure) throw this.#failure;
    this.#pending.push(`${JSON.stringify(record)}\n`);
    if (this.#pending.length + this.#unsynced >= SYNC_GROUP) {
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
      const fd = openSync(this.path, 'a');
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
      if (this.#readFd !== undefined) closeSync(this.#readFd);
      this.#readFd = undefined;
      await this.#fh.close().catch(() => { /* already closed */ });
    }
  }
}

interface ExistingJournal {
  header: JournalHeader;
  index: Map<string, RecordRef>;
  /** Bytes up to the end of the last good line. */
  goodBytes: number;
  fileBytes: number;
}

/**
 * Indexes an existing journal. Returns undefined when there is none, or
 * when not even the header made it to disk (a crash right at creation).
 */
async function indexExisting(path: string, keying: JournalHeader['keying']): Promise<ExistingJournal | undefined> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const fileBytes = (await fh.stat()).size;
    const index = new Map<string, RecordRef>();
    let header: JournalHeader | undefined;
    let goodBytes = 0;
    let lineNo = 0;
    let carry = Buffer.alloc(0);
    let carryOff = 0; // file offset of carry[0]
    let pos = 0;
    const buf = Buffer.allocUnsafe(READ_CHUNK);
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, READ_CHUNK, pos);
      if (bytesRead === 0) break;
      pos += bytesRead;
      const data = carry.length ? Buffer.concat([carry, buf.subarray(0, bytesRead)]) : buf.subarray(0, bytesRead);
      let start = 0;
      for (let nl = data.indexOf(10, start); nl !== -1; nl = data.indexOf(10, start)) {
        lineNo++;
        const off = carryOff + start;
        const text = data.toString('utf8', start, nl);
        const isLast = carryOff + nl + 1 === fileBytes;
        const parsed = parseLine(text);
        if (parsed === undefined) {
          if (isLast) break; // a torn last line: dropped
          throw new JournalCorruptError(path, lineNo, 'the line is not valid JSON');
        }
        if (!header) {
          header = checkHeader(path, parsed);
        } else {
          const rec = parsed as Partial<StoredRecord>;
          if (typeof rec.k !== 'string' || typeof rec.i !== 'number' || typeof rec.ok !== 'boolean') {
            if (isLast) break;
            throw new JournalCorruptError(path, lineNo, 'the line is not a journal record (it needs "k", "i" and "ok")');
          }
          index.set(keying === 'default' ? String(rec.i) : rec.k, { off, len: nl - start, ok: rec.ok, hash: String(rec.h) });
        }
        goodBytes = carryOff + nl + 1;
        start = nl + 1;
      }
      carry = Buffer.from(data.subarray(start));
      carryOff += start;
    }
    // Bytes after the last newline are a torn write: dropped (goodBytes stops before them).
    if (!header) return undefined;
    return { header, index, goodBytes, fileBytes };
  } finally {
    await fh.close();
  }
}

function parseLine(text: string): unknown {
  try {
    const v: unknown = JSON.parse(text);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

function checkHeader(path: string, parsed: unknown): JournalHeader {
  const h = parsed as Partial<JournalHeader>;
  if (h.forkpool !== 'journal') {
    throw new JournalCorruptError(path, 1, 'the first line is not a forkpool journal header (is this the right file?)');
  }
  if (h.version !== JOURNAL_VERSION) {
    throw new JournalMismatchError(path, `it has journal format version ${String(h.version)}, this forkpool writes version ${JOURNAL_VERSION}`);
  }
  return h as JournalHeader;
}

function checkSameRun(path: string, old: JournalHeader, now: JournalHeader): void {
  if (old.task !== now.task) {
    throw new JournalMismatchError(path, `it was written for task ${JSON.stringify(old.task)}, this run is task ${JSON.stringify(now.task)}`);
  }
  if (old.keying !== now.keying) {
    throw new JournalMismatchError(path, `it was keyed with ${old.keying} keys, this run uses ${now.keying} keys`);
  }
  if (old.input && now.input && JSON.stringify(old.input) !== JSON.stringify(now.input)) {
    throw new JournalMismatchError(path, `the input changed since it was written (then ${describe(old.input)}, now ${describe(now.input)})`);
  }
}

function describe(input: Record<string, unknown>): string {
  return Object.entries(input).map(([k, v]) => `${k} ${typeof v === 'string' ? v : JSON.stringify(v)}`).join(', ');
}

/** Makes a newly created file's directory entry durable too; best effort (not every platform allows it). */
function syncDirectory(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try { fsyncSync(fd); } finally { closeSync(fd); }
  } catch { /* not supported here: the file's own fsync still holds its data */ }
}
