/**
 * `import(name)` for an optional package (bullmq, ioredis), in a file of its
 * own that the build leaves outside dist/index.js's bundle.
 *
 * Why a file of its own: tsx, the usual way to run TypeScript, rewrites every
 * ES module that contains a dynamic `import(` and gives it a fine-grained
 * source map; for the whole library in one bundle that map is about 580 KB,
 * and the first stack trace through the bundle parsed it on the event loop
 * (170-350 ms). A bundle without `import(` is loaded as it is
 * (scripts/bundle-main.mjs checks that).
 */
export function importPackage(name: string): Promise<unknown> {
  return import(name);
}
