/**
 * The esbuild step both bundle scripts share: each root file of dist/ is
 * replaced by a bundle of itself, packages and node: builtins left as
 * imports, tsc's source maps followed (stack traces under
 * --enable-source-maps still name src/*.ts). Every bundle is built before
 * any is written, since each build reads the unbundled files.
 */
import { build } from 'esbuild';
import { writeFileSync } from 'node:fs';

/**
 * `pluginFor(root)`: the esbuild plugin that decides, for that root, what
 * stays a separate file. `entry(root)`, if given and not undefined: the
 * entry's source text instead of the root's own ({ contents, resolveDir }).
 * `banner(root)`: a first line for that bundle. Returns each bundle's
 * exported names, by root.
 */
export async function bundleInPlace(roots, pluginFor, { entry = () => undefined, banner = () => undefined } = {}) {
  const outputs = [];
  const exported = new Map();
  for (const root of roots) {
    const stdin = entry(root);
    const first = banner(root);
    const result = await build({
      ...(stdin ? { stdin: { ...stdin, sourcefile: '<bundle entry>', loader: 'js' } } : { entryPoints: [root] }),
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      packages: 'external',
      sourcemap: 'linked',
      outfile: root,
      write: false,
      allowOverwrite: true,
      logLevel: 'warning',
      metafile: true,
      ...(first ? { banner: { js: first.trimEnd() } } : {}),
      plugins: [pluginFor(root)],
    });
    outputs.push(...result.outputFiles);
    exported.set(root, Object.values(result.metafile.outputs).find((o) => o.exports !== undefined && o.entryPoint !== undefined)?.exports ?? []);
  }
  for (const file of outputs) writeFileSync(file.path, file.contents);
  return exported;
}
