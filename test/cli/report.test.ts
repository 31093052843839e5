import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, TASKS, tmp, jsonLines } from './helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

test('the HTML report is self-contained and its charts match the run, in a real headless browser', {
  skip: existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing (Debian: apt-get install -y chromium)`,
}, async () => {
  const dir = tmp();
  const input = join(dir, 'in.txt');
  // 60 items: multiples of 7 throw, so 8 failures (7..56); one worker restart is forced by maxTasksPerChild.
  writeFileSync(input, `${Array.from({ length: 60 }, (_, i) => i + 1).join('\n')}\n`);
  const out = join(dir, 'out.jsonl');
  const report = join(dir, 'run.html');
  const r = await runCli(['run', `${TASKS}#failOnSevens`, '--input', input, '-o', out, '--report', report, '-j', '2', '--chunksize', '1', '--max-tasks-per-child', '25', '--json-summary']);
  assert.equal(r.code, 8, r.stderr);
  const summary = JSON.parse(r.stdout.trim());
  const rows = jsonLines(out);

  const html = readFileSync(report, 'utf8');
  assert.doesNotMatch(html, /<script|<link|https?:\/\/(?!www\.w3\.org)/, 'nothing to fetch: no scripts, no links, no URLs');

  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
  try {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const requests: string[] = [];
    page.on('request', (req) => { if (!req.url().startsWith('file:')) requests.push(req.url()); });
    await page.goto(`file://${report}`);
    const count = (sel: string) => page.locator(sel).count();
    // One Gantt bar per task, failures marked both by colour class and a triangle.
    assert.equal(await count('#gantt rect.task'), rows.length);
    assert.equal(await count('#gantt rect.task.failed'), rows.filter((x) => !x.ok).length);
    assert.equal(await count('#gantt path.fail-mark'), 8);
    // Every worker replacement is marked on its row, and agrees with the summary.
    const restarts = Object.values(summary.restarts as Record<string, number>).reduce((a, b) => a + b, 0);
    assert.ok(restarts >= 2, `maxTasksPerChild 25 over 60 items recycles workers (got ${restarts})`);
    assert.equal(await count('#gantt line.restart'), restarts);
    // One throughput bar per tenth of a second up to the last completion (short runs are not aggregated).
    const bars = await count('#throughput rect.tp');
    assert.ok(bars >= 1 && bars <= Math.ceil(summary.wallMs / 100) + 1, `${bars} throughput bars for a ${summary.wallMs} ms run`);
    // One memory line per worker slot (2 workers).
    assert.equal(await count('#rss polyline.rss'), 2);
    // The failures table lists each failure, with its error.
    assert.equal(await count('table#failures tbody tr'), 8);
    assert.match((await page.locator('table#failures tbody tr').first().innerText()), /RangeError: \d+ is a multiple of seven/);
    // The headline cards agree with the summary.
    assert.match(await page.locator('.cards').innerText(), /60\s*items[\s\S]*52\s*succeeded[\s\S]*8\s*failed/);
    assert.deepEqual(requests, [], 'the report fetched nothing');
    const shot = join(tmp(), 'report.png');
    await page.screenshot({ path: shot, fullPage: true });
    assert.ok(statSync(shot).size > 10_000, 'a screenshot with something on it');
    process.stdout.write(`# screenshot: ${shot}\n`);
  } finally {
    await browser.close();
  }
});
