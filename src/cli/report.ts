/**
 * The HTML report: one self-contained file (inline CSS and SVG, no script,
 * no network) that shows a run at a glance:
 *
 * - a task timeline per worker lane (Gantt), failures in warm colours and
 *   marked with a triangle above the bar;
 * - throughput over time (items finished per interval);
 * - RSS per worker lane over time;
 * - a table of failures.
 *
 * Charts are drawn here as SVG rather than in the browser so the file opens
 * anywhere, prints, and can be checked by counting its elements: every task
 * span is a `rect.task`, every failed one also `.failed` (and has a
 * `path.fail-mark`), every worker restart a `line.restart`, every throughput
 * interval a `rect.tp`, every worker slot's memory a `polyline.rss`, every
 * failure a row of `table#failures tbody`.
 *
 * Rows of the Gantt are worker slots: when a worker is replaced (crash,
 * timeout, recycling) its successor takes the same row, after a restart mark.
 */
import { rename, rm, writeFile } from 'node:fs/promises';
import { isRegularOrNew } from './paths.js';
import { MAX_FAILURES, TICK_MS, type RunStats, type Span, type Outcome } from './run-stats.js';
import type { Summary } from './summary.js';
import { count, formatBytes, formatDuration } from './units.js';

/** At most this many throughput bars: a long run is shown in wider intervals. */
const MAX_TP_BARS = 300;
const CHART_W = 1100;
const LANE_H = 18;
const PAD_L = 70;

const COLOUR: Record<Outcome, string> = {
  ok: '#3a8d4f', error: '#d6453d', timeout: '#e8950c', crash: '#7a1020', memory: '#8e44ad', aborted: '#8a8a8a', input: '#d6453d',
};

/**
 * Writes the report whole or not at all: a regular file goes through a
 * temporary file beside it and a rename, so a full disk leaves the old report
 * (or none), never a torn one. A write error names the report's path (a
 * write's own error has none).
 */
export async function writeReport(path: string, stats: RunStats, summary: Summary, title: string): Promise<void> {
  const html = renderReport(stats, summary, title);
  const staged = isRegularOrNew(path) ? `${path}.${process.pid}.tmp` : undefined;
  try {
    await writeFile(staged ?? path, html);
    if (staged) await rename(staged, path);
  } catch (err) {
    if (staged) await rm(staged, { force: true }).catch(() => {});
    if (err && typeof err === 'object') (err as NodeJS.ErrnoException).path = path;
    throw err;
  }
}

export function renderReport(stats: RunStats, summary: Summary, title: string): string {
  const wall = Math.max(1, summary.wallMs);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>forkpool run: ${esc(title)}</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #222; max-width: ${CHART_W + 40}px; }
  h1 { font-size: 20px; margin: 0 0 4px; } h2 { font-size: 16px; margin: 28px 0 6px; }
  .sub { color: #666; margin-bottom: 16px; }
  .cards { display: flex; flex-wrap: wrap; gap: 10px; }
  .card { border: 1px solid #ddd; border-radius: 6px; padding: 8px 12px; min-width: 110px; }
  .card b { display: block; font-size: 20px; } .card.bad b { color: #c0392b; }
  svg { display: block; background: #fafafa; border: 1px solid #e4e4e4; }
  svg text { font: 11px system-ui, sans-serif; fill: #555; }
  .legend span { display: inline-block; margin-right: 14px; } .legend i { display: inline-block; width: 12px; height: 12px; margin-right: 4px; vertical-align: -2px; }
  table { border-collapse: collapse; width: 100%; font-size: 13px; } th, td { text-align: left; padding: 3px 8px; border-bottom: 1px solid #eee; vertical-align: top; }
  td.err { color: #a02820; font-family: ui-monospace, monospace; white-space: pre-wrap; }
  .note { color: #777; font-size: 12px; }
</style></head><body>
<h1>forkpool run: ${esc(title)}</h1>
<div class="sub">${esc(new Date(stats.startedAt).toISOString())} · ${summary.interrupted ? `interrupted after ${progressText(summary)}` : summary.halted ? `halted after ${progressText(summary)} (${esc(summary.halted)})` : `finished ${progressText(summary)}`} · exit code ${summary.exitCode}</div>
${cards(summary)}
<h2>Tasks per worker slot</h2>
${legend()}
${gantt(stats, wall)}
${stats.spansSampled ? `<p class="note">A sample of ${count(stats.spans.length)} task spans is shown (every failure is kept).</p>` : ''}
<h2>Throughput</h2>
${throughput(stats, wall)}
<h2>Memory (RSS) per worker slot</h2>
${rssChart(stats, wall)}
<h2>Failures (${count(summary.failed)})</h2>
${failureTable(stats, summary)}
</body></html>
`;
}

/** "59 of 400 items", or "400 items" when all are done (or the total is unknown). */
function progressText(s: Summary): string {
  const of = s.inputTotal !== undefined && s.inputTotal !== s.total ? ` of ${count(s.inputTotal)}` : '';
  return esc(`${count(s.total)}${of} ${s.inputTotal === 1 || (s.inputTotal === undefined && s.total === 1) ? 'item' : 'items'}`);
}

function cards(s: Summary): string {
  const card = (label: string, value: string, bad = false) => `<div class="card${bad ? ' bad' : ''}"><b>${esc(value)}</b>${esc(label)}</div>`;
  const restarts = Object.values(s.restarts).reduce((a, b) => a + b, 0);
  return `<div class="cards">${[
    card('items', s.inputTotal !== undefined && s.inputTotal !== s.total ? `${count(s.total)} of ${count(s.inputTotal)}` : count(s.total)),
    card('succeeded', count(s.ok)),
    card('failed', count(s.failed), s.failed > 0),
    card('from journal', count(s.fromJournal)),
    card('wall time', formatDuration(s.wallMs)),
    card('items/s', s.throughput >= 10 ? count(Math.round(s.throughput)) : s.throughput.toFixed(2)),
    card('task p50', s.taskMs.p50 === undefined ? '–' : formatDuration(s.taskMs.p50)),
    card('task p99', s.taskMs.p99 === undefined ? '–' : formatDuration(s.taskMs.p99)),
    card(`worker restarts${restarts ? ` (${Object.entries(s.restarts).map(([k, v]) => `${v} ${k}`).join(', ')})` : ''}`, String(restarts), restarts > 0),
  ].join('')}</div>`;
}

function legend(): string {
  const item = (o: Outcome, label: string) => `<span><i style="background:${COLOUR[o]}"></i>${label}</span>`;
  return `<div class="legend">${item('ok', 'ok')}${item('error', 'threw')}${item('timeout', 'timed out')}${item('crash', 'crashed')}${item('memory', 'memory cap')}${item('aborted', 'aborted')} <span>▼ failure</span><span><i style="background:#222;width:2px"></i>worker replaced</span></div>`;
}

function timeAxis(wall: number, top: number, height: number): string {
  const step = niceStep(wall / 8);
  const plotW = CHART_W - PAD_L - 10;
  let out = '';
  for (let t = 0; t <= wall; t += step) {
    const x = PAD_L + (t / wall) * plotW;
    out += `<line x1="${x.toFixed(1)}" y1="${top}" x2="${x.toFixed(1)}" y2="${top + height}" stroke="#e6e6e6"/>` +
      `<text x="${x.toFixed(1)}" y="${top + height + 13}" text-anchor="middle">${t === 0 ? '0' : esc(formatDuration(t))}</text>`;
  }
  return out;
}

function gantt(stats: RunStats, wall: number): string {
  const lanes = Math.max(1, stats.laneCount);
  const top = 10;
  const h = lanes * LANE_H;
  const plotW = CHART_W - PAD_L - 10;
  const x = (t: number) => PAD_L + (t / wall) * plotW;
  const rows: string[] = [];
  for (let l = 0; l < lanes; l++) {
    rows.push(`<text x="${PAD_L - 6}" y="${top + l * LANE_H + 13}" text-anchor="end">slot ${l + 1}</text>`);
  }
  const bars = stats.spans.map((s: Span) => {
    const x0 = x(s.start);
    const w = Math.max(0.6, x(s.end) - x0);
    const y = top + s.lane * LANE_H + 3;
    const failed = s.outcome !== 'ok';
    const tip = `${s.key} · ${formatDuration(s.end - s.start)} · ${s.outcome} · worker id ${s.worker}`;
    const rect = `<rect class="task ${failed ? `failed ${s.outcome}` : 'ok'}" x="${x0.toFixed(2)}" y="${y}" width="${w.toFixed(2)}" height="${LANE_H - 6}" fill="${COLOUR[s.outcome]}"><title>${esc(tip)}</title></rect>`;
    const mark = failed
      ? `<path class="fail-mark" d="M${(x0 + w / 2 - 4).toFixed(1)} ${y - 3}h8l-4 5z" fill="${COLOUR[s.outcome]}"/>`
      : '';
    return rect + mark;
  });
  const exits = stats.exits.map((e) => {
    const ex = x(e.t).toFixed(1);
    const y = top + e.lane * LANE_H;
    return `<line class="restart" x1="${ex}" y1="${y + 1}" x2="${ex}" y2="${y + LANE_H - 1}" stroke="#222" stroke-width="2"><title>${esc(`worker replaced (${e.reason}) at ${formatDuration(e.t)}`)}</title></line>`;
  });
  const height = top + h + 22;
  return `<svg id="gantt" width="${CHART_W}" height="${height}" viewBox="0 0 ${CHART_W} ${height}" role="img" aria-label="Timeline of tasks per worker slot">${timeAxis(wall, top, h)}${rows.join('')}${bars.join('')}${exits.join('')}</svg>`;
}

function throughput(stats: RunStats, wall: number): string {
  const ticks = stats.perTick;
  const per = Math.max(1, Math.ceil(ticks.length / MAX_TP_BARS)); // ticks per bar
  const rates: number[] = [];
  for (let i = 0; i < ticks.length; i += per) {
    rates.push((ticks.slice(i, i + per).reduce((a, b) => a + b, 0) * 1000) / (per * TICK_MS));
  }
  const top = 10, h = 140, plotW = CHART_W - PAD_L - 10;
  const max = Math.max(1, ...rates);
  const bw = Math.min(plotW, ((per * TICK_MS) / wall) * plotW);
  const bars = rates.map((v, i) => {
    const bh = (v / max) * h;
    const x0 = PAD_L + i * bw;
    return `<rect class="tp" x="${x0.toFixed(2)}" y="${(top + h - bh).toFixed(2)}" width="${Math.max(0.5, Math.min(bw - 0.5, PAD_L + plotW - x0)).toFixed(2)}" height="${bh.toFixed(2)}" fill="#4a78c2"><title>${esc(`${formatDuration(i * per * TICK_MS)}: ${Math.round(v)} items/s`)}</title></rect>`;
  });
  const yAxis = `<text x="${PAD_L - 6}" y="${top + 10}" text-anchor="end">${count(Math.round(max))}/s</text><text x="${PAD_L - 6}" y="${top + h}" text-anchor="end">0</text>`;
  const height = top + h + 22;
  return `<svg id="throughput" width="${CHART_W}" height="${height}" viewBox="0 0 ${CHART_W} ${height}" role="img" aria-label="Items finished per second">${timeAxis(wall, top, h)}${yAxis}${bars.join('')}</svg>` +
    `<p class="note">Items finished per second, averaged over ${formatDuration(per * TICK_MS)} intervals; items taken from the journal are not counted.</p>`;
}

const LANE_COLOURS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

function rssChart(stats: RunStats, wall: number): string {
  const top = 10, h = 160, plotW = CHART_W - PAD_L - 10;
  let max = 1;
  for (const list of stats.rss.values()) for (const [, r] of list) max = Math.max(max, r);
  const lines: string[] = [];
  const keys = [...stats.rss.keys()].sort((a, b) => a - b);
  for (const lane of keys) {
    const pts = stats.rss.get(lane)!.map(([t, r]) => `${(PAD_L + (t / wall) * plotW).toFixed(1)},${(top + h - (r / max) * h).toFixed(1)}`);
    const colour = LANE_COLOURS[lane % LANE_COLOURS.length];
    lines.push(`<polyline class="rss" data-lane="${lane + 1}" points="${pts.join(' ')}" fill="none" stroke="${colour}" stroke-width="1.5"><title>slot ${lane + 1}</title></polyline>`);
    // A line needs two points; a short run may have one sample: show it as a dot.
    if (pts.length < 3) for (const p of pts) { const [cx, cy] = p.split(','); lines.push(`<circle cx="${cx}" cy="${cy}" r="2.5" fill="${colour}"/>`); }
  }
  const yAxis = `<text x="${PAD_L - 6}" y="${top + 10}" text-anchor="end">${esc(formatBytes(max))}</text><text x="${PAD_L - 6}" y="${top + h}" text-anchor="end">0</text>`;
  const legendHtml = keys.map((l) => `<span><i style="background:${LANE_COLOURS[l % LANE_COLOURS.length]}"></i>slot ${l + 1}</span>`).join('');
  const height = top + h + 22;
  return `<svg id="rss" width="${CHART_W}" height="${height}" viewBox="0 0 ${CHART_W} ${height}" role="img" aria-label="Memory per worker">${timeAxis(wall, top, h)}${yAxis}${lines.join('')}</svg>` +
    `<div class="legend">${legendHtml || '<span class="note">no memory samples (the run was too short)</span>'}</div>`;
}

function failureTable(stats: RunStats, summary: Summary): string {
  if (stats.failures.length === 0) return '<p>None.</p><table id="failures"><tbody></tbody></table>';
  const rows = stats.failures.map((f) => `<tr><td>${esc(f.key)}</td><td>${esc(f.input)}</td><td>${esc(f.outcome)}</td><td class="err">${esc(f.error)}</td><td>${f.worker}</td><td>${esc(formatDuration(f.ms))}</td></tr>`);
  const more = stats.failures.length >= MAX_FAILURES && summary.failed > stats.failures.length
    ? `<p class="note">The first ${count(stats.failures.length)} failures of this session are listed.</p>` : '';
  return `<table id="failures"><thead><tr><th>key</th><th>input</th><th>outcome</th><th>error</th><th>worker id</th><th>time</th></tr></thead><tbody>${rows.join('')}</tbody></table>${more}`;
}

function niceStep(raw: number): number {
  const pow = 10 ** Math.floor(Math.log10(Math.max(1, raw)));
  for (const m of [1, 2, 5, 10]) if (raw <= m * pow) return m * pow;
  return 10 * pow;
}

function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
