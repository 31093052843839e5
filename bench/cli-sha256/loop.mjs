import { readFileSync } from 'node:fs';
import { sha } from './tasks.mjs';
for (const p of readFileSync(process.argv[2], 'utf8').split('\n').filter(Boolean)) process.stdout.write(`${sha(p)}\n`);
