import os from 'node:os';
import { spawnSync } from 'node:child_process';

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
  };
}
