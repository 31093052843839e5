/**
 * The esbuild step both bundle scripts share: each root file of dist/ is
 * replaced by a bundle of itself, packages and node: builtins left as
 * imports, tsc's source maps followed (stack traces under
 * --enable-source-maps still name src/*.ts). Every bundle is built before
 * any is written, since each build reads the unbundled files.
 */
import { build } from 'esbuild';
import { writeFileSync } from 'node:fs';

/** `pluginFor(root)`: the esbuild plugin that decides, for that root, what stays a separate file. */
export async function bundleInPlace(roots, pluginFor) {
  const outputs = [];
  for (const root of roots) {
    const result = await build({
      entryPoints: [root],
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
      plugins: [pluginFor(root)],
    });
    outputs.push(...result.outputFiles);
  }
  for (const file of outputs) writeFileSync(file.path, file.contents);
}
