/**
 * Two (or more) tracksinks sharing one real PostgreSQL (issue 18), for the replica tests: the DNS query
 * bytes, asking from a client address of one's own, waiting for a condition, and starting a replica either
 * as a real process (dist/server/main.js, tracksink-process.ts) or in this process (services.ts, each with
 * its own data folder and so its own replica name) with a logged-in dashboard session. Used by
 * tests/integration/api/pg-*.test.ts and tests/resilience/pg-*.test.ts.
 */
import dgram from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { Config } from '../../server/config/schema.js';
import { createLogger, silentLogger } from '../../server/logger.js';
import { startServices, type Services } from '../../server/services.js';
import { DATABASE_URL_ENV } from '../../server/store/pg/pg-url.js';
import { loopbackConfig } from './in-process-product.js';
import { startTracksink, type TracksinkProcess } from './tracksink-process.js';

/** A recursive A query for `name`. */
export function dnsQuery(name: string, id: number): Buffer {
  const labels = name
    .split('.')
    .map((label) => Buffer.concat([Buffer.from([label.length]), Buffer.from(label)]));
  const header = Buffer.from([id >> 8, id & 0xff, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
  return Buffer.concat([header, ...labels, Buffer.from([0, 0, 1, 0, 1])]);
}

/** The A record of a one-answer reply, or `rcode N` when it has no answer. */
export function answerOf(reply: Buffer): string {
  if (reply.readUInt16BE(6) === 0) return `rcode ${reply[3]! & 0x0f}`;
  return [...reply.subarray(reply.length - 4)].join('.');
}

/** Asks one name of the server on 127.0.0.1:`port`; null when no answer came within `waitMs`. */
export async function resolveName(port: number, name: string, waitMs = 1000): Promise<string | null> {
  const socket = dgram.createSocket('udp4');
  try {
    return await new Promise<string | null>((done) => {
      const timer = setTimeout(() => done(null), waitMs);
      socket.on('message', (reply: Buffer) => {
        clearTimeout(timer);
        done(answerOf(reply));
      });
      socket.send(dnsQuery(name, 4242), port, '127.0.0.1');
    });
  } finally {
    socket.close();
  }
}

/** Asks `names` one after the other from `client` (a loopback address of its own); resolves with the answers. */
export async function askFrom(port: number, client: string, names: string[]): Promise<string[]> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((bound) => socket.bind(0, client, () => bound()));
  const answers: string[] = [];
  try {
    for (const [i, name] of names.entries()) {
      answers.push(
        await new Promise<string>((answered, failed) => {
          const timer = setTimeout(() => failed(new Error(`${name}: no answer from ${client}`)), 5000);
          socket.once('message', (reply: Buffer) => {
            clearTimeout(timer);
            answered(answerOf(reply));
          });
          socket.send(dnsQuery(name, i + 1), port, '127.0.0.1');
        }),
      );
    }
  } finally {
    socket.close();
  }
  return answers;
}

/** Waits until `check` holds (every `everyMs`); resolves with how long it took, throws after `timeoutMs`. */
export async function until(
  check: () => Promise<boolean> | boolean,
  timeoutMs: number,
  what: string,
  everyMs = 50,
): Promise<number> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((wake) => setTimeout(wake, everyMs));
  }
  return Date.now() - started;
}

/** A real tracksink process as replica `name` of the installation at `databaseUrl`. */
export function startReplicaProcess(options: {
  databaseUrl: string;
  name: string;
  /** udp://… of the upstream DNS server. */
  upstream: string;
  /** TRACKSINK_PASSWORD; none: the dashboard password is set through the API. */
  password?: string;
  /** More YAML (a `lists:` section replaces the default `lists: { defaults: false }`). */
  configYaml?: string;
  env?: Record<string, string>;
}): Promise<TracksinkProcess> {
  return startTracksink({
    configYaml: [`dns:\n  upstreams: ['${options.upstream}']`, options.configYaml ?? ''].join('\n'),
    env: {
      TRACKSINK_DATABASE_URL: options.databaseUrl,
      TRACKSINK_REPLICA: options.name,
      ...(options.password === undefined ? {} : { TRACKSINK_PASSWORD: options.password }),
      TRACKSINK_LOG_LEVEL: 'info',
      ...options.env,
    },
    timeoutMs: 60_000,
  });
}

/**
 * Tears down what a replica test started, in the order that loses nothing: the replicas first (killed, as
 * a crash would), then the pool, the upstream and PostgreSQL itself. Every part may be missing when
 * `beforeAll` failed half-way.
 */
export async function stopReplicaSetup(parts: {
  processes: readonly TracksinkProcess[];
  db?: { end(): Promise<void> } | undefined;
  upstream?: { stop(): Promise<void> } | undefined;
  server?: { destroy(): void } | undefined;
}): Promise<void> {
  for (const proc of parts.processes) {
    await proc.stop('SIGKILL');
    proc.cleanup();
  }
  await parts.db?.end().catch(() => {});
  await parts.upstream?.stop();
  parts.server?.destroy();
}

/** A replica in this process, with a logged-in dashboard session. */
export interface InProcessReplica {
  services: Services;
  dir: string;
  dnsPort: number;
  get<T>(url: string): Promise<T>;
  post<T>(url: string, payload: unknown): Promise<T>;
  stop(): Promise<void>;
}

/**
 * services.ts as main.ts starts it, on TRACKSINK_DATABASE_URL (set by the caller, read at start), with
 * its own data folder (hence its own replica name), DNS and HTTP on free ports and `password` set.
 */
export async function startReplicaInProcess(options: {
  upstream: string;
  /** http.password, logged in with; '' = none set (first-run setup), not logged in. */
  password: string;
  configure?: (config: Config) => void;
}): Promise<InProcessReplica> {
  const dir = mkdtempSync(join(tmpdir(), 'tracksink-replica-'));
  // The in-process product's loopback config (free DNS, HTTP and encrypted-DNS ports, no default lists).
  const config = loopbackConfig(dir, { udpUrl: options.upstream });
  config.http.password = options.password;
  config.lists.fileDir = dir;
  options.configure?.(config);
  const services = await startServices(
    config,
    process.env.DEBUG_REPLICAS ? createLogger('info') : silentLogger,
  );
  let cookie = '';
  let csrfToken = '';
  if (options.password !== '') {
    const login = await services.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { password: options.password },
    });
    expect(login.statusCode, login.body).toBe(200);
    cookie = `tracksink_session=${login.cookies.find((c) => c.name === 'tracksink_session')!.value}`;
    csrfToken = login.json<{ csrfToken: string }>().csrfToken;
  }
  return {
    services,
    dir,
    dnsPort: services.dns.udpAddress.port,
    async get<T>(url: string): Promise<T> {
      const response = await services.app.inject({ method: 'GET', url, headers: { cookie } });
      expect(response.statusCode, `${url}: ${response.body}`).toBe(200);
      return response.json() as T;
    },
    async post<T>(url: string, payload: unknown): Promise<T> {
      const response = await services.app.inject({
        method: 'POST',
        url,
        payload: payload as Record<string, unknown>,
        headers: { cookie, 'x-csrf-token': csrfToken },
      });
      expect(response.statusCode, `${url}: ${response.body}`).toBeLessThan(300);
      return response.json() as T;
    },
    async stop(): Promise<void> {
      await services.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Tears down an in-process replica test (startReplicaInProcess): the replicas, the database URL they read
 * from the environment, the upstream, then PostgreSQL. Every part may be missing when `beforeAll` failed.
 */
export async function stopInProcessReplicaSetup(parts: {
  replicas: readonly InProcessReplica[];
  upstream?: { close(): Promise<void> } | undefined;
  server?: { destroy(): void } | undefined;
}): Promise<void> {
  for (const replica of parts.replicas) await replica.stop();
  delete process.env[DATABASE_URL_ENV];
  await parts.upstream?.close();
  parts.server?.destroy();
}
