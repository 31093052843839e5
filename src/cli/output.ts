/**
 * Where results go.
 *
 * - `--output FILE` (or `-o -` for stdout): one JSON object per item,
 *   `{"key","input","ok","value"|"error","ms","worker"}`.
 * - no `--output`: each value on stdout as a line, as the task returned it
 *   (strings raw, anything else as JSON; `--output-format json` quotes
 *   strings too). Failures are not printed there: the summary lists them.
 *
 * A file is opened on the first write (or at the end), so a run refused
 * before it starts (a journal from another run, say) never truncates the
 * previous output; one refused later (a resume whose input changed midway)
 * puts the previous output back (output-file.ts). A reader that goes away (`| head -1`) is not an error:
 * `onBrokenPipe` is called once and nothing more is written.
 */
import type { JournaledItem } from '../journal/journaled.js';
import type { OutputFormat } from './args.js';
import { toJsonText, plain } from './encode.js';
import { BadLine } from './input.js';
import { OutputFile } from './output-file.js';

/** Lines written in one turn of the event loop go out in one write; past this size, at once. */
const FLUSH_BYTES = 16_384;

export interface OutputOptions {
  /** `-`, a path, or undefined: values on stdout. */
  target: string | undefined;
  format: OutputFormat;
  /** Runs a write to stdout so that it never lands on the progress bar's line. */
  aboveBar?: (write: () => void) => void;
  onBrokenPipe: () => void;
}

export class OutputWriter {
  #stream: NodeJS.WritableStream | undefined;
  #file: OutputFile | undefined;
  #buf: string[] = [];
  #bufBytes = 0;
  #scheduled = false;
  #error: Error | undefined;
  #broken = false;
  #waiting: Array<() => void> = [];

  constructor(private readonly opts: OutputOptions) {}

  /** True when results go to stdout (so a JSON summary goes to stderr). */
  get usesStdout(): boolean {
    return this.opts.target === undefined || this.opts.target === '-';
  }

  /** Writes one result; resolves when the stream can take more (backpressure). Throws a write error (ENOSPC...). */
  async write(s: JournaledItem): Promise<void> {
    if (this.#error) throw this.#error;
    if (this.#broken) return;
    // The stream is full (an earlier flush is waiting for 'drain'): wait with it. Small
    // results flushed on the next turn would otherwise pile up in memory behind a
    // reader that does not read (`| sleep 60`).
    if (this.#waiting.length > 0) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    if (this.#error) throw this.#error;
    if (this.#broken) return;
    const line = this.opts.target === undefined ? valueLine(s, this.opts.format) : resultLine(s);
    if (line === undefined) return;
    this.#buf.push(`${line}\n`);
    this.#bufBytes += line.length + 1;
    if (this.#bufBytes >= FLUSH_BYTES) { await this.#drain(); return; }
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => { this.#scheduled = false; this.#drain().catch(() => { /* kept in #error, thrown by the next write or close */ }); });
    }
  }

  /** Ends the output; a file then replaces the previous output for good. A failed write puts the previous one back. */
  async close(): Promise<void> {
    try {
      await this.#drain(true);
      if (this.#error) throw this.#error;
      if (this.#file && !this.#broken) {
        const file = this.#file.stream;
        await new Promise<void>((resolve, reject) => {
          file.end(() => resolve());
          file.once('error', reject);
        });
      }
    } catch (err) {
      this.#file?.restore();
      throw err;
    }
    this.#file?.commit();
  }

  /** For a run that failed: an existing output file is left as it was before the run (put back if it was opened). */
  async abandon(): Promise<void> {
    if (!this.#file) {
      if (this.#stream) await this.close().catch(() => undefined); // stdout: what was printed stays printed
      return;
    }
    await this.#drain(true).catch(() => undefined); // kept when there was no previous output
    const stream = this.#file.stream;
    await new Promise<void>((resolve) => {
      stream.once('error', () => resolve());
      stream.end(() => resolve());
    });
    this.#file.restore();
  }

  async #drain(force = false): Promise<void> {
    if (this.#buf.length === 0 && !(force && this.opts.target !== undefined && this.opts.target !== '-')) return;
    const stream = this.#open();
    const text = this.#buf.join('');
    this.#buf = [];
    this.#bufBytes = 0;
    if (!text || this.#broken || this.#error) return;
    let full = false;
    const write = () => { full = !stream.write(text); };
    if (stream === process.stdout && this.opts.aboveBar) this.opts.aboveBar(write);
    else write();
    if (full) {
      await new Promise<void>((resolve) => {
        // One 'drain' listener wakes every writer waiting on the same full stream.
        if (this.#waiting.length === 0) stream.once('drain', () => this.#release());
        this.#waiting.push(resolve);
      });
    }
    if (this.#error) throw this.#error;
  }

  #release(): void {
    for (const w of this.#waiting.splice(0)) w();
  }

  #open(): NodeJS.WritableStream {
    if (this.#stream) return this.#stream;
    if (this.opts.target === undefined || this.opts.target === '-') {
      this.#stream = process.stdout;
    } else {
      this.#file = new OutputFile(this.opts.target);
      this.#stream = this.#file.stream;
    }
    this.#stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE' && this.#stream === process.stdout) {
        if (!this.#broken) { this.#broken = true; this.opts.onBrokenPipe(); }
      } else {
        // A failed write(2) names no file: say which one it was.
        if (err.path === undefined) err.path = this.opts.target === undefined || this.opts.target === '-' ? 'stdout' : this.opts.target;
        this.#error ??= err;
      }
      this.#release();
    });
    return this.#stream;
  }
}

/** A value as printed without --output; undefined for a failure (the summary reports it). */
export function valueLine(s: JournaledItem, format: OutputFormat): string | undefined {
  if (!s.ok) return undefined;
  return format === 'raw' && typeof s.value === 'string' ? s.value : toJsonText(s.value);
}

export function resultLine(s: JournaledItem): string {
  const input = s.item instanceof BadLine ? s.item.text : s.item;
  const ms = Math.round(s.ms * 1000) / 1000;
  // Literals, not spreads: this runs once per output line (journaled.ts says why).
  if (s.ok) return JSON.stringify({ key: s.key, input: plain(input), ok: true, value: plain(s.value), ms, worker: s.workerId });
  const e = s.error as Error & { code?: unknown };
  const error: Record<string, unknown> = { name: e.name, message: e.message };
  if (e.code !== undefined) error.code = e.code;
  return JSON.stringify({ key: s.key, input: plain(input), ok: false, error, ms, worker: s.workerId });
}
