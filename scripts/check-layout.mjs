#!/usr/bin/env node
/**
 * Architecture checks: no import cycle among the files under src/, and no
 * source file over MAX_LINES lines. Cycles through `import type` are reported
 * apart (they are erased, so they cannot break loading), but they fail the
 * check as value cycles do: two files that need each other's types are one
 * component split in two, and test/engine/layout.test.ts fails on them too.
 *
 *   node scripts/check-layout.mjs        exit 1 on any cycle or an oversized file
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const MAX_LINES = 400;
const root = fileURLToPath(new URL('../src/', import.meta.url));

function files(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Relative imports of a file: [target path, typeOnly]. */
function importsOf(file) {
  const text = readFileSync(file, 'utf8');
  const out = [];
  const re = /^\s*(import|export)\s+(type\s+)?[^'"]*?from\s+['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/gm;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const spec = m[3] ?? m[4];
    // A dynamic import() is lazy: it cannot form a load-time cycle.
    if (m[4]) continue;
    const typeOnly = Boolean(m[2]) || /^\s*import\s+type\b/.test(m[0]);
    out.push([resolve(dirname(file), spec.replace(/\.js$/, '.ts')), typeOnly]);
  }
  return out;
}

function cycles(graph) {
  const found = [];
  const state = new Map();
  const stack = [];
  const visit = (n) => {
    state.set(n, 1);
    stack.push(n);
    for (const m of graph.get(n) ?? []) {
      if (state.get(m) === 1) found.push(stack.slice(stack.indexOf(m)).concat(m));
      else if (!state.has(m)) visit(m);
    }
    stack.pop();
    state.set(n, 2);
  };
  for (const n of graph.keys()) if (!state.has(n)) visit(n);
  return found;
}

export function checkLayout() {
  const all = files(root);
  const value = new Map();
  const any = new Map();
  for (const f of all) {
    const deps = importsOf(f);
    value.set(f, deps.filter(([, t]) => !t).map(([p]) => p));
    any.set(f, deps.map(([p]) => p));
  }
  const name = (p) => relative(root, p);
  const big = all.map((f) => [name(f), readFileSync(f, 'utf8').split('\n').length - 1]).filter(([, n]) => n > MAX_LINES);
  return {
    files: all.length,
    valueCycles: cycles(value).map((c) => c.map(name)),
    typeCycles: cycles(any).map((c) => c.map(name)),
    oversized: big,
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const r = checkLayout();
  console.log(`${r.files} files under src/`);
  for (const c of r.valueCycles) console.log(`import cycle: ${c.join(' -> ')}`);
  for (const c of r.typeCycles) console.log(`type-only import cycle (erased at run time): ${c.join(' -> ')}`);
  for (const [f, n] of r.oversized) console.log(`over ${MAX_LINES} lines: ${f} (${n})`);
  const failed = r.valueCycles.length || r.typeCycles.length || r.oversized.length;
  if (!failed) console.log(`no import cycle; no file over ${MAX_LINES} lines`);
  process.exit(failed ? 1 : 0);
}
