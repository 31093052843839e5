/**
 * Where items come from: a file, stdin, the command line, or GNU parallel
 * style sources (`::: a b`, `:::: file`, see sources.ts). Items stream: a
 * million-line file is never held in memory.
 *
 * - `lines`: each non-empty line (or NUL-separated record with `-0`) is one
 *   string item; with `--colsep SEP`, an array of its fields; with
 *   `--header`, an object keyed by the first line's fields.
 * - `tsv`: lines split on tabs, the first line being the header.
 * - `jsonl`: each non-empty line is one JSON value. A malformed line becomes a
 *   `BadLine`, which the runner records as a failed item (with its line
 *   number) while the rest of the run goes on.
 * - `csv`: the first row is the header; each later row is an object.
 *
 * With `--spread`, rows with a header stay arrays of their fields (column
 * order), to be spread into the function's parameters.
 */
import { closeSync, constants, createReadStream, fstatSync, openSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { InputLineError, UsageError } from './errors.js';
import { CsvRecords } from './csv.js';
import type { InputFormat, RunConfig } from './args.js';
import { fromSources } from './sources.js';
import type { InputSource, Shape } from './input-source.js';
import { sha1 } from './input-source.js';

/** An input line that could not be parsed; it reaches the output and the journal as a failed item. */
export class BadLine {
  constructor(readonly line: number, readonly text: string, readonly why: string) {}
}

export type { InputSource, Shape } from './input-source.js';

export async function openInput(config: RunConfig): Promise<InputSource> {
  const { input, args } = config;
  if (config.sources.length) return fromSources(config.sources, config);
  if (input === undefined && args.length > 0) {
    return { items: shapeRecords(asRecords(args), config, 'arguments'), total: countArgs(args, config), identity: { args: args.length, sha1: sha1(args.join('\n')) }, label: 'arguments' };
  }
  // An inherited descriptor by name (`<(cmd)` gives /dev/fd/63): read that
  // descriptor itself. Opening the path again fails on a socket (ENXIO) and,
  // on a FIFO whose writer is done, waits for a new writer forever.
  const fd = input === undefined ? undefined : /^\/(?:dev\/fd|proc\/self\/fd)\/(\d+)$/.exec(input)?.[1] ?? (input === '/dev/stdin' ? '0' : undefined);
  if (fd === '0') return openInput({ ...config, input: '-' });
  if (fd !== undefined) {
    const stream = createReadStream('', { fd: Number(fd) });
    return { items: shapeRecords(records(stream, config.nul), config, input!), total: undefined, identity: undefined, label: input!, close: () => stream.destroy() };
  }
  if (input === undefined || input === '-') {
    if (input === undefined && process.stdin.isTTY) {
      throw new UsageError('No input: give --input FILE, pipe items into stdin (--input -), or list them after the module');
    }
    checkStdin();
    return { items: shapeRecords(records(process.stdin, config.nul), config, 'stdin'), total: undefined, identity: undefined, label: 'stdin' };
  }
  const label = basename(input);
  if (!statSync(input).isFile()) {
    // A pipe, FIFO or device (`--input <(cmd)`, `/dev/stdin`) can be read
    // once only: a scan up front would drain it (the run then saw no items)
    // or, a FIFO, wait for a second writer forever. It is read as stdin is,
    // with no count or digest up front.
    return { ...readOnce(input, config, label), total: undefined, identity: undefined, label };
  }
  const { bytes, hash, count } = await scan(input, config);
  return {
    items: shapeRecords(records(createReadStream(input), config.nul), config, label),
    total: count,
    identity: { file: label, format: config.format, bytes, sha1: hash },
    label,
    grewFrom: (recorded) => grewFrom(input, recorded, { file: label, format: config.format, bytes }, config.nul ? 0 : 10),
  };
}

/**
 * A FIFO's open() waits for a writer, in a libuv thread that nothing can
 * cancel, and that keeps even process.exit() from ending the process. When a
 * stop comes before any writer did, `close` opens the FIFO for writing itself
 * (without blocking: a reader is waiting) and closes it at once: the pending
 * open completes, and the stream reads its end.
 */
function readOnce(path: string, config: RunConfig, label: string): Pick<InputSource, 'items' | 'close'> {
  const stream = createReadStream(path);
  let opened = false;
  stream.once('open', () => { opened = true; });
  const close = () => {
    if (!opened && statSync(path, { throwIfNoEntry: false })?.isFIFO()) {
      try {
        closeSync(openSync(path, constants.O_WRONLY | constants.O_NONBLOCK));
      } catch { /* the writer came meanwhile (the open is done), or the FIFO is gone */ }
    }
    stream.destroy();
  };
  return { items: shapeRecords(records(stream, config.nul), config, label), close };
}

/** Stdin redirected from a folder (`< dir`) would read as no items at all: say so instead. */
export function checkStdin(): void {
  let folder = false;
  try {
    folder = fstatSync(0).isDirectory();
  } catch { /* no stdin at all: reading it ends at once, as an empty input */ }
  if (folder) throw new UsageError('stdin is a folder (a `< folder` redirection?), not a file or pipe of items');
}

function countArgs(args: string[], shape: Shape): number {
  const csv = shape.format === 'csv';
  const n = args.filter((a) => !isLayout(a, csv)).length;
  return shape.header ? Math.max(0, n - 1) : n;
}

/**
 * A record that is layout, not an item: in CSV an empty line (a line of
 * spaces is a row), elsewhere a record of nothing but ASCII spaces, tabs,
 * line breaks, vertical tabs and form feeds. `scan` counts by the same
 * rule, byte by byte, so the progress total, `--halt done=N%` and the
 * summary's "N of M" match what runs.
 */
function isLayout(rec: string, csv: boolean): boolean {
  return csv ? rec === '' : BLANK.test(rec);
}
const BLANK = /^[ \t\r\n\v\f]*$/;

async function* asRecords(list: string[]): AsyncGenerator<string> {
  yield* list;
}

/** Records of a stream: lines (a trailing CR dropped), or NUL-separated records. */
export async function* records(stream: NodeJS.ReadableStream, nul: boolean): AsyncGenerator<string> {
  const sep = nul ? '\0' : '\n';
  const decoder = new StringDecoder('utf8');
  // The pieces of a record that spans chunks. Each chunk is searched once and
  // joined once: appending to one string and searching it again made a 40 MB
  // line take a minute (every 64 KB chunk rescanned all before it).
  const pending: string[] = [];
  const cut = (r: string) => (!nul && r.endsWith('\r') ? r.slice(0, -1) : r);
  let start = true;
  for await (const chunk of stream as AsyncIterable<Buffer | string>) {
    let text = typeof chunk === 'string' ? chunk : decoder.write(chunk);
    if (start && text.length > 0) {
      start = false;
      // A UTF-8 byte order mark (Excel's CSVs, Notepad's files) is not data:
      // kept, it became part of the first item, or of the first column's name.
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    let at: number;
    let from = 0;
    while ((at = text.indexOf(sep, from)) >= 0) {
      const piece = text.slice(from, at);
      yield cut(pending.length > 0 ? pending.splice(0).join('') + piece : piece);
      from = at + 1;
    }
    if (from < text.length) pending.push(text.slice(from));
  }
  const rest = pending.join('') + decoder.end();
  if (rest) yield cut(rest);
}

/** Records → items, by format: lines, fields (--colsep, tsv), objects (--header, csv), JSON. */
export async function* shapeRecords(recs: AsyncIterable<string>, shape: Shape, label: string): AsyncGenerator<unknown> {
  const csv = shape.format === 'csv' ? new CsvRecords() : undefined;
  const colsep = shape.format === 'tsv' ? '\t' : shape.colsep;
  let header: string[] | undefined;
  let n = 0;
  try {
    for await (const rec of recs) {
      n++;
      if (csv) {
        if (!csv.unterminated && isLayout(rec, true)) continue;
        try {
          const row = csv.push(rec, n, shape.spread === true);
          if (row) yield row;
        } catch (err) {
          yield new BadLine(csv.startLine, csv.text, (err as Error).message);
        }
        continue;
      }
      if (isLayout(rec, false)) continue;
      if (shape.format === 'jsonl') { yield parseJson(rec, n); continue; }
      const fields = colsep === undefined ? [rec] : rec.split(colsep);
      if (shape.header && !header) { header = fields; continue; }
      if (!header) { yield colsep === undefined ? rec : fields; continue; }
      if (fields.length !== header.length) { yield new BadLine(n, rec, `expected ${header.length} fields (as in the header), got ${fields.length}`); continue; }
      // --spread: the fields are the arguments, in column order (the header only names and counts them).
      yield shape.spread ? fields : Object.fromEntries(header.map((name, i) => [name, fields[i]]));
    }
    if (csv?.unterminated) yield new BadLine(csv.startLine, csv.text, 'a quoted field is never closed');
  } catch (err) {
    if (err instanceof UsageError) throw err;
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
 * Whether the file at `path` starts with the input a journal recorded: same
 * name and format, at least as long, the recorded bytes hash the same, and
 * they end on a record boundary (so no recorded line was extended).
 */
async function grewFrom(path: string, recorded: Record<string, unknown>, now: { file: string; format: string; bytes: number }, sep: number): Promise<boolean> {
  const { file, format, bytes, sha1: digest } = recorded;
  if (file !== now.file || format !== now.format || typeof bytes !== 'number' || typeof digest !== 'string' || bytes > now.bytes) return false;
  const h = createHash('sha1');
  let last = -1;
  if (bytes > 0) {
    for await (const chunk of createReadStream(path, { start: 0, end: bytes - 1 }) as AsyncIterable<Buffer>) {
      h.update(chunk);
      last = chunk[chunk.length - 1]!;
    }
  }
  return h.digest('hex') === digest && (bytes === 0 || last === sep);
}

/**
 * One pass over the file before the run: its digest (so a rerun notices a
 * changed file) and its item count (for the progress total). About 0.1 s for
 * a million short lines. A header line is not counted, which is exact unless
 * quoted CSV fields span lines.
 */
async function scan(path: string, shape: Shape): Promise<{ bytes: number; hash: string; count: number }> {
  const h = createHash('sha1');
  const sep = shape.nul ? 0 : 10;
  const csv = shape.format === 'csv';
  let bytes = 0;
  let count = 0;
  // The current record is an item (isLayout's rule). In CSV any byte makes a
  // row but a CR just before the separator, which the reader drops: `pendingCr`.
  let isItem = false;
  let pendingCr = false;
  try {
    for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
      h.update(chunk);
      // A UTF-8 byte order mark opening the file is dropped by the reader, so it makes no item here
      // either (a BOM then a blank line counted one item too many).
      const from = bytes === 0 && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf ? 3 : 0;
      bytes += chunk.length;
      for (let i = from; i < chunk.length; i++) {
        const c = chunk[i]!;
        if (c === sep) {
          if (isItem) count++;
          isItem = pendingCr = false;
        } else if (!csv) {
          if (c !== 32 && c !== 9 && c !== 13 && c !== 10 && c !== 11 && c !== 12) isItem = true;
        } else if (shape.nul) {
          isItem = true;
        } else {
          if (pendingCr) isItem = true;
          pendingCr = c === 13;
          if (!pendingCr) isItem = true;
        }
      }
    }
  } catch (err) {
    throw new UsageError(`Cannot read the input ${JSON.stringify(path)}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  if (isItem) count++;
  if (shape.header) count = Math.max(0, count - 1);
  return { bytes, hash: h.digest('hex'), count };
}

export { sha1 } from './input-source.js';

export type { InputFormat };
