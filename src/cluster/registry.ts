/**
 * The node registry: each `forkpool worker` writes a heartbeat key (TTL
 * HEARTBEAT_TTL_S) every HEARTBEAT_MS and lists its id in a set; clients read
 * the set and the keys. A key that expired is a dead node: its id is dropped
 * from the set by whoever reads it. The TTL runs on the Redis server, so
 * clocks of the machines do not matter.
 */
import type { RedisClient } from './connect.js';
import { HEARTBEATS_WIPED_MS, HEARTBEAT_TTL_S, heartbeatsWipedKey, nodeKey, nodesKey, type Heartbeat } from './settings.js';

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

/**
 * KEYS[1] the heartbeat, KEYS[2] the node set, KEYS[3] the wipe marker; ARGV[1] the heartbeat,
 * ARGV[2] its TTL (s), ARGV[3] the node id, ARGV[4] '1' if this node wrote it before, ARGV[5] the
 * marker's life (ms). The sweep (recover.ts) runs it first, with the same arguments.
 */
export const BEAT_LUA = `
local had = redis.call('EXISTS', KEYS[1]) == 1
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
redis.call('SADD', KEYS[2], ARGV[3])
if not had and ARGV[4] == '1' then redis.call('SET', KEYS[3], '1', 'PX', ARGV[5]) end
`;

/** The keys and arguments of BEAT_LUA for this node's heartbeat. */
export function beatArgs(queue: string, hb: Heartbeat, again: boolean): Array<string | number> {
  return [nodeKey(queue, hb.id), nodesKey(queue), heartbeatsWipedKey(queue), JSON.stringify(hb), HEARTBEAT_TTL_S, hb.id, again ? '1' : '0', HEARTBEATS_WIPED_MS];
}

/**
 * `again`: this node wrote its heartbeat before, so finding it gone (well
 * before its TTL, as a live node beats every HEARTBEAT_MS) means Redis lost
 * it: one script, so that no sweep runs between the write and the marker.
 */
export async function writeHeartbeat(client: RedisClient, queue: string, hb: Heartbeat, again = false): Promise<void> {
  await client.eval(BEAT_LUA, 3, ...beatArgs(queue, hb, again));
}

export async function removeNode(client: RedisClient, queue: string, id: string): Promise<void> {
  await client.multi().del(nodeKey(queue, id)).srem(nodesKey(queue), id).exec();
}
