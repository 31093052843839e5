// Run with: npm run build && node --import tsx examples/quickstart/main.ts
import { Pool, TaskTimeoutError } from 'forkpool';
import type * as tasks from './tasks.ts';

await using pool = new Pool<typeof tasks>(new URL('./tasks.ts', import.meta.url), { processes: 2 });

console.log('apply:', await pool.apply('wordCount', ['the quick brown fox']));

const r = pool.applyAsync('slowSquare', [7], { callback: (v) => console.log('callback got', v) });
console.log('AsyncResult:', await r.get(5_000), 'ready:', r.ready());

console.log('map:', await pool.map('slowSquare', [1, 2, 3, 4]));

for await (const v of pool.imapUnordered('slowSquare', (function* () { for (let i = 0; i < 5; i++) yield i; })())) {
  console.log('imapUnordered:', v);
}

for await (const s of pool.imapSettled('flaky', [1, 2, 3, 4], { ordered: true })) {
  console.log('settled:', s.index, s.ok ? s.value : `${s.error.name}: ${s.error.message}`);
}

await pool.apply('slowSquare', [2], { timeout: 1 }).catch((e) => {
  if (e instanceof TaskTimeoutError) console.log('timed out as asked:', e.code);
});
console.log('stats:', JSON.stringify(pool.stats().failed));
