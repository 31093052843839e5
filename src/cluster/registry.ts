/**
 * The node registry: each `forkpool worker` writes a heartbeat key (TTL
 * HEARTBEAT_TTL_S) every HEARTBEAT_MS and lists its id in a set; clients read
 * the set and the keys. A key that expired is a dead node: its id is dropped
 * from the set by whoever reads it. The TTL runs on the Redis server, so
 * clocks of the machines do not matter.
 */
import type { RedisClient } from './connect.js';
import { HEARTBEAT_TTL_S, nodeKey, nodesKey, type Heartbeat } from './settings.js';

export async function readNodes(client: RedisClient, queue: string): Promise<Heartbeat[]> {
  const ids = await client.smembers(nodesKey(queue));
  if (ids.length === 0) return [];
  const values = await client.mget(ids.map((id) => nodeKey(queue, id)));
  const live: Heartbeat[] = [];
  const dead: string[] = [];
  ids.forEach((id, i) => {
    const v = values[i];
    if (!v) return void dead.push(id);
    try { live.push(JSON.parse(v) as Heartbeat); } catch { dead.push(id); }
  });
  if (dead.length) await client.srem(nodesKey(queue), ...dead);
  return live.sort((a, b) => a.id.localeCompare(b.id));
}

export async function writeHeartbeat(client: RedisClient, queue: string, hb: Heartbeat): Promise<void> {
  await client.multi()
    .set(nodeKey(queue, hb.id), JSON.stringify(hb), 'EX', HEARTBEAT_TTL_S)
    .sadd(nodesKey(queue), hb.id)
    .exec();
}

export async function removeNode(client: RedisClient, queue: string, id: string): Promise<void> {
  await client.multi().del(nodeKey(queue, id)).srem(nodesKey(queue), id).exec();
}
