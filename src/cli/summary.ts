/**
 * The end-of-run summary: counts by outcome, wall time, throughput, task
 * time percentiles, the slowest items and worker restarts by cause. Printed
 * as text on stderr, or as one JSON object with --json-summary.
 */
import type { RunStats } from './run-stats.js';
import { formatDuration } from './units.js';

export interface Summary {
  total: number;
  ok: number;
  failed: number;
  byOutcome: Record<string, number>;
  fromJournal: number;
  ran: number;
  wallMs: number;
  /** Items run in this session per second of wall time. */
  throughput: number;
  taskMs: { p50: number | undefined; p99: number | undefined };
  slowest: Array<{ key: string; input: string; ms: number }>;
  restarts: Record<string, number>;
  exitCode: number;
  interrupted: boolean;
  halted: string | undefined;
  output: string | undefined;
  journal: string | undefined;
  report: string | undefined;
}

export function buildSummary(stats: RunStats, extra: Pick<Summary, 'exitCode' | 'interrupted' | 'halted' | 'output' | 'journal' | 'report'>): Summary {
  const wallMs = stats.elapsedMs();
  const byOutcome: Record<string, number> = {};
  for (const [k, n] of Object.entries(stats.counts)) if (n) byOutcome[k] = n;
  return {
    total: stats.done,
    ok: stats.counts.ok,
    failed: stats.failed,
    byOutcome,
    fromJournal: stats.fromJournal,
    ran: stats.ran,
    wallMs,
    throughput: wallMs > 0 ? (stats.ran * 1000) / wallMs : 0,
    taskMs: { p50: stats.percentile(50), p99: stats.percentile(99) },
    slowest: stats.slowest.map((s) => ({ ...s, ms: Math.round(s.ms * 10) / 10 })),
    restarts: { ...stats.restarts },
    ...extra,
  };
}

const LABEL: Record<string, string> = {
  ok: 'succeeded', error: 'threw', timeout: 'timed out', crash: 'crashed their worker',
  memory: 'passed the memory cap', aborted: 'aborted', input: 'unparsable input',
};

export function formatSummary(s: Summary): string {
  const n = (x: number) => x.toLocaleString('en-US');
  const lines: string[] = [];
  const head = s.interrupted ? 'Interrupted' : s.halted ? 'Halted' : 'Done';
  lines.push(`${head}: ${n(s.total)} items in ${formatDuration(s.wallMs)}` +
    (s.fromJournal ? ` (${n(s.fromJournal)} from the journal, ${n(s.ran)} run now)` : ''));
  lines.push(`  ${Object.entries(s.byOutcome).map(([k, v]) => `${n(v)} ${LABEL[k] ?? k}`).join(', ') || 'nothing to do'}`);
  if (s.ran) {
    const p = (x: number | undefined) => (x === undefined ? '?' : formatDuration(x));
    lines.push(`  throughput ${s.throughput >= 10 ? n(Math.round(s.throughput)) : s.throughput.toFixed(2)} items/s, task time p50 ${p(s.taskMs.p50)}, p99 ${p(s.taskMs.p99)}`);
  }
  if (s.slowest.length && s.ran) {
    lines.push(`  slowest: ${s.slowest.map((x) => `${x.input} (${formatDuration(x.ms)})`).join(', ')}`);
  }
  const restarts = Object.entries(s.restarts);
  if (restarts.length) lines.push(`  worker restarts: ${restarts.map(([k, v]) => `${v} ${k}`).join(', ')}`);
  if (s.halted) lines.push(`  halted: ${s.halted}`);
  const files = [s.output && s.output !== '-' && `output ${s.output}`, s.journal && `journal ${s.journal}`, s.report && `report ${s.report}`].filter(Boolean);
  if (files.length) lines.push(`  ${files.join(', ')}`);
  lines.push(`  exit code ${s.exitCode}`);
  return lines.join('\n');
}
