/**
 * Worker output as whole lines.
 *
 * Each worker's stdout and stderr get their own assembler, so a line is never
 * split or mixed with another worker's text, and lines keep their order per
 * worker. A trailing partial line is flushed when the worker exits (before its
 * exit is reported), so a crash right after writing loses nothing.
 *
 * A line never mixes two tasks either: text written without a newline is
 * emitted as a line of its own when its task ends (its result arrives on the
 * same channel, after its output) or when another task writes to the same
 * stream first (`concurrentTasksPerWorker`). Otherwise a task's last words
 * would wait for the next task's first line and be glued onto it, under the
 * earlier task's id.
 *
 * Memory per worker is bounded: a "line" longer than MAX_LINE_CHARS (a worker
 * writing megabytes with no newline) is cut into pieces of that size, each
 * marked `cut: true`, so a runaway writer cannot exhaust the main process.
 */

/** Longest line kept whole; longer ones are emitted in pieces marked `cut`. */
export const MAX_LINE_CHARS = 64 * 1024;
/** With `logs: 'inherit'`, stop writing (and count the drops) while this much is unread on our stdout/stderr. */
const INHERIT_BACKLOG_LIMIT_BYTES = 16 * 1024 * 1024;

import type { EventEmitter } from 'node:events';
import { callSafely, emitSafely } from '../util/emit.js';

export interface LogLine {
  workerId: number;
  /** Task that was running when the line started, or null (start-up, native writes). */
  taskId: number | null;
  stream: 'stdout' | 'stderr';
  text: string;
  /** Epoch ms when the line was received. */
  time: number;
  /** Set when this is a piece of a line longer than MAX_LINE_CHARS; the next piece continues it. */
  cut?: true;
}

export class LineAssembler {
  #partial = '';
  #partialTask: number | null = null;

  /**
   * `byTask`: the text comes from the worker's protocol channel, in order
   * with its results, so a task's end and a change of task end the line.
   * Not for the bytes a process writes to fd 1/2 itself (runtime/process.ts):
   * they come through another pipe, tagged by a guess at the running task, and
   * a long line there may span a task boundary as the parent sees it.
   */
  constructor(
    readonly workerId: number,
    readonly stream: 'stdout' | 'stderr',
    private readonly emit: (line: LogLine) => void,
    private readonly byTask = true,
  ) {}

  push(text: string, taskId: number | null): void {
    // Another task's text: the unfinished line before it was the other task's (a line never mixes tasks).
    if (this.byTask && this.#partial !== '' && taskId !== this.#partialTask) this.flush();
    let start = 0;
    while (start < text.length) {
      // A line belongs to the task that was running when its first character was written.
      if (this.#partial === '') this.#partialTask = taskId;
      const nl = text.indexOf('\n', start);
      if (nl < 0) {
        this.#partial += text.slice(start);
        this.#cutLong();
        return;
      }
      if (this.#partial.length + (nl - start) > MAX_LINE_CHARS) {
        // A long line that ends in this chunk: pieces of at most MAX_LINE_CHARS.
        this.#partial += text.slice(start, nl);
        this.#cutLong();
        start = nl;
        continue;
      }
      let line = this.#partial + text.slice(start, nl);
      if (line.endsWith('\r')) line = line.slice(0, -1);
      this.#partial = '';
      this.#emit(line, this.#partialTask);
      start = nl + 1;
    }
  }

  /** Emits pieces of the unfinished line while it is longer than MAX_LINE_CHARS. */
  #cutLong(): void {
    while (this.#partial.length > MAX_LINE_CHARS) {
      // Never between the two halves of a surrogate pair (an emoji): each
      // piece must be valid text on its own. The partial is longer than the
      // cut, so the low half is already here.
      const code = this.#partial.charCodeAt(MAX_LINE_CHARS - 1);
      const at = code >= 0xd800 && code <= 0xdbff ? MAX_LINE_CHARS - 1 : MAX_LINE_CHARS;
      const piece = this.#partial.slice(0, at);
      this.#partial = this.#partial.slice(at);
      this.#emit(piece, this.#partialTask, true);
    }
  }

  /** Emits what is left of an unfinished line. */
  flush(): void {
    if (this.#partial === '') return;
    const line = this.#partial;
    this.#partial = '';
    this.#emit(line, this.#partialTask);
  }

  /** Task `taskId` ended (its result arrived): its unfinished line is a line of its own. */
  taskEnded(taskId: number): void {
    if (this.#partial !== '' && this.#partialTask === taskId) this.flush();
  }

  #emit(text: string, taskId: number | null, cut = false): void {
    const line: LogLine = { workerId: this.workerId, taskId, stream: this.stream, text, time: Date.now() };
    if (cut) line.cut = true;
    this.emit(line);
  }
}

/**
 * Where a pool's worker output goes, by the `logs` option: assembled into
 * lines only when someone wants them (with `'silent'` and no `'log'`
 * listener, workers are told not to send output at all; `tell` then tells
 * the live workers to start when a `'log'` listener comes, and to stop when
 * the last one goes).
 */
export class LogRouter {
  constructor(
    private readonly sink: 'inherit' | 'pipe' | 'silent' | ((line: LogLine) => void),
    private readonly events: EventEmitter,
    tell?: (send: boolean) => void,
  ) {
    if (sink === 'silent' && tell) followLogListeners(events, tell);
  }

  wanted(): boolean {
    return this.sink !== 'silent' || this.events.listenerCount('log') > 0;
  }

  /** Raw text from a worker (protocol log chunk or its fd 1/2). */
  chunk(w: { stdout: LineAssembler; stderr: LineAssembler }, stream: 'stdout' | 'stderr', text: string, taskId: number | null): void {
    if (this.wanted()) (stream === 'stderr' ? w.stderr : w.stdout).push(text, taskId);
  }

  /**
   * A whole line: print or hand it over, then emit it. A `logs` function or
   * listener that throws cannot break the pool (nor keep the line from the
   * other): its error is thrown on the next tick (util/emit.ts).
   */
  line(line: LogLine): void {
    if (this.sink === 'inherit') printLine(line);
    else if (typeof this.sink === 'function') callSafely(this.sink, line);
    emitSafely(this.events, 'log', line);
  }
}

/** The default sink of `logs: 'inherit'`: `[w1 #42] text` on this process's stdout/stderr. */
export function printLine(line: LogLine): void {
  const out = process[line.stream];
  // A reader that does not keep up (a paused pipe) must not make us buffer
  // without bound: drop lines while the backlog is large, and say how many
  // once it has drained.
  if (out.writableLength > INHERIT_BACKLOG_LIMIT_BYTES) {
    if (dropped[line.stream]++ === 0) out.once('drain', () => noteDropped(line.stream));
    return;
  }
  const tag = line.taskId === null ? `[w${line.workerId}]` : `[w${line.workerId} #${line.taskId}]`;
  out.write(`${tag} ${line.text}${line.cut ? ' [cut]' : ''}\n`);
}

function noteDropped(stream: 'stdout' | 'stderr'): void {
  process[stream].write(`[forkpool] ${dropped[stream]} worker ${stream} line(s) dropped: this process's ${stream} was not being read\n`);
  dropped[stream] = 0;
}

const dropped = { stdout: 0, stderr: 0 };

/**
 * Calls `tell(true)` when the first `'log'` listener is added to `events`,
 * `tell(false)` when the last is removed. Whether a worker sends its output
 * is decided when it spawns; the pool's first workers spawn in its
 * constructor, before anyone can add a listener, so without this they would
 * never send a line to a listener added later.
 */
function followLogListeners(events: EventEmitter, tell: (send: boolean) => void): void {
  // 'newListener' comes before the listener is added, 'removeListener' after it is removed.
  const added = (name: string | symbol): void => {
    if (name !== 'log') return;
    if (!events.listeners('removeListener').includes(removed)) events.on('removeListener', removed);
    if (events.listenerCount('log') === 0) tell(true);
  };
  /** removeAllListeners() took the hooks: a listener may come unseen until they are back. */
  let unseen = false;
  const removed = (name: string | symbol, fn: unknown): void => {
    if (name === 'log' && !unseen && events.listenerCount('log') === 0) tell(false);
    else if (name === 'newListener' && fn === added) {
      // Put back only once removeAllListeners() is done (its end wipes the
      // lot). Meanwhile a listener and a task may come in the same turn:
      // workers send (the router drops what nobody wants) until then.
      unseen = true;
      tell(true);
      queueMicrotask(install);
    }
  };
  const install = (): void => {
    unseen = false;
    if (!events.listeners('newListener').includes(added)) events.on('newListener', added);
    if (!events.listeners('removeListener').includes(removed)) events.on('removeListener', removed);
    tell(events.listenerCount('log') > 0);
  };
  events.on('newListener', added);
  events.on('removeListener', removed);
}
