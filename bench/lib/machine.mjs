import os from 'node:os';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export function pythonVersion() {
  const r = spawnSync('python3', ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

export function machine() {
  const cpus = os.cpus();
  return {
    node: process.version,
    python: pythonVersion() ?? 'absent',
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    cpus: cpus.length,
    cpuModel: cpus[0]?.model,
    memoryGB: +(os.totalmem() / 2 ** 30).toFixed(1),
    // Anything else running skews every figure (W5 above all): say so.
    loadavg1m: +os.loadavg()[0].toFixed(2),
    cpuIdle: cpuIdle(),
  };
}

/**
 * How an idle CPU sleeps (Linux): a latency figure that waits for a wake-up
 * (W2 above all) depends on it more than on any pool. A virtual machine whose
 * idle vCPUs halt at once (`haltpoll` with `guest_halt_poll_ns` 0) pays a
 * host round trip for every wake-up of a sleeping thread.
 */
function cpuIdle() {
  const read = (path) => { try { return readFileSync(path, 'utf8').trim(); } catch { return undefined; } };
  const driver = read('/sys/devices/system/cpu/cpuidle/current_driver');
  if (!driver) return undefined;
  const poll = driver === 'haltpoll' ? read('/sys/module/haltpoll/parameters/guest_halt_poll_ns') : undefined;
  return poll === undefined ? driver : `${driver} (guest_halt_poll_ns ${poll})`;
}
