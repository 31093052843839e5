/**
 * The end-of-run summary: counts by outcome, wall time, throughput, task
 * time percentiles, the slowest items and worker restarts by cause. Printed
 * as text on stderr, or as one JSON object with --json-summary.
 */
import type { RunStats } from './run-stats.js';
import { count, formatDuration, plural } from './units.js';

/** Failures listed in the text summary; the rest are in the output file, the report, or the JSON summary. */
const FAILURES_SHOWN = 5;

export interface Summary {
  /** Items finished (recorded ones included). */
  total: number;
  /** Items in the input, when known up front. */
  inputTotal: number | undefined;
  /** Worker processes (or threads) of the pool: -j resolved. */
  workers: number;
  /** Items per message to a worker (--chunksize, or what auto chose). */
  chunksize: number;
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
  /** The first failures (up to 1,000): input, error name and message. */
  failures: Array<{ key: string; input: string; name: string; message: string }>;
  restarts: Record<string, number>;
  exitCode: number;
  interrupted: boolean;
  halted: string | undefined;
  output: string | undefined;
  journal: string | undefined;
  report: string | undefined;
}

export function buildSummary(stats: RunStats, extra: Pick<Summary, 'chunksize' | 'exitCode' | 'interrupted' | 'halted' | 'output' | 'journal' | 'report'>): Summary {
  const wallMs = stats.elapsedMs();
  const byOutcome: Record<string, number> = {};
  for (const [k, n] of Object.entries(stats.counts)) if (n) byOutcome[k] = n;
  return {
    total: stats.done,
    inputTotal: stats.total,
    workers: stats.maxLanes,
    ok: stats.counts.ok,
    // As the exit code counts them: items `--halt now` aborted did not fail.
    failed: stats.failed - stats.counts.aborted,
    byOutcome,
    fromJournal: stats.fromJournal,
    ran: stats.ran,
    wallMs,
    throughput: wallMs > 0 ? (stats.ran * 1000) / wallMs : 0,
    taskMs: { p50: stats.percentile(50), p99: stats.percentile(99) },
    slowest: stats.slowest.map((s) => ({ ...s, ms: Math.round(s.ms * 10) / 10 })),
    failures: stats.failures.map((f) => ({ key: f.key, input: f.input, name: f.errorName, message: f.errorMessage })),
    restarts: { ...stats.restarts },
    ...extra,
  };
}

const LABEL: Record<string, string> = {
  ok: 'succeeded', error: 'threw', timeout: 'timed out', crash: 'crashed their worker',
  memory: 'passed the memory cap', aborted: 'aborted', input: 'unparsable input',
};

export function formatSummary(s: Summary): string {
  const n = count;
  const lines: string[] = [];
  const head = s.interrupted ? 'Interrupted' : s.halted ? 'Halted' : 'Done';
  const of = (s.interrupted || s.halted) && s.inputTotal !== undefined && s.inputTotal !== s.total ? `${n(s.total)} of ${plural(s.inputTotal, 'item')}` : plural(s.total, 'item');
  lines.push(`${head}: ${of} in ${formatDuration(s.wallMs)}` +
    (s.fromJournal ? ` (${n(s.fromJournal)} from the journal, ${n(s.ran)} run now)` : ''));
  lines.push(`  ${Object.entries(s.byOutcome).map(([k, v]) => `${n(v)} ${LABEL[k] ?? k}`).join(', ') || 'nothing to do'}`);
  if (s.ran) {
    // No task time when nothing was timed (every item was an input error, or aborted).
    const times = s.taskMs.p50 === undefined || s.taskMs.p99 === undefined ? '' : `, task time p50 ${formatDuration(s.taskMs.p50)}, p99 ${formatDuration(s.taskMs.p99)}`;
    lines.push(`  throughput ${s.throughput >= 10 ? n(Math.round(s.throughput)) : s.throughput.toFixed(2)} items/s${times}`);
  }
  if (s.slowest.length && s.ran) {
    lines.push(`  slowest: ${s.slowest.map((x) => `${x.input} (${formatDuration(x.ms)})`).join(', ')}`);
  }
  const shown = s.failures.slice(0, FAILURES_SHOWN);
  if (shown.length) {
    lines.push(`  ${shown.length < s.failed ? `first ${shown.length} of ${plural(s.failed, 'failure')}` : s.failed === 1 ? 'failure' : 'failures'}:`);
    for (const f of shown) lines.push(`    ${f.input}: ${f.name}: ${oneLine(f.message)}`);
    if (shown.length < s.failed) lines.push(`    the rest: ${whereFailuresAre(s)}`);
  }
  const restarts = Object.entries(s.restarts);
  if (restarts.length) lines.push(`  worker restarts: ${restarts.map(([k, v]) => `${v} ${k}`).join(', ')}`);
  if (s.halted) lines.push(`  halted: ${s.halted}`);
  const files = [s.output && s.output !== '-' && `output ${s.output}`, s.journal && `journal ${s.journal}`, s.report && `report ${s.report}`].filter(Boolean);
  if (files.length) lines.push(`  ${files.join(', ')}`);
  lines.push(`  exit code ${s.exitCode}`);
  return lines.join('\n');
}

function oneLine(text: string, max = 160): string {
  const t = text.replace(/\s+/g, ' ');
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

function whereFailuresAre(s: Summary): string {
  const places = [
    s.output && s.output !== '-' && `${s.output} (lines with "ok":false)`,
    s.report && `the report ${s.report}`,
    s.journal && `the journal ${s.journal}`,
  ].filter(Boolean);
  return places.length ? places.join(', ') : 'pass -o FILE or --report FILE.html to keep every failure (or --json-summary for the first 1,000)';
}
