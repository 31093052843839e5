/**
 * The scenario of test/pool/listeners.test.ts, in a process of its own (an
 * uncaught exception is what it looks for, and node:test would take one in
 * its own process for a failure of the test):
 *
 *   node listener-scenario.mjs <kind> <pool options JSON> <runs file> handle|die
 *
 * `kind` is the pool event whose listener throws at every call, or `logs` for
 * a `logs: (line) => void` function that does. Tasks that log, throw, crash
 * (locally) and succeed run one after the other, then close, join and
 * terminate. `handle`: an `uncaughtException` handler records what reaches
 * it and the script prints one JSON line; `die`: no handler.
 */
import { readFileSync } from 'node:fs';
import { Pool } from 'forkpool';

const [kind, optionsJson, runs, mode] = process.argv.slice(2);
const options = JSON.parse(optionsJson);
const local = options.backend === undefined;
let step = 'start';
// Ref'd: a pool that hangs must not let the process end quietly.
const watchdog = setTimeout(() => { console.log(JSON.stringify({ hang: step })); process.exit(99); }, 20_000);

const uncaught = [];
if (mode === 'handle') process.on('uncaughtException', (e) => uncaught.push(String(e?.message ?? e)));
let calls = 0;
const thrower = () => { calls++; throw new Error(`bug in my ${kind} listener`); };

const pool = new Pool(new URL('../fixtures/listeners.mjs', import.meta.url), { ...options, logs: kind === 'logs' ? thrower : 'pipe' });
// Before the thrower: a listener after a throwing one is not called for that event.
const exits = [];
pool.on('workerExit', (e) => exits.push(e.reason));
if (kind !== 'logs') pool.on(kind, thrower);

const settle = (p) => p.then((v) => ({ ok: v }), (e) => ({ err: e?.name, message: e?.message }));
const results = {};
step = 'work'; results.work = await settle(pool.apply('logThenWork', [runs, 'work']));
step = 'fail'; results.fail = await settle(pool.apply('fail', [runs, 'fail']));
if (local) { step = 'crash'; results.crash = await settle(pool.apply('crash', [runs, 'crash'])); }
step = 'next'; results.next = await settle(pool.apply('logThenWork', [runs, 'next']));
const { failed } = pool.stats();
const exitsBeforeShutdown = [...exits];
step = 'join'; pool.close(); await pool.join();
step = 'terminate'; await pool.terminate();
// What listeners threw is thrown on a later tick: let it land.
step = 'drain'; await new Promise((r) => setTimeout(r, 50));
clearTimeout(watchdog);
console.log(JSON.stringify({ results, failed, exits: exitsBeforeShutdown, calls, uncaught, runs: readFileSync(runs, 'utf8').trim().split('\n') }));
