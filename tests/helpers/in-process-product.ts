/**
 * The whole product in-process (services.ts) for integration tests: a config on loopback with every port
 * free (DNS, dashboard, and with encrypted DNS for `example.test` DoT and HTTPS), asking a stub upstream; and a
 * dashboard session made through the first-run setup, as a person's first visit makes it.
 */
import { expect } from 'vitest';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { readSetupCode } from '../../server/api/auth/setup-code.js';
import { defaultConfig } from '../../server/config/load.js';
import type { Config } from '../../server/config/schema.js';
import type { Services } from '../../server/services.js';
import type { StubDnsServer } from './upstream/stub-dns-server.js';

/** Server name of the encrypted DNS: a device's ClientID is the first label before it. */
export const TEST_SERVER_NAME = 'example.test';

/** Defaults, with data in `dir`, loopback on free ports, no default lists, `upstream` as the resolver. */
export function loopbackConfig(dir: string, upstream: Pick<StubDnsServer, 'udpUrl'>): Config {
  const config = defaultConfig();
  config.dataDir = dir;
  config.dns.bind = '127.0.0.1';
  config.dns.port = 0;
  config.http.bind = '127.0.0.1';
  config.http.port = 0;
  // Encrypted DNS on free ports: on its defaults (853, 8443) two test files running at once collide, and the
  // one that loses reports "port in use" in its health and status (a flaky "degraded").
  config.tls.dotPort = 0;
  config.tls.httpsPort = 0;
  config.dns.upstreams = [upstream.udpUrl];
  config.lists.defaults = false;
  return config;
}

/** The same with encrypted DNS for TEST_SERVER_NAME: DoT and HTTPS (DoH) on free ports. */
export function encryptedDnsConfig(dir: string, upstream: Pick<StubDnsServer, 'udpUrl'>): Config {
  const config = loopbackConfig(dir, upstream);
  config.tls.serverName = TEST_SERVER_NAME;
  return config;
}

/**
 * Sets the password through the first-run setup (with the setup code tracksink wrote in `dir`); returns an
 * `inject` that carries the session cookie and the CSRF token.
 */
export async function firstRunSession(
  services: Services,
  dir: string,
  password: string,
): Promise<(options: InjectOptions) => Promise<LightMyRequestResponse>> {
  const setup = await services.app.inject({
    method: 'POST',
    url: '/api/auth/setup',
    payload: { password, setupCode: readSetupCode(dir) ?? '' },
  });
  expect(setup.statusCode, setup.body).toBe(200);
  const cookie = `tracksink_session=${setup.cookies.find((c) => c.name === 'tracksink_session')!.value}`;
  const csrf = (setup.json() as { csrfToken: string }).csrfToken;
  return (options) =>
    services.app.inject({ ...options, headers: { cookie, 'x-csrf-token': csrf, ...options.headers } });
}
