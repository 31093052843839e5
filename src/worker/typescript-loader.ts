/**
 * Makes a worker able to import a TypeScript task module.
 *
 * TypeScript support is optional: forkpool itself needs no compiler. In order:
 *
 * 1. tsx, when the app has it installed (an optional peer dependency). It is
 *    tried first because it runs everything Node's own type stripping runs and
 *    more — `import './util.js'` naming `util.ts`, enums, namespaces,
 *    parameter properties, tsconfig `paths` — so a module that works under
 *    `tsx main.ts` works in the workers too.
 * 2. Node's own type stripping (on by default from Node 23.6 and 22.18,
 *    behind `--experimental-strip-types` from 22.6): nothing to register.
 * 3. Neither: a {@link TypeScriptLoaderError} naming the module and the fix.
 */

import { fileURLToPath } from 'node:url';

/** Code of the error a worker start fails with when no TypeScript loader is available. */
export const NO_TYPESCRIPT_LOADER = 'ERR_FORKPOOL_NO_TYPESCRIPT_LOADER';

const TS_EXTENSION = /\.(c|m)?tsx?$/i;
const STRIP_FLAG = /^--experimental-(strip|transform)-types$/;

export type TypeScriptLoader = 'tsx' | 'node';

/** A TypeScript task module, and no way to run TypeScript in the worker. Crosses to the pool by its `code`. */
export class TypeScriptLoaderError extends Error {
  declare readonly code: typeof NO_TYPESCRIPT_LOADER;
  readonly modulePath: string;

  constructor(modulePath: string) {
    super(
      `Cannot load the TypeScript task module ${modulePath}: Node.js ${process.version} does not run TypeScript by itself ` +
        '(type stripping is on by default from Node 23.6 and 22.18; from 22.6 it needs --experimental-strip-types, which reaches workers ' +
        "only through the pool's execArgv option or NODE_OPTIONS) and tsx is not installed. " +
        'Install it (npm i -D tsx), or compile the module to JavaScript and give the pool the .js file.',
    );
    this.name = 'TypeScriptLoaderError';
    this.modulePath = modulePath;
    Object.defineProperty(this, 'code', { value: NO_TYPESCRIPT_LOADER, enumerable: true });
  }
}

export function isTypeScript(href: string): boolean {
  return TS_EXTENSION.test(new URL(href).pathname);
}

/** Whether this Node.js strips types from `.ts` files itself (with the flags this process runs with). */
export function nodeStripsTypes(): boolean {
  const features = process.features as { typescript?: unknown };
  // `process.features.typescript` exists from 22.10 ('strip', 'transform' or false).
  if ('typescript' in features) return Boolean(features.typescript);
  // 22.6 to 22.9: only the flag tells.
  const nodeOptions = (process.env.NODE_OPTIONS ?? '').split(/\s+/);
  return [...process.execArgv, ...nodeOptions].some((a) => STRIP_FLAG.test(a));
}

/**
 * Registers a TypeScript loader for `href` and says which one runs it; does
 * nothing for JavaScript (returns `undefined`), so JavaScript workers start lean.
 * @throws {TypeScriptLoaderError} when `href` is TypeScript and nothing can run it.
 */
export async function prepareTypeScript(href: string): Promise<TypeScriptLoader | undefined> {
  if (!isTypeScript(href)) return undefined;
  if (await registerTsx()) return 'tsx';
  if (nodeStripsTypes()) return 'node';
  throw new TypeScriptLoaderError(fileURLToPath(href));
}

/** Registers tsx's ESM and CommonJS hooks; false when tsx is not installed. */
async function registerTsx(): Promise<boolean> {
  let apis: [typeof import('tsx/esm/api'), typeof import('tsx/cjs/api')];
  try {
    apis = await Promise.all([import('tsx/esm/api'), import('tsx/cjs/api')]);
  } catch (err) {
    if (isTsxMissing(err)) return false;
    throw err;
  }
  // CommonJS first: a `.cts` module or a `require()` of a `.ts` file inside an ES module goes through it.
  apis[1].register();
  apis[0].register();
  return true;
}

function isTsxMissing(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown };
  // Only tsx itself missing: a broken tsx install (a missing esbuild, say) must still surface.
  return (e?.code === 'ERR_MODULE_NOT_FOUND' || e?.code === 'MODULE_NOT_FOUND') &&
    typeof e.message === 'string' && /['"]tsx(\/[^'"]*)?['"]/.test(e.message);
}
