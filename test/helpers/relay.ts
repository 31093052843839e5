/**
 * A TCP relay on loopback between one process and a test's redis-server, so a
 * test can cut that process off Redis without touching Redis itself:
 *
 * - `stall(ms)`: a partition the sockets survive. Nothing is forwarded either
 *   way for `ms`; what was sent meanwhile is delivered afterwards (TCP would
 *   retransmit it), as after a short network outage.
 * - `sever(ms)`: every connection is reset and new ones are refused for `ms`,
 *   as when a node's link is down long enough for its sockets to fail; the
 *   client then reconnects through the relay.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

export interface Relay {
  port: number;
  /** `redis://127.0.0.1:<relay port>` (with the target URL's credentials). */
  url: string;
  stall(ms: number): Promise<void>;
  sever(ms: number): Promise<void>;
  close(): Promise<void>;
}

export async function startRelay(targetUrl: string): Promise<Relay> {
  const target = new URL(targetUrl);
  const pairs = new Set<[Socket, Socket]>();
  let refusing = false;
  let stalled = false;
  const held: Array<() => void> = [];
  const server: Server = createServer((inbound) => {
    if (refusing) return void inbound.resetAndDestroy();
    const outbound = connect(Number(target.port), '127.0.0.1');
    const pair: [Socket, Socket] = [inbound, outbound];
    pairs.add(pair);
    const forward = (from: Socket, to: Socket) => from.on('data', (d: Buffer) => {
      // While stalled, bytes wait here in order, as in a kernel buffer during a partition.
      if (stalled) held.push(() => to.write(d));
      else to.write(d);
    });
    forward(inbound, outbound);
    forward(outbound, inbound);
    const end = () => { pairs.delete(pair); inbound.destroy(); outbound.destroy(); };
    inbound.on('error', end).on('close', end);
    outbound.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const url = new URL(targetUrl);
  url.port = String(port);
  return {
    port,
    url: url.href.replace(/\/$/, ''),
    async stall(ms) {
      stalled = true;
      await new Promise((r) => setTimeout(r, ms));
      stalled = false;
      for (const deliver of held.splice(0)) deliver();
    },
    async sever(ms) {
      refusing = true;
      for (const [a, b] of pairs) { a.resetAndDestroy(); b.destroy(); }
      await new Promise((r) => setTimeout(r, ms));
      refusing = false;
    },
    async close() {
      for (const [a, b] of pairs) { a.destroy(); b.destroy(); }
      await new Promise((r) => server.close(() => r(undefined)));
    },
  };
}
