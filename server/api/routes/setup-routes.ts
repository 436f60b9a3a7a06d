/** "Does this device's DNS go through tracksink?" (see schemas/setup.ts for how the check works). */
import { randomBytes } from 'node:crypto';
import { analyticsView } from '../adapters/analytics-view.js';
import { formatAddress } from '../adapters/module-stats.js';
import { toDeviceBase } from '../adapters/devices-adapter.js';
import type { App, RouteContext } from '../context.js';
import { notFound, unavailable } from '../http/errors.js';
import { isLoopback, lanAddresses } from '../lan-addresses.js';
import { ErrorResponse } from '../schemas/common.js';
import { PROBE_SUFFIX, SetupCheck, SetupProbeParams, SetupProbeResult } from '../schemas/setup.js';

const RECENT_MS = 15 * 60_000;
const TOKEN_TTL_MS = 10 * 60_000;
const MAX_TOKENS = 1000;

/** The address as the DNS side sees it: IPv4-mapped IPv6 (::ffff:a.b.c.d) shown as IPv4. */
function plainAddress(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

export function setupRoutes(app: App, context: RouteContext): void {
  const tokens = new Map<string, { issuedAt: number; client: string }>();

  app.get(
    '/api/setup/check',
    { schema: { tags: ['setup'], response: { 200: SetupCheck } } },
    async (request) => {
      const now = context.now();
      const client = plainAddress(request.ip);
      const device = (context.deps.devices?.list() ?? [])
        .map(toDeviceBase)
        .find((candidate) => candidate.addresses.includes(client));
      for (const [token, info] of tokens) if (now - info.issuedAt > TOKEN_TTL_MS) tokens.delete(token);
      while (tokens.size >= MAX_TOKENS) tokens.delete(tokens.keys().next().value as string);
      const token = randomBytes(12).toString('hex');
      tokens.set(token, { issuedAt: now, client });
      const lastQueryAt = device && device.lastSeen > 0 ? device.lastSeen : null;
      return {
        clientAddress: client,
        device: device ? { id: device.id, name: device.name } : null,
        recentQueries: lastQueryAt !== null && now - lastQueryAt <= RECENT_MS,
        lastQueryAt,
        token,
        probeName: `${token}.${PROBE_SUFFIX}`,
        // The address the dashboard was opened at may be 127.0.0.1 or a reverse proxy: name the LAN ones.
        dnsAddresses: lanAddresses(context.deps.config.dns.bind).filter((address) => !isLoopback(address)),
        dnsPort: Number(
          /:(\d+)$/.exec(formatAddress(context.deps.dns?.udpAddress) ?? '')?.[1] ??
            context.deps.config.dns.port,
        ),
      };
    },
  );

  app.get(
    '/api/setup/check/:token',
    {
      schema: {
        tags: ['setup'],
        params: SetupProbeParams,
        response: { 200: SetupProbeResult, 404: ErrorResponse, 503: ErrorResponse },
      },
    },
    async (request) => {
      const { token } = request.params;
      const issued = tokens.get(token);
      if (!issued)
        throw notFound(`unknown or expired check token ${token}: start again with GET /api/setup/check`);
      const analytics = analyticsView(context.deps.analytics, context.now);
      if (!analytics) throw unavailable('the query log (analytics)');
      const probeName = `${token}.${PROBE_SUFFIX}`;
      const [hit] = (await analytics.queries({ limit: 1, name: probeName, from: issued.issuedAt - 1000 }))
        .rows;
      const seenFrom = hit && hit.name === probeName ? hit.client : null;
      return {
        token,
        probeName,
        seen: Boolean(hit && hit.name === probeName),
        seenFrom,
        sameAddress: seenFrom !== null && plainAddress(seenFrom) === issued.client,
      };
    },
  );
}
