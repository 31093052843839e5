/**
 * Length-prefixed V8 frames for the process runtime.
 *
 * Why not Node's built-in IPC channel: `serialization: 'json'` turns Buffers
 * into `{type, data}` objects and costs seconds per megabyte, and the
 * 'advanced' channel re-concatenates its read buffer on every chunk. Here a
 * frame is `[u32 LE length][v8.serialize(message)]`, written as two iovecs
 * (no copy of the payload), and the reader joins a large payload's chunks once.
 * Buffers and typed arrays therefore cross as raw bytes and come back as the
 * same type. The two events every call sends have a compact form read
 * without V8 (see compact.ts), and so do a map's chunks of numbers
 * (compact-f64.ts).
 */
import { serialize, deserialize } from './v8.js';
import { V8_TAG, decodeCompact, encodeCompact } from './compact.js';
import { encodeF64Frame } from './compact-f64.js';
import { UndecodableMessageError, type LostResult } from './undecodable.js';
import { DONE_HEAD_BYTES, DONE_V8, isDone, readDoneHead, writeDoneHead } from './done-head.js';

export const FRAME_HEADER_BYTES = 4;

/**
 * Largest frame a reader accepts. A length prefix above it is garbage (a
 * worker that wrote raw bytes to the channel, or memory corruption), not a
 * message: waiting for 4 GB that will never come would hang the pool.
 */
export const MAX_FRAME_BYTES = 1024 * 1024 * 1024;

/** The stream cannot be trusted any more: a frame's length is out of bounds. */
export class CorruptStreamError extends Error {
  override name = 'CorruptStreamError';
}

/** One frame arrived whole but could not be deserialized (the stream stays in step). */
export class FrameDecodeError extends UndecodableMessageError {
  override name = 'FrameDecodeError';
}

const NOTHING = Buffer.alloc(0);

/** Payloads up to this size are copied behind their header into one buffer: one plain write beats a writev of two. */
const COALESCE_BELOW_BYTES = 64 * 1024;

/**
 * Serializes a message into the buffers of one frame: `[frame]` for small
 * messages, `[header, payload]` (no copy of the payload) for large ones.
 * Throws for values that cannot be cloned (functions, ...).
 */
export function encodeFrame(message: unknown): Buffer[] {
  const compact = encodeCompact(message);
  if (compact) return [compact];
  const numbers = encodeF64Frame(message);
  if (numbers) {
    checkSize(numbers.reduce((n, b) => n + b.length, 0) - FRAME_HEADER_BYTES);
    return numbers;
  }
  const payload = serialize(message);
  // A result names its task ahead of the V8 bytes: readable here even if they are not (done-head.ts).
  const head = isDone(message) ? DONE_HEAD_BYTES : 0;
  checkSize(head + payload.length);
  if (payload.length < COALESCE_BELOW_BYTES) {
    const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + head + payload.length);
    frame.writeUInt32LE(head + payload.length, 0);
    if (head) writeDoneHead(message as { id: number; nx?: number }, frame, FRAME_HEADER_BYTES);
    payload.copy(frame, FRAME_HEADER_BYTES + head);
    return [frame];
  }
  const header = Buffer.allocUnsafe(FRAME_HEADER_BYTES + head);
  header.writeUInt32LE(head + payload.length, 0);
  if (head) writeDoneHead(message as { id: number; nx?: number }, header, FRAME_HEADER_BYTES);
  return [header, payload];
}

/**
 * The reader takes a frame over MAX_FRAME_BYTES for a corrupt stream and
 * kills its sender, so nothing that big is ever written: the sender fails the
 * one message instead (a task's arguments or result: DataCloneError), where a
 * worker killed for it would have its task re-sent to the next, forever.
 */
function checkSize(bytes: number): void {
  if (bytes > MAX_FRAME_BYTES) throw new RangeError(`a message of ${bytes} bytes is over the ${MAX_FRAME_BYTES}-byte limit of one frame between processes (pass it through a file, or use runtime: 'thread')`);
}

export interface FrameReaderOptions {
  /**
   * The caller writes over a chunk's memory once `push` returns (a socket's
   * `onread` buffer, reused for every read). The reader then copies what it
   * keeps: a frame cut by the end of a read is assembled in a buffer of its
   * own, and a V8 payload is copied before it is deserialized, since V8
   * returns typed arrays that are views of its input.
   */
  reusedChunks?: boolean;
}

/** Collects stream chunks and yields each complete message in order. */
export class FrameReader {
  /** Chunks not yet consumed; the first one from `#offset` on. */
  #chunks: Buffer[] = [];
  #offset = 0;
  #buffered = 0;
  #need = -1;
  readonly #reused: boolean;
  /** With reused chunks: the frame being assembled across reads, and how much of it has arrived. */
  #frame: Buffer | undefined;
  #filled = 0;

  constructor(options: FrameReaderOptions = {}) {
    this.#reused = options.reusedChunks === true;
  }

  /**
   * Feeds one chunk; calls `onMessage` for every message it completes.
   * Throws `CorruptStreamError` for an impossible length, and
   * `FrameDecodeError` for a frame that does not deserialize (too deep,
   * garbage bytes); the caller decides what that means for the sender.
   *
   * Frames are read at an offset into the chunk that holds them: a burst of
   * small results arrives as many frames per chunk, and slicing a view per
   * header and per payload was a good part of the garbage per task.
   */
  push(chunk: Buffer, onMessage: (message: unknown) => void): void {
    let whole: Buffer | undefined;
    if (this.#frame) {
      const frame = this.#frame;
      const k = Math.min(chunk.length, frame.length - this.#filled);
      chunk.copy(frame, this.#filled, 0, k);
      this.#filled += k;
      if (this.#filled < frame.length) return;
      this.#frame = undefined;
      this.#filled = 0;
      whole = frame;
      chunk = chunk.subarray(k);
    }
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    if (!this.#reused) return this.#drain(onMessage);
    try {
      // The rest of the chunk is queued first: a frame that fails to decode leaves the reader in step.
      if (whole) onMessage(decodeWhole(whole));
      this.#drain(onMessage);
    } finally {
      this.#keepRest(chunk);
    }
  }

  /**
   * `push`, reading on past frames that do not decode: each one's error goes
   * to `onUndecodable` and the frames behind it in the chunk are still
   * delivered (they may hold results of finished tasks, which must not run
   * again, or commands the sender waits on). `CorruptStreamError` and errors
   * thrown by `onMessage` still throw: the stream or the handler is broken.
   */
  pushAll(chunk: Buffer, onMessage: (message: unknown) => void, onUndecodable: (err: FrameDecodeError) => void): void {
    // A failed frame was consumed before it threw, and the rest of the chunk queued: an empty push reads on.
    for (let rest = chunk; ; rest = NOTHING) {
      try {
        return this.push(rest, onMessage);
      } catch (err) {
        if (!(err instanceof FrameDecodeError)) throw err;
        onUndecodable(err);
      }
    }
  }

  #drain(onMessage: (message: unknown) => void): void {
    for (;;) {
      if (this.#need < 0) {
        if (this.#buffered < FRAME_HEADER_BYTES) return;
        this.#need = this.#readHeader();
        if (this.#need > MAX_FRAME_BYTES || this.#need === 0) {
          throw new CorruptStreamError(`a frame announced ${this.#need} bytes (limit ${MAX_FRAME_BYTES})`);
        }
      }
      if (this.#buffered < this.#need) return;
      const n = this.#need;
      this.#need = -1;
      const first = this.#chunks[0]!;
      let message: unknown;
      let lost: LostResult | undefined;
      try {
        const tag = first[this.#offset];
        if (first.length - this.#offset >= n && tag !== V8_TAG && tag !== DONE_V8) {
          // A compact frame inside one chunk: read in place, no view, no copy.
          // Consumed first, so a frame that fails to decode leaves the reader in step.
          const at = this.#offset;
          this.#skip(n);
          message = decodeCompact(first, at, n);
        } else {
          const payload = this.#take(n);
          if (payload[0] === DONE_V8) lost = readDoneHead(payload, 0);
          // With reused chunks, copied: a typed array in the message would be a view of the read buffer.
          message = decodePayload(payload, this.#reused);
        }
      } catch (err) {
        throw decodeError(n, err, lost);
      }
      onMessage(message);
    }
  }

  /**
   * With reused chunks, after a push: the bytes of `chunk` not yet consumed
   * must not stay a view of it. A frame whose length is known goes into a
   * buffer of its full size (one copy, however many reads it spans); a cut
   * length prefix is copied as it is.
   */
  #keepRest(chunk: Buffer): void {
    const last = this.#chunks.length - 1;
    if (last < 0 || this.#chunks[last] !== chunk) return;
    // (A length beyond the limit has already thrown CorruptStreamError: nothing to keep.)
    if (this.#need > MAX_FRAME_BYTES) return;
    if (this.#need > 0) {
      const frame = Buffer.allocUnsafe(this.#need);
      let at = 0;
      for (let i = 0; i < this.#chunks.length; i++) {
        const c = this.#chunks[i]!;
        at += c.copy(frame, at, i === 0 ? this.#offset : 0);
      }
      this.#frame = frame;
      this.#filled = at;
      this.#chunks = [];
      this.#offset = 0;
      this.#buffered = 0;
      this.#need = -1;
      return;
    }
    this.#chunks[last] = Buffer.from(chunk.subarray(last === 0 ? this.#offset : 0));
    if (last === 0) this.#offset = 0;
  }

  /** Bytes received but not yet part of a whole message (non-zero at EOF means a torn frame). */
  get pending(): number {
    return this.#buffered + this.#filled;
  }

  #readHeader(): number {
    const first = this.#chunks[0]!;
    if (first.length - this.#offset >= FRAME_HEADER_BYTES) {
      const n = first.readUInt32LE(this.#offset);
      this.#skip(FRAME_HEADER_BYTES);
      return n;
    }
    return this.#take(FRAME_HEADER_BYTES).readUInt32LE(0);
  }

  /** Drops `n` bytes that lie in the first chunk. */
  #skip(n: number): void {
    this.#offset += n;
    this.#buffered -= n;
    if (this.#offset === this.#chunks[0]!.length) {
      this.#chunks.shift();
      this.#offset = 0;
    }
  }

  /** Removes `n` bytes from the front: a view when they sit in one chunk, one copy otherwise. */
  #take(n: number): Buffer {
    const first = this.#chunks[0]!;
    if (first.length - this.#offset >= n) {
      const out = first.subarray(this.#offset, this.#offset + n);
      this.#skip(n);
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    let off = 0;
    while (off < n) {
      const c = this.#chunks[0]!;
      const k = Math.min(c.length - this.#offset, n - off);
      c.copy(out, off, this.#offset, this.#offset + k);
      off += k;
      this.#offset += k;
      if (this.#offset === c.length) {
        this.#chunks.shift();
        this.#offset = 0;
      }
    }
    this.#buffered -= n;
    return out;
  }
}

/** A frame assembled in a buffer of its own (nothing else points into it). */
function decodeWhole(payload: Buffer): unknown {
  let lost: LostResult | undefined;
  try {
    if (payload[0] === DONE_V8) lost = readDoneHead(payload, 0);
    return decodePayload(payload, false);
  } catch (err) {
    throw decodeError(payload.length, err, lost);
  }
}

/** One whole payload; `copy`: it lies in memory that will be overwritten. */
function decodePayload(payload: Buffer, copy: boolean): unknown {
  const tag = payload[0];
  if (tag !== V8_TAG && tag !== DONE_V8) return decodeCompact(payload, 0, payload.length);
  const v8 = tag === DONE_V8 ? payload.subarray(DONE_HEAD_BYTES) : payload;
  return deserialize(copy ? Buffer.from(v8) : v8);
}

function decodeError(n: number, err: unknown, lost: LostResult | undefined): FrameDecodeError {
  const e = new FrameDecodeError(`a ${n}-byte message could not be decoded: ${(err as Error).message}`, { cause: err });
  if (lost) e.result = lost;
  return e;
}
