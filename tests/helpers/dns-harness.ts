/**
 * Starts the DNS engine for a test: random port on 127.0.0.1, a SetPolicy, the given upstream pool, and a
 * log sink that keeps a copy of every QueryEvent so tests can check "one event per query".
 */
import type { Config } from '../../server/config/schema.js';
import { defaultConfig } from '../../server/config/load.js';
import { type DnsServer, startDnsServer } from '../../server/dns/dns-server.js';
import type { UpstreamPool } from '../../server/dns/upstream/types.js';
import { type DeviceResolver, noDevices } from '../../server/events/device-resolver.js';
import type { QueryEvent } from '../../server/events/query-event.js';
import { silentLogger } from '../../server/logger.js';
import { SetPolicy } from './dns-test-policy.js';

export type DnsConfig = Config['dns'];

export interface DnsHarness {
  server: DnsServer;
  port: number;
  events: QueryEvent[];
  policy: SetPolicy;
  config: DnsConfig;
  close(): Promise<void>;
}

export function testDnsConfig(edit: (c: DnsConfig) => void = () => {}): DnsConfig {
  const config = defaultConfig().dns;
  config.bind = '127.0.0.1';
  config.port = 0;
  edit(config);
  return config;
}

export async function startDnsHarness(opts: {
  upstreams: UpstreamPool;
  blocked?: string[];
  allowed?: string[];
  config?: (c: DnsConfig) => void;
  devices?: DeviceResolver;
}): Promise<DnsHarness> {
  const config = testDnsConfig(opts.config);
  const events: QueryEvent[] = [];
  const policy = new SetPolicy(opts.blocked ?? [], opts.allowed ?? []);
  const server = await startDnsServer({
    config,
    policy,
    devices: opts.devices ?? noDevices,
    log: { record: (ev) => void events.push({ ...ev }) },
    upstreams: opts.upstreams,
    logger: silentLogger,
  });
  return { server, port: server.udpAddress.port, events, policy, config, close: () => server.close() };
}

/** Waits (bounded) until `check` holds; for events logged after an answer was sent. */
export async function eventually(check: () => boolean, timeoutMs = 3000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}
