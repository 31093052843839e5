// What the forkpool-only scripts (startup, kill-replace, memory) share.
import { readFileSync } from 'node:fs';

export const TASKS = new URL('../workers/tasks.mjs', import.meta.url);

/** Parses `--name value` pairs into numbers/strings, with defaults. */
export function options(defaults) {
  const out = { ...defaults };
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    const key = argv[i].replace(/^--/, '');
    if (!(key in defaults)) throw new Error(`unknown option ${argv[i]}; known: ${Object.keys(defaults).map((k) => `--${k}`).join(' ')}`);
    const raw = argv[++i];
    out[key] = typeof defaults[key] === 'number' ? Number(raw) : raw;
    if (Number.isNaN(out[key])) throw new Error(`Expected --${key} to be a number, got ${raw}`);
  }
  return out;
}

/** Resident set size of any process in MB, from /proc (Linux only). */
export function rssMB(pid) {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
  return Number(line.split(/\s+/)[1]) / 1024;
}

export function summary(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[Math.floor((s.length - 1) / 2)], min: s[0], max: s.at(-1), n: s.length };
}

export const fmt = ({ median, min, max }, digits = 1) => `${median.toFixed(digits)} (${min.toFixed(digits)}–${max.toFixed(digits)})`;
