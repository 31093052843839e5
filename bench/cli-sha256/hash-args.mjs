import { sha } from './tasks.mjs';
for (const p of process.argv.slice(2)) process.stdout.write(`${sha(p)}\n`);
