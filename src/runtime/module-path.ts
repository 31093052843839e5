/**
 * Finds the file a task module path names, allowing for a build step.
 *
 * The usual way to name a worker module is `new URL('./tasks.ts',
 * import.meta.url)`. After `tsc` with an `outDir`, or a bundler, the caller
 * runs from a `.js` file next to `tasks.js`, and `tasks.ts` is not there; under
 * tsx in development it is the other way round for `./tasks.js`. TypeScript's
 * own resolution treats `./x.js` as naming `./x.ts`, so the same path is
 * accepted here in both directions — but only when the named file is missing:
 * a file that exists is always the one used.
 */
import { existsSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { invalidArg } from '../errors.js';

/** What a missing file may have been compiled from (`.js` → `.ts`), or compiled to (`.ts` → `.js`), in the order tried. */
const SIBLINGS: Readonly<Record<string, readonly string[]>> = {
  '.js': ['.ts', '.tsx'],
  '.mjs': ['.mts'],
  '.cjs': ['.cts'],
  '.jsx': ['.tsx'],
  '.ts': ['.js'],
  '.tsx': ['.js', '.jsx'],
  '.mts': ['.mjs'],
  '.cts': ['.cjs'],
};

const EXTENSION = /\.[cm]?[jt]sx?$/i;

/**
 * The module file to load for `path` (absolute): `path` itself when it is a
 * file, else its first existing compiled or source sibling (`tasks.js` for a
 * missing `tasks.ts`, `tasks.ts` for a missing `tasks.js`, `.mjs` ↔ `.mts`,
 * `.cjs` ↔ `.cts`); `undefined` when there is none.
 *
 * @example
 * resolveModulePath('/app/dist/tasks.ts') // '/app/dist/tasks.js' after `tsc --outDir dist`
 */
export function resolveModulePath(path: string): string | undefined {
  return moduleCandidates(path).find(isFile);
}

/**
 * The `href` of the task module file for a `file:` URL: the file itself, or
 * its compiled or source sibling when it is missing.
 * @throws {TypeError} (code `ERR_FORKPOOL_INVALID_ARG`) naming every file looked for, when none exists.
 */
export function taskModuleHref(url: URL): string {
  const found = resolveModuleUrl(url);
  if (found !== undefined) return found.href;
  const [path, ...siblings] = moduleCandidates(fileURLToPath(url));
  const nor = siblings.length > 0 ? ` (nor ${siblings.map((s) => basename(s)).join(' or ')})` : '';
  throw invalidArg(TypeError, `The task module does not exist: ${path}${nor}`);
}

/**
 * {@link resolveModulePath} for a `file:` URL; a sibling keeps the URL's query
 * and hash. `undefined` when neither the file nor a sibling exists.
 */
export function resolveModuleUrl(url: URL): URL | undefined {
  const path = fileURLToPath(url);
  const found = resolveModulePath(path);
  if (found === undefined || found === path) return found === undefined ? undefined : url;
  const out = pathToFileURL(found);
  out.search = url.search;
  out.hash = url.hash;
  return out;
}

/** Every path {@link resolveModulePath} tries for `path`, in order: `path` first. */
export function moduleCandidates(path: string): string[] {
  const ext = EXTENSION.exec(path)?.[0];
  const siblings = ext === undefined ? undefined : SIBLINGS[ext.toLowerCase()];
  if (ext === undefined || siblings === undefined) return [path];
  const stem = path.slice(0, -ext.length);
  // Keep an upper-case extension upper-case: `TASKS.JS` was compiled from `TASKS.TS`.
  const upper = ext === ext.toUpperCase();
  return [path, ...siblings.map((s) => stem + (upper ? s.toUpperCase() : s))];
}

function isFile(path: string): boolean {
  try {
    return existsSync(path) && statSync(path).isFile();
  } catch {
    return false;
  }
}
