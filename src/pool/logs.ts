/**
 * Worker output as whole lines.
 *
 * Each worker's stdout and stderr get their own assembler, so a line is never
 * split or mixed with another worker's text, and lines keep their order per
 * worker. A trailing partial line is flushed when the worker exits (before its
 * exit is reported), so a crash right after writing loses nothing.
 */

export interface LogLine {
  workerId: number;
  /** Task that was running when the line started, or null (start-up, native writes). */
  taskId: number | null;
  stream: 'stdout' | 'stderr';
  text: string;
  /** Epoch ms when the line was received. */
  time: number;
}

export class LineAssembler {
  #partial = '';
  #partialTask: number | null = null;

  constructor(
    readonly workerId: number,
    readonly stream: 'stdout' | 'stderr',
    private readonly emit: (line: LogLine) => void,
  ) {}

  push(text: string, taskId: number | null): void {
    let start = 0;
    while (start < text.length) {
      // A line belongs to the task that was running when its first character was written.
      if (this.#partial === '') this.#partialTask = taskId;
      const nl = text.indexOf('\n', start);
      if (nl < 0) {
        this.#partial += text.slice(start);
        return;
      }
      let line = this.#partial + text.slice(start, nl);
      if (line.endsWith('\r')) line = line.slice(0, -1);
      this.#partial = '';
      this.#emit(line, this.#partialTask);
      start = nl + 1;
    }
  }

  /** Emits what is left of an unfinished line. */
  flush(): void {
    if (this.#partial === '') return;
    const line = this.#partial;
    this.#partial = '';
    this.#emit(line, this.#partialTask);
  }

  #emit(text: string, taskId: number | null): void {
    this.emit({ workerId: this.workerId, taskId, stream: this.stream, text, time: Date.now() });
  }
}

/** The default sink of `logs: 'inherit'`: `[w1 #42] text` on this process's stdout/stderr. */
export function printLine(line: LogLine): void {
  const tag = line.taskId === null ? `[w${line.workerId}]` : `[w${line.workerId} #${line.taskId}]`;
  process[line.stream].write(`${tag} ${line.text}\n`);
}
