/**
 * GET /api/refused-networks: networks whose queries DNS access control refused, still refused now (one
 * allowed since drops out), so the overview can say "42 queries refused from 198.19.77.0/24 — allow this
 * network?". Allowing goes through the settings (dns.access.allow), like any other setting.
 */
import type { App, RouteContext } from '../context.js';
import { ErrorResponse } from '../schemas/common.js';
import { RefusedNetworkList } from '../schemas/refused.js';

export function refusedRoutes(app: App, context: RouteContext): void {
  app.get(
    '/api/refused-networks',
    { schema: { tags: ['devices'], response: { 200: RefusedNetworkList, 503: ErrorResponse } } },
    async () => {
      const dns = context.deps.dns;
      const items = (dns?.refusedNetworks?.list() ?? []).filter(
        (network) => !(dns?.allows?.(network.example) ?? false),
      );
      return { items };
    },
  );
}
