/** Setup, login, logout, status and password change. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { SessionRow } from '../../store/repos/auth-repo.js';
import { sessionOf } from '../auth/guard.js';
import { SESSION_COOKIE } from '../auth/session-store.js';
import type { App, RouteContext } from '../context.js';
import { HttpError, conflict } from '../http/errors.js';
import { AuthStatus, ChangePasswordBody, LoginBody, SessionResponse, SetupBody } from '../schemas/auth.js';
import { ErrorResponse, Ok } from '../schemas/common.js';

function setSessionCookie(request: FastifyRequest, reply: FastifyReply, session: SessionRow): void {
  reply.setCookie(SESSION_COOKIE, session.id, {
    path: '/',
    httpOnly: true,
    sameSite: 'strict',
    // Secure whenever the browser reached us over https (directly or through a local reverse proxy).
    secure: request.protocol === 'https',
    expires: new Date(session.expiresAt),
  });
}

export function authRoutes(app: App, { auth }: RouteContext): void {
  app.get(
    '/api/auth/status',
    { config: { public: true }, schema: { tags: ['auth'], response: { 200: AuthStatus } } },
    async (request) => {
      const session = sessionOf(request, auth);
      return {
        setupNeeded: auth.setupNeeded,
        passwordFromConfig: auth.passwordFromConfig,
        loggedIn: session !== null,
        csrfToken: session?.csrf ?? null,
      };
    },
  );

  app.post(
    '/api/auth/setup',
    {
      config: { public: true },
      schema: { tags: ['auth'], body: SetupBody, response: { 200: SessionResponse, 409: ErrorResponse } },
    },
    async (request, reply) => {
      if (!(await auth.setInitial(request.body.password))) {
        throw conflict('a password is already set: log in instead (setup works only on first run)');
      }
      const session = auth.sessions.create();
      setSessionCookie(request, reply, session);
      return { csrfToken: session.csrf, expiresAt: session.expiresAt };
    },
  );

  app.post(
    '/api/auth/login',
    {
      config: { public: true },
      schema: {
        tags: ['auth'],
        body: LoginBody,
        response: { 200: SessionResponse, 401: ErrorResponse, 409: ErrorResponse, 429: ErrorResponse },
      },
    },
    async (request, reply) => {
      if (auth.setupNeeded) throw conflict('no password is set yet: choose one with POST /api/auth/setup');
      const client = request.ip;
      const wait = auth.lockout.retryAfterMs(client);
      if (wait > 0) {
        const seconds = Math.ceil(wait / 1000);
        throw new HttpError(429, 'too-many-requests', `too many failed logins: try again in ${seconds} s`, {
          'retry-after': String(seconds),
        });
      }
      if (!(await auth.check(request.body.password))) {
        auth.lockout.fail(client);
        throw new HttpError(401, 'unauthorized', 'wrong password');
      }
      auth.lockout.succeed(client);
      const session = auth.sessions.create();
      setSessionCookie(request, reply, session);
      return { csrfToken: session.csrf, expiresAt: session.expiresAt };
    },
  );

  app.post(
    '/api/auth/logout',
    { schema: { tags: ['auth'], response: { 200: Ok } } },
    async (request, reply) => {
      if (request.session) auth.sessions.end(request.session.id);
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return { ok: true as const };
    },
  );

  app.post(
    '/api/auth/password',
    {
      schema: {
        tags: ['auth'],
        body: ChangePasswordBody,
        response: { 200: SessionResponse, 401: ErrorResponse, 403: ErrorResponse },
      },
    },
    async (request, reply) => {
      if (auth.passwordFromConfig) {
        throw new HttpError(
          403,
          'forbidden',
          'the password is set by http.password / TRACKSINK_PASSWORD: change it there',
        );
      }
      const wait = auth.lockout.retryAfterMs(request.ip);
      if (wait > 0)
        throw new HttpError(
          429,
          'too-many-requests',
          `too many failed attempts: try again in ${Math.ceil(wait / 1000)} s`,
        );
      if (!(await auth.check(request.body.current))) {
        auth.lockout.fail(request.ip);
        throw new HttpError(401, 'unauthorized', 'current: wrong password');
      }
      await auth.change(request.body.password);
      // Everyone else is logged out; this browser gets a fresh session.
      auth.sessions.endOthers(null);
      const session = auth.sessions.create();
      setSessionCookie(request, reply, session);
      return { csrfToken: session.csrf, expiresAt: session.expiresAt };
    },
  );
}
