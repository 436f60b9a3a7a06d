/**
 * A home's DNS traffic for the soak test, deterministic: a few thousand names with a skewed popularity
 * (a handful of sites get most queries), a quarter of queries for tracker names on the blocklist, a few
 * never-seen names (randomised CDN and telemetry subdomains), 30 % AAAA.
 */
import type { QueryPick } from '../helpers/udp-load.js';

export const BLOCKLIST_SIZE = 5_000;
export const FORWARDED_A = '198.18.0.10';
/** 2001:db8::1 as the test's response parser prints it. */
export const FORWARDED_AAAA = '2001:db8:0:0:0:0:0:1';

const SITES = 400;
const POOL = 5_000;
const TRACKERS_ASKED = 300;

export function blockedName(i: number): string {
  return `t${i}.tracker-soak.test`;
}

export function isBlockedName(name: string): boolean {
  return name.endsWith('.tracker-soak.test');
}

const prefixes = ['www', 'api', 'cdn', 'img', 'static', 'push', 'ws', 'auth', 'media', 'edge'];
const pool = Array.from({ length: POOL }, (_, i) => {
  const site = i % SITES;
  return `${prefixes[i % prefixes.length]}${Math.floor(i / SITES)}.site${site}.soak.test`;
});

/** A cheap, well-mixed hash of an integer to [0, 1). */
function unit(i: number, salt: number): number {
  let h = Math.imul(i ^ salt, 0x9e3779b1);
  h ^= h >>> 15;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return (h >>> 0) / 2 ** 32;
}

/** The i-th query of the soak. `unique` numbers the never-seen names so no two runs collide. */
export function homeQuery(i: number, unique: { next: number }): QueryPick {
  const qtype = unit(i, 1) < 0.3 ? 28 : 1;
  const r = unit(i, 2);
  if (r < 0.25) return { name: blockedName(Math.floor(unit(i, 3) ** 2 * TRACKERS_ASKED)), qtype };
  if (r < 0.27) return { name: `${(unique.next++).toString(36)}x.cdn.soak.test`, qtype };
  // Cubed: the first few percent of the pool get most of the queries, as popular sites do.
  return { name: pool[Math.floor(unit(i, 4) ** 3 * POOL)]!, qtype };
}
