/**
 * Progress on stderr. On a terminal: a live bar (done/total, rate, ETA,
 * failures, workers) on one line, redrawn in place. Elsewhere (a
 * log file, CI): one concise status line every few seconds, since redrawing
 * would fill a log with control characters.
 *
 * Worker log lines go through `log()` so they print above the bar instead of
 * being overwritten by it.
 */
import type { RunStats } from './run-stats.js';
import { count, formatBytes, formatEta, plural } from './units.js';

/** 10 redraws a second: smooth enough to read, cheap enough to ignore. */
const REDRAW_MS = 100;
/** Off a terminal, how often a status line is printed. */
const STATUS_EVERY_MS = 5_000;
const BAR_WIDTH = 28;
/** Rate is measured over this recent window, so the ETA follows changes in speed. */
const RATE_WINDOW_MS = 5_000;

export interface WorkerView { id: number; pid: number | undefined; tasksDone: number; rss: number | undefined; restarts: number }

export interface ProgressSource {
  stats: RunStats;
  workers(): readonly WorkerView[];
  running(): number;
}

export interface Progress {
  start(): void;
  log(line: string): void;
  /** Note shown at the end of the bar (e.g. "stopping: waiting for 3 running items"). */
  note(text: string): void;
  /** Runs a write to another stream on the terminal (results on stdout) without gluing it onto the bar. */
  aboveBar(write: () => void): void;
  /** Stops redrawing; later output starts on a fresh line. Idempotent. */
  stop(): void;
}

export function createProgress(mode: 'bar' | 'lines' | 'off', src: ProgressSource, out: NodeJS.WriteStream = process.stderr): Progress {
  if (mode === 'off') return { start() {}, log: (l) => { out.write(`${l}\n`); }, note() {}, aboveBar: (w) => w(), stop() {} };
  return mode === 'bar' ? new Bar(src, out) : new StatusLines(src, out);
}

class RateMeter {
  /** Seeded with the start of the run, so the first reading is already a rate. */
  #samples: Array<[number, number]> = [[Date.now(), 0]];
  rate(done: number, now = Date.now()): number {
    this.#samples.push([now, done]);
    while (this.#samples.length > 2 && now - this.#samples[0]![0] > RATE_WINDOW_MS) this.#samples.shift();
    const [t0, d0] = this.#samples[0]!;
    return now > t0 ? ((done - d0) * 1000) / (now - t0) : 0;
  }
}

function headline(src: ProgressSource, meter: RateMeter): { text: string; fraction: number | undefined } {
  const s = src.stats;
  const done = s.done;
  const rate = meter.rate(s.ran);
  const total = s.total;
  const left = total === undefined ? undefined : Math.max(0, total - done);
  const eta = left === undefined || left === 0 ? '' : rate > 0 ? `  ETA ${formatEta((left / rate) * 1000)}` : '  ETA ?';
  const counted = total === undefined ? count(done) : `${count(done)}/${count(total)}`;
  const pct = total ? `  ${((100 * done) / total).toFixed(1)}%` : '';
  const failed = s.failed ? `  ✗ ${s.failed} failed` : '';
  const resumed = s.fromJournal ? `  (${count(s.fromJournal)} from journal)` : '';
  return {
    text: `${counted}${pct}  ${rate >= 10 ? Math.round(rate) : rate.toFixed(1)}/s${eta}${failed}${resumed}`,
    fraction: total ? done / total : undefined,
  };
}

/**
 * One line, redrawn in place with a carriage return and "clear line". Never
 * cursor-up sequences: when the bar starts on the top row of a pane, moving
 * up and clearing to the end of the screen makes tmux keep every redraw in
 * its scrollback.
 */
class Bar implements Progress {
  #timer: NodeJS.Timeout | undefined;
  #drawn = false;
  #note = '';
  #stopped = false;
  readonly #meter = new RateMeter();
  constructor(private readonly src: ProgressSource, private readonly out: NodeJS.WriteStream) {}

  start(): void {
    this.#timer = setInterval(() => this.#draw(), REDRAW_MS);
    this.#timer.unref();
    this.#draw();
  }

  log(line: string): void {
    this.aboveBar(() => this.out.write(`${line}\n`));
  }

  aboveBar(write: () => void): void {
    this.#clear();
    write();
    if (!this.#stopped) this.#draw();
  }

  note(text: string): void {
    this.#note = text;
    this.#draw();
  }

  stop(): void {
    if (this.#stopped) return;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#draw();
    this.#stopped = true;
    // The final bar stays on screen; whatever comes next starts on a line of its own.
    this.out.write('\n');
    this.#drawn = false;
  }

  #clear(): void {
    if (!this.#drawn) return;
    this.out.write('\r\x1b[2K');
    this.#drawn = false;
  }

  #draw(): void {
    if (this.#stopped) return;
    const { text, fraction } = headline(this.src, this.#meter);
    // A margin of a few columns: the terminal echoes "^C" after the cursor, and a wrapped line would break the redraw.
    const width = Math.max(20, (this.out.columns || 100) - 4);
    let bar: string;
    if (fraction === undefined) {
      const pos = Math.floor(Date.now() / 120) % BAR_WIDTH; // unknown total: a bouncing marker
      bar = `${'░'.repeat(pos)}█${'░'.repeat(BAR_WIDTH - pos - 1)}`;
    } else {
      const full = Math.round(fraction * BAR_WIDTH);
      bar = `${'█'.repeat(full)}${'░'.repeat(BAR_WIDTH - full)}`;
    }
    const tail = this.#note || this.#workersText();
    this.out.write(`\r\x1b[2K${fit(`${bar} ${text} │ ${tail}`, width)}`);
    this.#drawn = true;
  }

  #workersText(): string {
    const restarts = Object.entries(this.src.stats.restarts).map(([k, n]) => `${n} ${k}`).join(', ');
    const ws = this.src.workers();
    const rss = ws.reduce((sum, w) => sum + (w.rss ?? 0), 0);
    return `${plural(ws.length, 'worker')}, ${this.src.running()} running${rss ? `, ${formatBytes(rss)}` : ''}${restarts ? ` (restarts: ${restarts})` : ''}`;
  }
}

class StatusLines implements Progress {
  #timer: NodeJS.Timeout | undefined;
  readonly #meter = new RateMeter();
  constructor(private readonly src: ProgressSource, private readonly out: NodeJS.WriteStream) {}

  start(): void {
    this.#timer = setInterval(() => this.out.write(`forkpool: ${headline(this.src, this.#meter).text}\n`), STATUS_EVERY_MS);
    this.#timer.unref();
  }

  log(line: string): void {
    this.out.write(`${line}\n`);
  }

  note(text: string): void {
    this.out.write(`forkpool: ${text}\n`);
  }

  aboveBar(write: () => void): void {
    write();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}

function fit(line: string, width: number): string {
  return line.length > width ? `${line.slice(0, width - 1)}…` : line;
}
