/**
 * Where items come from: a file, stdin, or the command line. Items stream:
 * a million-line file is never held in memory.
 *
 * - `lines`: each non-empty line is one string item.
 * - `jsonl`: each non-empty line is one JSON value. A malformed line becomes a
 *   `BadLine`, which the runner records as a failed item (with its line
 *   number) while the rest of the run goes on.
 * - `csv`: the first row is the header; each later row is an object.
 */
import { createReadStream } from 'node:fs';
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import { createInterface } from 'node:readline';
import { InputLineError, UsageError } from './errors.js';
import { CsvRecords } from './csv.js';
import type { InputFormat } from './args.js';

/** An input line that could not be parsed; it reaches the output and the journal as a failed item. */
export class BadLine {
  constructor(readonly line: number, readonly text: string, readonly why: string) {}
}

export interface InputSource {
  items: AsyncIterable<unknown>;
  /** Number of items when known before the run (a file), else undefined (stdin). */
  total: number | undefined;
  /** What identifies the input, for the journal header; undefined when it cannot be known up front. */
  identity: Record<string, unknown> | undefined;
  /** Name used in messages: the file name, `stdin` or `arguments`. */
  label: string;
}

export async function openInput(input: string | undefined, args: string[], format: InputFormat): Promise<InputSource> {
  if (input === undefined && args.length > 0) {
    return { items: fromArgs(args, format), total: args.length, identity: { args: args.length, sha1: sha1(args.join('\n')) }, label: 'arguments' };
  }
  if (input === undefined || input === '-') {
    if (input === undefined && process.stdin.isTTY) {
      throw new UsageError('No input: give --input FILE, pipe items into stdin (--input -), or list them after the module');
    }
    return { items: fromLines(process.stdin, format, 'stdin'), total: undefined, identity: undefined, label: 'stdin' };
  }
  const { bytes, hash, count } = await scan(input, format);
  const label = basename(input);
  return {
    items: fromLines(createReadStream(input), format, label),
    total: count,
    identity: { file: label, format, bytes, sha1: hash },
    label,
  };
}

async function* fromArgs(args: string[], format: InputFormat): AsyncGenerator<unknown> {
  let n = 0;
  for (const a of args) {
    n++;
    if (format !== 'jsonl') { yield a; continue; }
    yield parseJson(a, n);
  }
}

async function* fromLines(stream: NodeJS.ReadableStream, format: InputFormat, label: string): AsyncGenerator<unknown> {
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  const csv = format === 'csv' ? new CsvRecords() : undefined;
  let lineNo = 0;
  try {
    for await (const line of lines) {
      lineNo++;
      if (csv) {
        if (!csv.unterminated && line === '') continue;
        try {
          const rec = csv.push(line, lineNo);
          if (rec) yield rec;
        } catch (err) {
          yield new BadLine(csv.startLine, line, (err as Error).message);
        }
        continue;
      }
      if (line.trim() === '') continue; // blank lines are layout, not items
      yield format === 'jsonl' ? parseJson(line, lineNo) : line;
    }
    if (csv?.unterminated) yield new BadLine(csv.startLine, '', 'a quoted field is never closed');
  } catch (err) {
    throw new UsageError(`Cannot read the input ${label}: ${(err as Error).message}`);
  }
}

function parseJson(line: string, lineNo: number): unknown {
  try {
    return JSON.parse(line);
  } catch (err) {
    return new BadLine(lineNo, line, `malformed JSON (${(err as Error).message})`);
  }
}

/** Turns a BadLine into the error recorded for it. */
export function badLineError(item: unknown, label: string): Error | undefined {
  return item instanceof BadLine ? new InputLineError(label, item.line, item.why) : undefined;
}

/**
 * One pass over the file before the run: its digest (so a rerun notices a
 * changed file) and its item count (for the progress total). About 0.1 s for
 * a million short lines. CSV counts lines minus the header, which is exact
 * unless quoted fields span lines.
 */
async function scan(path: string, format: InputFormat): Promise<{ bytes: number; hash: string; count: number }> {
  const h = createHash('sha1');
  let bytes = 0;
  let count = 0;
  let lineHasText = false;
  try {
    for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
      h.update(chunk);
      bytes += chunk.length;
      for (let i = 0; i < chunk.length; i++) {
        const c = chunk[i]!;
        if (c === 10) { if (lineHasText) count++; lineHasText = false; }
        else if (c !== 13 && c !== 32 && c !== 9) lineHasText = true;
      }
    }
  } catch (err) {
    throw new UsageError(`Cannot read the input ${JSON.stringify(path)}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  if (lineHasText) count++;
  if (format === 'csv') count = Math.max(0, count - 1);
  return { bytes, hash: h.digest('hex'), count };
}

function sha1(text: string): string {
  return createHash('sha1').update(text).digest('hex');
}
