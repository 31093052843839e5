/**
 * Results as JSON Lines, one object per item:
 *   {"key","input","ok","value"|"error","ms","worker"}
 * The file is opened on the first write (or at the end), so a run refused
 * before it starts (a journal from another run, say) never truncates the
 * previous output.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import type { JournaledItem } from '../journal/journaled.js';
import { BadLine } from './input.js';

export class OutputWriter {
  #stream: NodeJS.WritableStream | undefined;
  #file: WriteStream | undefined;
  #buf: string[] = [];
  #bufBytes = 0;
  #scheduled = false;

  constructor(private readonly target: string | undefined) {}

  /** Writes one result; resolves when the stream can take more (backpressure). */
  async write(s: JournaledItem): Promise<void> {
    if (!this.target) return;
    const line = `${resultLine(s)}\n`;
    this.#buf.push(line);
    this.#bufBytes += line.length;
    // Lines written in one turn of the event loop go out in one write: a million-line run
    // makes few syscalls, and a slow run still streams each line as it comes.
    if (this.#bufBytes >= 16_384) { await this.#drain(); return; }
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => { this.#scheduled = false; void this.#drain(); });
    }
  }

  async close(): Promise<void> {
    if (!this.target) return;
    await this.#drain(true);
    if (this.#file) {
      this.#file.end();
      await once(this.#file, 'finish');
    }
  }

  /** For a run that failed before it started: leaves an existing output file untouched unless something was written. */
  async abandon(): Promise<void> {
    if (this.#stream) await this.close();
  }

  async #drain(force = false): Promise<void> {
    const stream = this.#open();
    if (this.#buf.length === 0 && !force) return;
    const text = this.#buf.join('');
    this.#buf = [];
    this.#bufBytes = 0;
    if (text && !stream.write(text)) await once(stream, 'drain');
  }

  #open(): NodeJS.WritableStream {
    if (this.#stream) return this.#stream;
    if (this.target === '-') {
      this.#stream = process.stdout;
    } else {
      this.#file = createWriteStream(this.target!);
      this.#stream = this.#file;
    }
    return this.#stream;
  }
}

export function resultLine(s: JournaledItem): string {
  const input = s.item instanceof BadLine ? s.item.text : s.item;
  const base = { key: s.key, input };
  const tail = { ms: Math.round(s.ms * 1000) / 1000, worker: s.workerId };
  if (s.ok) return safeJson({ ...base, ok: true, value: s.value === undefined ? null : s.value, ...tail });
  const e = s.error as Error & { code?: unknown };
  const error: Record<string, unknown> = { name: e.name, message: e.message };
  if (e.code !== undefined) error.code = e.code;
  return safeJson({ ...base, ok: false, error, ...tail });
}

/** JSON that never throws: bigints become strings, cycles become "[Circular]". */
function safeJson(obj: unknown): string {
  try {
    return JSON.stringify(obj, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  } catch {
    const seen = new WeakSet<object>();
    return JSON.stringify(obj, (_k, v: unknown) => {
      if (typeof v === 'bigint') return v.toString();
      if (v !== null && typeof v === 'object') {
        if (seen.has(v)) return '[Circular]';
        seen.add(v);
      }
      return v;
    });
  }
}
