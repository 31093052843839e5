/**
 * Loads the task module in a worker and returns its exported functions.
 *
 * TypeScript (`.ts`, `.mts`, `.cts`) needs a loader: tsx when the app has it,
 * else Node's own type stripping (see `typescript-loader.ts`). It is set up
 * only for TypeScript modules, so JavaScript workers do not pay for it at start-up.
 */
import { prepareTypeScript } from './typescript-loader.js';

type TaskFn = (...args: unknown[]) => unknown;

/** A task module's exported functions, by name (a Map: no name is found on a prototype). */
export type TaskTable = Map<string, TaskFn>;

export async function loadTaskModule(href: string): Promise<TaskTable> {
  await prepareTypeScript(href);
  const { ns } = await importNamespace(href);
  const fns: TaskTable = new Map();
  // A CommonJS module (or a TS file compiled as CommonJS) can surface its
  // exports only on `default`: take them from there; named exports win.
  const def = ns.default;
  if (def !== null && typeof def === 'object') addFunctions(fns, def as Record<string, unknown>);
  addFunctions(fns, ns);
  return fns;
}

/**
 * `import(href)` resolves its promise with the module namespace, and a
 * namespace that exports `then` is a thenable: the promise would call that
 * export instead of resolving. Importing through a one-line wrapper module
 * (`export * as ns from href`) hands the namespace over as a property instead.
 */
async function importNamespace(href: string): Promise<{ ns: Record<string, unknown> }> {
  const wrapper = `export * as ns from ${JSON.stringify(href)};`;
  // Returned still wrapped: an async function returning the namespace itself would adopt its `then` too.
  return (await import(`data:text/javascript,${encodeURIComponent(wrapper)}`)) as { ns: Record<string, unknown> };
}

function addFunctions(out: TaskTable, obj: Record<string, unknown>): void {
  for (const key of Object.keys(obj)) {
    const v = obj[key];
    if (typeof v === 'function') out.set(key, v as TaskFn);
  }
}
