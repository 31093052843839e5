// The generated 5,000-page site both demos crawl (`npm start`,
// `npm run demo:distributed`): the same pages and the same failures on every
// run, served on a free loopback port.
import { createServer } from 'node:http';

export const PAGES = 5_000;
export const SLOW_EVERY = 40; // 125 pages answer after 300-700 ms
export const CRASH = new Set([137, 1200, 2500, 3333, 4711]); // these crash the parser (SIGSEGV)
export const HANG = new Set([99, 777, 1500, 2222, 3000, 3900, 4444, 4999]); // these never answer

/** Deterministic pseudo-random numbers, so the site is the same on every run. */
function rand(seed) {
  let x = (seed * 2654435761) >>> 0 || 1;
  return () => ((x ^= x << 13, x ^= x >>> 17, x ^= x << 5) >>> 0) / 2 ** 32;
}

function page(n) {
  const r = rand(n + 1);
  const links = Array.from({ length: 3 + Math.floor(r() * 12) }, () => `<li><a href="/page/${Math.floor(r() * PAGES)}">page</a></li>`);
  return `<!doctype html><html><head><title>Page ${n} &amp; friends</title></head><body>
<h1>Page ${n}</h1>${CRASH.has(n) ? '<x-crash>' : ''}<p>${'lorem ipsum '.repeat(20 + Math.floor(r() * 200))}</p>
<ul>${links.join('')}</ul></body></html>`;
}

/** Starts the site; resolves to its base URL and a `close()` that also ends open (hanging) requests. */
export async function serveSite() {
  const sockets = new Set();
  const server = createServer((req, res) => {
    const m = /^\/page\/(\d+)$/.exec(req.url ?? '');
    const n = m ? Number(m[1]) : -1;
    if (n < 0 || n >= PAGES) { res.writeHead(404).end('not found'); return; }
    if (HANG.has(n)) return; // never answers: the runner's --timeout deals with it
    const send = () => res.writeHead(200, { 'content-type': 'text/html' }).end(page(n));
    if (n % SLOW_EVERY === 0) setTimeout(send, 300 + Math.floor(rand(n)() * 400));
    else send();
  });
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    base: `http://127.0.0.1:${server.address().port}`,
    close() {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}
