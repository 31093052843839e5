/**
 * Loads the task module in a worker and returns its exported functions.
 *
 * TypeScript (`.ts`, `.mts`, `.cts`) is compiled on the fly by tsx's loader
 * hooks, registered only for TypeScript modules so that JavaScript workers do
 * not pay for it at start-up.
 */
type TaskFn = (...args: unknown[]) => unknown;

const TS_EXTENSION = /\.(c|m)?tsx?$/i;

export async function loadTaskModule(href: string): Promise<Record<string, TaskFn>> {
  if (TS_EXTENSION.test(new URL(href).pathname)) {
    const [{ register: registerEsm }, { register: registerCjs }] = await Promise.all([
      import('tsx/esm/api'),
      import('tsx/cjs/api'),
    ]);
    registerCjs();
    registerEsm();
  }
  const ns = (await import(href)) as Record<string, unknown>;
  let fns = functionsOf(ns);
  // A CommonJS module (or a TS file compiled as CommonJS) can surface its
  // exports only on `default`: take them from there.
  const def = ns.default;
  if (def !== null && typeof def === 'object') {
    fns = { ...functionsOf(def as Record<string, unknown>), ...fns };
  }
  return fns;
}

function functionsOf(obj: Record<string, unknown>): Record<string, TaskFn> {
  const out: Record<string, TaskFn> = {};
  for (const key of Object.keys(obj)) {
    const v = obj[key];
    if (typeof v === 'function') out[key] = v as TaskFn;
  }
  return out;
}
