/**
 * The demo's task module: fetch one page and parse its title and links.
 *
 * Run by the pool, one call per page:
 *   forkpool run examples/crawl.ts#fetchAndParse --input pages.txt --timeout 2s
 *
 * Items are paths ("/page/42"); the site's base URL comes from the
 * environment, so the input (and therefore the journal) stays the same when
 * the demo server comes back on another port and a rerun can resume.
 */

export interface Page {
  url: string;
  status: number;
  title: string;
  links: string[];
  bytes: number;
}

const BASE = process.env.CRAWL_BASE_URL ?? 'http://127.0.0.1:8080';

export async function fetchAndParse(path: string): Promise<Page> {
  const url = new URL(path, BASE).href;
  const res = await fetch(url);
  const html = await res.text();
  if (!res.ok) throw new Error(`GET ${url} answered ${res.status}`);
  const { title, links } = parseHtml(html);
  return { url, status: res.status, title, links, bytes: html.length };
}

/**
 * A deliberately small HTML scanner: the `<title>` text and every `<a href>`.
 *
 * It stands in for a native parser (libxml bindings, say) with a memory bug:
 * on a `<x-crash>` tag it dies with SIGSEGV, as such a parser would, taking
 * its worker process down. The pool fails just that page and replaces the
 * worker; with threads, the whole program would have died.
 */
export function parseHtml(html: string): { title: string; links: string[] } {
  let title = '';
  const links: string[] = [];
  let i = 0;
  while ((i = html.indexOf('<', i)) !== -1) {
    const end = html.indexOf('>', i);
    if (end === -1) break;
    const tag = html.slice(i + 1, end);
    const name = /^\/?([a-zA-Z][\w-]*)/.exec(tag)?.[1]?.toLowerCase();
    if (name === 'x-crash') process.kill(process.pid, 'SIGSEGV');
    if (name === 'title' && !tag.startsWith('/')) {
      const close = html.indexOf('</title>', end);
      title = decode(html.slice(end + 1, close === -1 ? undefined : close).trim());
    } else if (name === 'a') {
      const href = /\bhref\s*=\s*"([^"]*)"/i.exec(tag)?.[1];
      if (href !== undefined) links.push(decode(href));
    }
    i = end + 1;
  }
  return { title, links };
}

function decode(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|#39);/g, (_m, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" })[e] ?? _m);
}
