/**
 * Reading a journal: what is at the path (`sniff`), the index of recorded
 * items (`indexJournal`), and reading one record back (`RecordReader`).
 *
 * On resume the file is indexed, not loaded: the index keeps each record's
 * byte range, line and outcome, and a recorded result is read back from disk
 * only when it is yielded, so huge results do not sit in memory.
 *
 * Only the last line can be torn by a crash, since every append goes to the
 * end of the file; a torn or unparsable last line is dropped (the caller cuts
 * it off so the next append starts on a clean line). Damage anywhere else is
 * reported as `JournalCorruptError` with its line, never guessed around.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { closeSync, constants, openSync, readSync } from 'node:fs';
import { JournalCorruptError, NotAJournalError } from './errors.js';
import { nonFileKind } from './journal-path.js';
import { checkHeader, claimsToBeJournal, parseObject, recordProblem, type JournalHeader, type StoredRecord } from './journal-format.js';

/** Read size while indexing; big enough that a million-line journal opens in about a second. */
const READ_CHUNK = 1 << 20;
/** How a header starts; a file that is a prefix of this (or starts with it) but has no complete line is a torn header. */
const HEADER_START = '{"forkpool":"journal"';

/** Where a record sits in the file, and its outcome, so resume can decide without reading it. */
export interface RecordRef {
  off: number;
  len: number;
  /** 1-based line, for error messages. */
  line: number;
  ok: boolean;
  hash: string;
}

export interface JournalIndex {
  header: JournalHeader;
  /** By lookup key (index for default keying, key otherwise). Later records win. */
  refs: Map<string, RecordRef>;
  /** Bytes up to the end of the last good line. */
  goodBytes: number;
  fileBytes: number;
}

/**
 * What is at `path`, read from its first line only:
 * - `none`: no file, an empty one, or a journal whose header never reached
 *   disk whole (a crash at creation by an older forkpool: no record can follow it);
 * - `journal`: its first line is a journal header (checked further by `indexJournal`).
 * Anything else is someone's data: `NotAJournalError`, and the file is not touched.
 */
export async function sniff(path: string): Promise<'none' | 'journal'> {
  let fh: FileHandle;
  try {
    // O_NONBLOCK: a FIFO put at the path since it was checked must not block this open.
    fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'none';
    throw err;
  }
  try {
    const kind = nonFileKind(await fh.stat());
    if (kind) throw new NotAJournalError(path, kind);
    const buf = Buffer.allocUnsafe(READ_CHUNK);
    const { bytesRead } = await fh.read(buf, 0, READ_CHUNK, 0);
    if (bytesRead === 0) return 'none';
    const nl = buf.subarray(0, bytesRead).indexOf(10);
    const first = buf.toString('utf8', 0, nl === -1 ? bytesRead : nl);
    if (claimsToBeJournal(parseObject(first))) return nl === -1 ? 'none' : 'journal';
    const torn = nl === -1 && bytesRead < READ_CHUNK && (HEADER_START.startsWith(first) || first.startsWith(HEADER_START));
    if (torn) return 'none';
    throw new NotAJournalError(path);
  } finally {
    await fh.close();
  }
}

/** Indexes a journal that `sniff` found. Throws JournalCorruptError for damage before the last line. */
export async function indexJournal(path: string, keying: JournalHeader['keying']): Promise<JournalIndex | undefined> {
  const fh = await open(path, 'r');
  try {
    const fileBytes = (await fh.stat()).size;
    const refs = new Map<string, RecordRef>();
    let header: JournalHeader | undefined;
    let goodBytes = 0;
    let lineNo = 0;
    // The current line's bytes read so far, as views of the chunks they came in: a line
    // spanning many chunks is joined once, when its newline comes, and each chunk is
    // searched for a newline once. (Joining the partial line again at every chunk made
    // resume quadratic in a huge record: 100 MB took 38 s against 3 s for the fresh run.)
    let pending: Buffer[] = [];
    let lineOff = 0; // file offset of the current line
    let pos = 0;
    let buf = Buffer.allocUnsafe(READ_CHUNK);
    for (;;) {
      // `pending` may hold a view of the last buffer: then read into a new one.
      if (pending.length > 0) buf = Buffer.allocUnsafe(READ_CHUNK);
      const { bytesRead } = await fh.read(buf, 0, READ_CHUNK, pos);
      if (bytesRead === 0) break;
      const chunk = buf.subarray(0, bytesRead);
      const chunkOff = pos;
      pos += bytesRead;
      let start = 0;
      for (let nl = chunk.indexOf(10, start); nl !== -1; nl = chunk.indexOf(10, start)) {
        lineNo++;
        const end = chunkOff + nl; // file offset of the newline
        const isLast = end + 1 === fileBytes;
        const text = pending.length === 0 ? chunk.toString('utf8', start, nl) : Buffer.concat([...pending, chunk.subarray(start, nl)]).toString('utf8');
        pending = [];
        const parsed = parseObject(text);
        if (!header) {
          if (!claimsToBeJournal(parsed)) throw new NotAJournalError(path); // changed since sniff
          header = checkHeader(path, parsed!);
        } else {
          const problem = parsed ? recordProblem(parsed) : 'the line is not a JSON object';
          if (problem) {
            if (isLast) break; // a torn last line: dropped
            throw new JournalCorruptError(path, lineNo, problem);
          }
          const rec = parsed as unknown as StoredRecord;
          refs.set(keying === 'default' ? String(rec.i) : rec.k, { off: lineOff, len: end - lineOff, line: lineNo, ok: rec.ok, hash: rec.h });
        }
        goodBytes = end + 1;
        start = nl + 1;
        lineOff = end + 1;
      }
      if (start < bytesRead) pending.push(chunk.subarray(start));
    }
    // Bytes after the last newline are a torn write: dropped (goodBytes stops before them).
    return header && { header, refs, goodBytes, fileBytes };
  } finally {
    await fh.close();
  }
}

/** Reads records found by `indexJournal` back from disk, one at a time, when they are yielded. */
export class RecordReader {
  readonly #path: string;
  #fd: number | undefined;

  constructor(path: string) {
    this.#path = path;
  }

  read(ref: RecordRef): StoredRecord {
    this.#fd ??= openSync(this.#path, 'r');
    const buf = Buffer.allocUnsafe(ref.len);
    let got = 0;
    while (got < ref.len) {
      const n = readSync(this.#fd, buf, got, ref.len - got, ref.off + got);
      if (n === 0) throw new JournalCorruptError(this.#path, ref.line, 'the record ends early (was the file cut short?)');
      got += n;
    }
    // The file could only change under us if someone edited it by hand despite the lock: check again.
    const rec = parseObject(buf.toString('utf8'));
    const problem = rec ? recordProblem(rec) : 'the line is not a JSON object';
    if (problem) throw new JournalCorruptError(this.#path, ref.line, `${problem} (it changed since the journal was opened)`);
    return rec as unknown as StoredRecord;
  }

  close(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }
}
