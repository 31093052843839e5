/**
 * Parsers for the human units the command line accepts: durations (`30s`),
 * process counts (`4`, `50%`, `+1`, `-1`) and chunk sizes. Each throws a
 * `UsageError` naming the flag and the value it got.
 */
import { availableParallelism } from 'node:os';
import { memoryCap } from '../util/bytes.js';
import { UsageError } from './errors.js';

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `500ms`, `30s`, `2m`, `1h`; a bare number is seconds, as in GNU parallel's --timeout. */
export function parseDuration(flag: string, text: string): number {
  const m = DURATION.exec(text.trim());
  if (!m) throw new UsageError(`${flag} expects a duration such as 30s, 500ms or 2m, got ${JSON.stringify(text)}`);
  const ms = Number(m[1]) * UNIT_MS[m[2] ?? 's']!;
  if (ms <= 0) throw new UsageError(`${flag} must be more than zero, got ${JSON.stringify(text)}`);
  return ms;
}

/**
 * GNU parallel's -j: `N` processes, `N%` of the cores, `+N`/`-N` cores plus
 * or minus N, `0` all the cores (GNU parallel: "as many as possible"). Never
 * less than one.
 */
export function parseProcesses(text: string, cores = availableParallelism()): number {
  const t = text.trim();
  let n: number;
  if (/^\d+$/.test(t)) n = Number(t) === 0 ? cores : Number(t);
  else if (/^\d+(\.\d+)?%$/.test(t)) n = Math.floor((cores * Number(t.slice(0, -1))) / 100);
  else if (/^[+-]\d+$/.test(t)) n = cores + Number(t);
  else throw new UsageError(`-j/--processes expects N, N%, +N, -N or 0 (all cores), got ${JSON.stringify(text)}`);
  if (!Number.isSafeInteger(n)) throw new UsageError(`-j/--processes is far beyond any number of processes a machine can start, got ${JSON.stringify(text)}`);
  return Math.max(1, n);
}

export function parsePositiveInt(flag: string, text: string): number {
  if (!/^\d+$/.test(text.trim()) || Number(text) < 1) {
    throw new UsageError(`${flag} expects a positive whole number, got ${JSON.stringify(text)}`);
  }
  return Number(text);
}

export function parseCount(flag: string, text: string): number {
  if (!/^\d+$/.test(text.trim())) throw new UsageError(`${flag} expects a whole number (0 or more), got ${JSON.stringify(text)}`);
  return Number(text);
}

/** `512MB`, `1.5GB`, `200k`, or plain bytes; checked here so the message names the flag. */
export function parseSize(flag: string, text: string): string | number {
  const t = text.trim();
  const size = /^\d+$/.test(t) ? Number(t) : /^\d+(\.\d+)?\s*(b|k|kb|kib|m|mb|mib|g|gb|gib)$/i.test(t) ? t : undefined;
  if (size === undefined) throw new UsageError(`${flag} expects a size such as 512MB or 2GB, got ${JSON.stringify(text)}`);
  // The pool's own range check (at least 32MB, an exact number of bytes), said as a usage error that names the flag.
  try {
    memoryCap(flag, size);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  return size;
}

export interface HaltPolicy {
  when: 'now' | 'soon';
  /** What is counted: failed items, succeeded items, or finished items of either kind. */
  what: 'fail' | 'success' | 'done';
  /** Halt once this many items were counted... */
  count?: number;
  /** ...or once this percentage of the input (of finished items for `fail`/`success` when the total is unknown) was. */
  percent?: number;
}

/**
 * GNU parallel's --halt: `never`, or `now|soon,fail|success|done=N|N%`
 * (`now,fail=1`, `soon,success=1`, `now,done=50%`). A bare number is
 * GNU parallel's old form: `1` is `soon,fail=1`, `2` is `now,fail=1`.
 */
export function parseHalt(text: string): HaltPolicy | undefined {
  const t = text.trim();
  if (t === 'never' || t === '0') return undefined;
  if (t === '1') return { when: 'soon', what: 'fail', count: 1 };
  if (t === '2') return { when: 'now', what: 'fail', count: 1 };
  const m = /^(now|soon),(fail|success|done)=(\d+(?:\.\d+)?)(%?)$/.exec(t);
  if (!m) throw new UsageError(`--halt expects never or now|soon,fail|success|done=N|N% (e.g. now,fail=1, soon,success=1, now,done=50%), got ${JSON.stringify(text)}`);
  const n = Number(m[3]);
  if (n <= 0 || (m[4] && n > 100)) throw new UsageError(`--halt needs ${m[2]}= above zero${m[4] ? ' and at most 100%' : ''}, got ${JSON.stringify(text)}`);
  const base = { when: m[1] as 'now' | 'soon', what: m[2] as HaltPolicy['what'] };
  return m[4] ? { ...base, percent: n } : { ...base, count: Math.ceil(n) };
}

export type RetryOn = 'error' | 'crash' | 'timeout';

/** `--retry-on error,crash,timeout`: which failures `--retries` re-runs. */
export function parseRetryOn(text: string): RetryOn[] {
  const kinds = text.split(',').map((k) => k.trim()).filter(Boolean);
  for (const k of kinds) {
    if (k !== 'error' && k !== 'crash' && k !== 'timeout') throw new UsageError(`--retry-on expects a comma list of error, crash and timeout, got ${JSON.stringify(text)}`);
  }
  if (kinds.length === 0) throw new UsageError(`--retry-on expects a comma list of error, crash and timeout, got ${JSON.stringify(text)}`);
  return [...new Set(kinds as RetryOn[])];
}

/** `--max-rate 5/s`, `300/m`, `10/h`, or a bare number of starts per second. */
export function parseRate(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(?:\/(s|m|min|h))?$/.exec(text.trim());
  const per = m ? { s: 1, m: 60, min: 60, h: 3600 }[(m[2] ?? 's') as 's' | 'm' | 'min' | 'h'] : undefined;
  if (!m || per === undefined || Number(m[1]) <= 0) throw new UsageError(`--max-rate expects starts per time such as 5/s, 300/m or 10/h, got ${JSON.stringify(text)}`);
  return Number(m[1]) / per;
}

/** "1 item", "2 items", "1,000 items". */
export function plural(n: number, word: string, many = `${word}s`): string {
  return `${count(n)} ${n === 1 ? word : many}`;
}

/**
 * A count with thousands separators, "1,234,567", as `toLocaleString('en-US')`
 * writes it. Not through Intl: its first call loads ICU's number formats,
 * about 30 ms of every run's summary.
 */
export function count(n: number): string {
  if (!Number.isSafeInteger(n)) return n.toLocaleString('en-US');
  const digits = String(Math.abs(n));
  let out = digits.slice(0, digits.length % 3 || 3);
  for (let i = out.length; i < digits.length; i += 3) out += `,${digits.slice(i, i + 3)}`;
  return n < 0 ? `-${out}` : out;
}

/** An ETA is a human estimate: whole seconds, "<1s" rather than "0.42ms". */
export function formatEta(ms: number): string {
  if (!Number.isFinite(ms)) return '?';
  if (ms <= 0) return '0s';
  if (ms < 1000) return '<1s';
  if (ms < 60_000) return `${Math.ceil(ms / 1000)}s`;
  return formatDuration(ms);
}

/** For summaries: 1234 ms → "1.2s", 75_000 → "1m15s". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '?';
  if (ms < 1) return `${ms.toFixed(2)}ms`;
  if (ms < 10) return `${ms.toFixed(1)}ms`;
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

export function formatBytes(n: number | undefined): string {
  if (n === undefined) return '?';
  if (n < 1024 * 1024) return `${Math.round(n / 1024)}KB`;
  if (n < 1024 ** 3) return `${Math.round(n / 1024 / 1024)}MB`;
  return `${(n / 1024 ** 3).toFixed(1)}GB`;
}
