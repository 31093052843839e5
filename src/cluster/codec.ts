/**
 * What travels in a job. Values use the local v8 encoding (so Buffers, Maps,
 * Dates, BigInts and cycles survive, as between local workers), in base64
 * because BullMQ stores job data and results as JSON strings. Errors cross as
 * `EncodedError` records (protocol/values.ts).
 *
 *   job data     { f: JOB_FORMAT, t: [base64(v8(JobTask)), ...] }
 *   job result   { f: JOB_FORMAT, r: base64(v8([TaskResult, ...])), node }
 *                or { f: JOB_FORMAT, ref: key, node } when r would pass INLINE_RESULT_BYTES:
 *                   r is then the value of `key` (TTL 24 h), so the job hash and the
 *                   events stream (which copies every returnvalue) stay small.
 *   job progress { f: JOB_FORMAT, p: base64(v8([[index, TaskResult], ...])), node }: tasks of a
 *                job still running that ended on the node, reported before the job's result
 *                (early-results.ts); the result carries them again.
 */
import { deserialize, serialize } from 'node:v8';
import type { Task } from '../engine/task.js';
import type { EncodedError } from '../protocol/values.js';
import type { WireLine } from './node-logs.js';
import { bareKey, runOf } from './run-keys.js';
import { JOB_FORMAT } from './settings.js';

/** One Task as it travels in a job. */
export interface JobTask {
  /** Export name. */
  n: string;
  /** Arguments of a single call. */
  a?: unknown[];
  /** Items of a chunk (map). */
  m?: unknown[];
  /** Argument lists of a chunk (starmap). */
  c?: unknown[][];
  /** Timeout in ms (the node's supervisor runs the clock). */
  to?: number;
  retries: number;
  /** 1: retry tasks that threw, not only crashes. */
  re?: 1;
  /** Journal keys of the items (journaled runs): a resumed run takes finished items' values by key. */
  k?: string[];
  /** 1: the caller wants each item's run time (imap, the CLI). */
  it?: 1;
  /** The client pool's abortGrace (ms): how long an aborted task may run on before its worker is killed. */
  ag?: number;
}

/** The end of one task on a node: values and failed items, or one error for the whole task (crash, timeout...). */
export type TaskResult = (
  | { v: unknown[]; e?: Array<[number, EncodedError]>; ms: number; t?: number[] }
  | { x: EncodedError; ms: number }
  | { sp: string; ms: number }
) & { r?: number; lg?: WireLine[]; ld?: number };
// `sp`: the node re-added the task as job `sp` (it waited behind a long task there); its outcome comes with that job.
// `t`: each item's run time (ms), when the client asked (JobTask.it); `r`: retries the node's supervisor made;
// `lg`: the task's output lines (node-logs.ts), `ld`: lines of the job dropped past its log budget.

export interface JobData { f: number; t: string[] }
export interface JobResult { f: number; r?: string; ref?: string; node: string }
export interface JobProgress { f: number; p: string; node: string }

export function encodeTask(t: JobTask): string {
  return serialize(t).toString('base64');
}

export function decodeJobData(data: JobData): JobTask[] {
  if (data?.f !== JOB_FORMAT || !Array.isArray(data.t)) throw new Error(`unsupported job format ${JSON.stringify(data?.f)}`);
  return data.t.map((b) => deserialize(Buffer.from(b, 'base64')) as JobTask);
}

/** The job's results in base64; an item whose value alone passes `maxItemBytes` fails with `tooLarge(bytes)` instead. */
export function encodeResults(results: TaskResult[], maxItemBytes: number, tooLarge: (bytes: number) => EncodedError): string {
  let buf = serialize(results);
  // Only a job whose results pass the limit together can hold an item that passes it alone.
  if (buf.length > maxItemBytes) {
    for (const r of results) {
      if (!('v' in r)) continue;
      r.v.forEach((value, i) => {
        const bytes = serialize(value).length;
        if (bytes <= maxItemBytes) return;
        r.v[i] = undefined;
        (r.e ??= []).push([i, tooLarge(bytes)]);
      });
    }
    buf = serialize(results);
  }
  return buf.toString('base64');
}

export function encodeProgress(ended: Array<[number, TaskResult]>, node: string): JobProgress {
  return { f: JOB_FORMAT, p: serialize(ended).toString('base64'), node };
}

/** Tasks of a running job that ended, by index: `encodeProgress`'s, read back. */
export function decodeProgress(progress: unknown): { ended: Array<[number, TaskResult]>; node: string } | undefined {
  const p = progress as JobProgress | null;
  if (p?.f !== JOB_FORMAT || typeof p.p !== 'string') return undefined;
  return { ended: deserialize(Buffer.from(p.p, 'base64')) as Array<[number, TaskResult]>, node: p.node };
}

/** A result's reference (`ref`), if it is stored under its own key. */
export function resultRef(json: string | null): string | undefined {
  if (!json || !json.includes('"ref"')) return undefined;
  try { return (JSON.parse(json) as JobResult).ref; } catch { return undefined; }
}

/** `stored`: the value of the result's own key, when it travelled by reference. */
export function decodeResult(json: string | JobResult, stored?: string | null): { results: TaskResult[]; node: string } {
  const res = typeof json === 'string' ? JSON.parse(json) as JobResult : json;
  if (res?.f !== JOB_FORMAT) throw new Error(`unsupported job result format ${JSON.stringify(res?.f)}`);
  const r = res.ref ? stored : res.r;
  if (typeof r !== 'string') throw new Error(`the result under ${res.ref ?? 'the job'} is gone (expired or evicted)`);
  return { results: deserialize(Buffer.from(r, 'base64')) as TaskResult[], node: res.node };
}

/** A Task as it travels in a job. */
export function jobTaskOf(t: Task, abortGrace: number): JobTask {
  const jt: JobTask = { n: t.name, retries: t.retries, ag: abortGrace };
  if (t.items) {
    if (t.spread) jt.c = t.items as unknown[][];
    else jt.m = t.items;
  } else jt.a = t.args ?? [];
  if (t.timeout !== undefined) jt.to = t.timeout;
  if (t.retryOnError) jt.re = 1;
  if (t.itemTimes && t.items) jt.it = 1;
  if (t.keys && runOf(t)) jt.k = t.keys.map(bareKey);
  return jt;
}

/**
 * The successful items of a finished job of a journaled run, by journal key
 * (its data carries the keys). Failed items are left out: they run again.
 */
export function succeededByKey(data: string, returnvalue: string, stored?: string | null): Array<[string, { value: unknown; ms: number }]> {
  const tasks = decodeJobData(JSON.parse(data) as JobData);
  const { results } = decodeResult(returnvalue, stored);
  const out: Array<[string, { value: unknown; ms: number }]> = [];
  tasks.forEach((jt, i) => {
    const r = results[i];
    if (!jt.k || !r || !('v' in r)) return;
    const failed = new Set(r.e?.map(([at]) => at));
    const ms = r.ms / jt.k.length;
    jt.k.forEach((key, at) => { if (!failed.has(at)) out.push([key, { value: r.v[at], ms }]); });
  });
  return out;
}
