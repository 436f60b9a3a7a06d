/**
 * How much of a request body is read, by route: open routes (login, setup, DoH …) only a few KB, so
 * nobody without a session can make the server buffer megabytes; routes with a session 1 MiB; the
 * backup import 16 MiB. The session check runs in onRequest, before any body is read, so even the
 * import's limit is only reachable with a session.
 */
import type { FastifyInstance } from 'fastify';

export const OPEN_BODY_LIMIT = 4096;
export const DEFAULT_BODY_LIMIT = 1024 * 1024;
export const IMPORT_BODY_LIMIT = 16 * 1024 * 1024;

/** Routes whose body is a whole backup file. */
const LARGE_BODY_ROUTES = new Set(['/api/import']);

export function registerBodyLimits(app: FastifyInstance): void {
  app.addHook('onRoute', (route) => {
    // A route that sets its own limit (DoH: one DNS message) keeps it.
    if (route.bodyLimit !== undefined) return;
    if (route.config?.public) route.bodyLimit = OPEN_BODY_LIMIT;
    else if (LARGE_BODY_ROUTES.has(route.url)) route.bodyLimit = IMPORT_BODY_LIMIT;
  });
}
