/**
 * Parsers for the human units the command line accepts: durations (`30s`),
 * process counts (`4`, `50%`, `+1`, `-1`) and chunk sizes. Each throws a
 * `UsageError` naming the flag and the value it got.
 */
import { availableParallelism } from 'node:os';
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
 * or minus N. Never less than one.
 */
export function parseProcesses(text: string, cores = availableParallelism()): number {
  const t = text.trim();
  let n: number;
  if (/^\d+$/.test(t)) n = Number(t);
  else if (/^\d+(\.\d+)?%$/.test(t)) n = Math.floor((cores * Number(t.slice(0, -1))) / 100);
  else if (/^[+-]\d+$/.test(t)) n = cores + Number(t);
  else throw new UsageError(`-j/--processes expects N, N%, +N or -N, got ${JSON.stringify(text)}`);
  if (/^\d+$/.test(t) && n === 0) throw new UsageError('-j/--processes must be at least 1, got "0"');
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
  if (/^\d+$/.test(t)) return Number(t);
  if (/^\d+(\.\d+)?\s*(b|k|kb|kib|m|mb|mib|g|gb|gib)$/i.test(t)) return t;
  throw new UsageError(`${flag} expects a size such as 512MB or 2GB, got ${JSON.stringify(text)}`);
}

export interface HaltPolicy {
  when: 'now' | 'soon';
  /** Halt once this many items failed... */
  failCount?: number;
  /** ...or once this percentage of finished items failed (checked after at least 10 finished). */
  failPercent?: number;
}

/** GNU parallel's --halt: `never`, `now,fail=N`, `soon,fail=N`, `now,fail=N%`. */
export function parseHalt(text: string): HaltPolicy | undefined {
  if (text === 'never') return undefined;
  const m = /^(now|soon),fail=(\d+(?:\.\d+)?)(%?)$/.exec(text.trim());
  if (!m) throw new UsageError(`--halt expects never, now,fail=N, soon,fail=N or now|soon,fail=N%, got ${JSON.stringify(text)}`);
  const n = Number(m[2]);
  if (n <= 0) throw new UsageError(`--halt needs fail= above zero, got ${JSON.stringify(text)}`);
  return m[3] ? { when: m[1] as 'now' | 'soon', failPercent: n } : { when: m[1] as 'now' | 'soon', failCount: Math.ceil(n) };
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
