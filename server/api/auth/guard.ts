/**
 * The request guard: every route needs a session unless its config says `public: true`, and every
 * state-changing method also needs the session's CSRF token in `x-csrf-token`. SameSite=Strict already
 * keeps other sites' requests from carrying the cookie; the token makes that independent of the browser.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HttpError } from '../http/errors.js';
import type { AuthService } from './auth-service.js';
import { SESSION_COOKIE, sameToken, type Session } from './session-store.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** No login needed (health, login, setup, DoH, metrics, static files). */
    public?: boolean;
  }
  interface FastifyRequest {
    session: Session | null;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function sessionOf(request: FastifyRequest, auth: AuthService): Session | null {
  return auth.sessions.find(request.cookies[SESSION_COOKIE]);
}

export function registerGuard(app: FastifyInstance, auth: AuthService): void {
  app.decorateRequest('session', null);
  app.addHook('onRequest', async (request) => {
    // Routes that matched nothing (static files, SPA fallback, 404s) are public by nature.
    if (request.routeOptions.config?.public || !request.routeOptions.url) return;
    const session = sessionOf(request, auth);
    if (!session) throw new HttpError(401, 'unauthorized', 'log in first: this route needs a session');
    request.session = session;
    if (!SAFE_METHODS.has(request.method)) {
      const token = request.headers['x-csrf-token'];
      if (!sameToken(typeof token === 'string' ? token : undefined, session.csrf)) {
        throw new HttpError(
          403,
          'forbidden',
          'missing or wrong x-csrf-token header: send the csrfToken that login returned',
        );
      }
    }
  });
}
