import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packForkpool, removeAll, repo } from './project.ts';

const packed = packForkpool();
after(() => removeAll(packed.dir));
const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as Record<string, any>;

test('the package ships the build, its types, the worker entry, docs and the licence, and no sources or tests', () => {
  for (const f of ['package.json', 'LICENSE', 'README.md', 'dist/index.js', 'dist/index.d.ts', 'dist/worker/index.js', 'dist/worker/index.d.ts', 'dist/worker/worker-entry.js', 'dist/cli/main.js']) {
    assert.ok(packed.files.includes(f), `${f} is missing from the tarball`);
  }
  const stray = packed.files.filter((f) => /^(src|test|bench|examples|scripts)\//.test(f));
  assert.deepEqual(stray, []);
});

test('the shipped source maps carry their sources (src/ is not shipped)', () => {
  const map = JSON.parse(readFileSync(join(repo, 'dist/index.js.map'), 'utf8')) as { sources: string[]; sourcesContent?: string[] };
  assert.equal(map.sourcesContent?.length, map.sources.length);
  assert.ok(map.sourcesContent!.every((s) => typeof s === 'string' && s.length > 0));
});

test('installing forkpool installs nothing else: tsx is an optional peer, so no install scripts run', () => {
  assert.equal(pkg.dependencies, undefined);
  assert.ok(pkg.peerDependencies?.tsx);
  assert.equal(pkg.peerDependenciesMeta?.tsx?.optional, true);
  assert.equal(pkg.scripts.prepare, undefined, 'a prepare script would build on every git or file: install');
  assert.ok(pkg.scripts.prepack);
  for (const s of ['test', 'start', 'bench']) assert.match(pkg.scripts[s], /^npm run build && /, `npm ${s} must build first`);
});

test('node10 resolution finds the forkpool/worker types through typesVersions', () => {
  const mapped = pkg.typesVersions?.['*']?.worker?.[0] as string | undefined;
  assert.equal(mapped, pkg.exports['./worker'].types);
  assert.ok(packed.files.includes(mapped!.replace(/^\.\//, '')));
});
