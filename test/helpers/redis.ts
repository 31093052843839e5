/**
 * A private redis-server for a test file: a free loopback port, a temp --dir,
 * `--appendonly yes --save "" --maxmemory-policy noeviction`, its pid given
 * to the reaper (it dies with the test process even on SIGKILL), stopped by
 * `stop()`. Never a shared Redis, 6379 or REDIS_URL.
 *
 * Without redis-server, `redisSkip` says why and how to install it; with
 * FORKPOOL_REQUIRE_REDIS=1 (CI) its absence is a failure instead.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { forgetPid, watchPid } from '../../src/runtime/reaper.js';

const installed = spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
if (!installed && process.env.FORKPOOL_REQUIRE_REDIS === '1') {
  throw new Error('FORKPOOL_REQUIRE_REDIS=1 but redis-server is not installed (apt-get install redis-server)');
}

/** `false`, or the reason the distributed tests skip (for `describe(..., { skip })`). */
export const redisSkip: string | false = installed ? false
  : 'redis-server is not installed: apt-get install redis-server (Debian/Ubuntu) or brew install redis, then run the tests again';

export interface RedisServer {
  port: number;
  url: string;
  dir: string;
  pid(): number | undefined;
  /** SIGKILL, like a crash. */
  kill(): Promise<void>;
  /** Starts it again on the same port and dir (appendonly data comes back). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export async function startRedis(opts: { persistence?: boolean; password?: string } = {}): Promise<RedisServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'forkpool-redis-'));
  let child: ChildProcess | undefined;
  const args = [
    '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '',
    '--appendonly', opts.persistence === false ? 'no' : 'yes', '--maxmemory-policy', 'noeviction',
    '--daemonize', 'no', '--logfile', '', '--loglevel', 'warning',
    ...(opts.password ? ['--requirepass', opts.password] : []),
  ];
  const launch = async () => {
    child = spawn('redis-server', args, { stdio: ['ignore', 'ignore', 'inherit'] });
    watchPid(child.pid!);
    const c = child;
    c.once('exit', () => forgetPid(c.pid!));
    await waitForPort(port, 5_000);
  };
  const kill = async () => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGKILL');
    await exited;
  };
  await launch();
  return {
    port,
    dir,
    url: `redis://${opts.password ? `:${opts.password}@` : ''}127.0.0.1:${port}`,
    pid: () => child?.pid,
    kill,
    restart: launch,
    async stop() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function waitForPort(port: number, ms: number): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => { s.destroy(); resolve(true); });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > end) throw new Error(`redis-server did not listen on ${port} within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
