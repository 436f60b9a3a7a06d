/** Setup, login, logout, status and password change. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuthService } from '../auth/auth-service.js';
import { sessionOf } from '../auth/guard.js';
import { weakPasswordReason } from '../auth/password-policy.js';
import { SESSION_COOKIE, type Session } from '../auth/session-store.js';
import type { App, RouteContext } from '../context.js';
import { HttpError, badRequest, conflict } from '../http/errors.js';
import { AuthStatus, ChangePasswordBody, LoginBody, SessionResponse, SetupBody } from '../schemas/auth.js';
import { ErrorResponse, Ok } from '../schemas/common.js';

/** Bodies of these routes are a password or two: nothing bigger is read (open routes, issue 14). */
export const AUTH_BODY_LIMIT = 4096;

function setSessionCookie(request: FastifyRequest, reply: FastifyReply, session: Session): void {
  reply.setCookie(SESSION_COOKIE, session.id, {
    path: '/',
    httpOnly: true,
    sameSite: 'strict',
    // Secure whenever the browser reached us over https (directly or through a local reverse proxy).
    secure: request.protocol === 'https',
    expires: new Date(session.expiresAt),
  });
}

/**
 * Runs `check` as one rate-limited attempt from the request's source: admitted (and counted as in flight)
 * before any hashing starts, ended as a success or a failure. Throws 429 when the source must wait, and
 * `onFailure()` when the check says no.
 */
async function limitedAttempt(
  auth: AuthService,
  request: FastifyRequest,
  check: () => Promise<boolean> | boolean,
  onFailure: () => HttpError,
): Promise<void> {
  const admission = auth.lockout.begin(request.ip);
  if (!admission.ok) {
    const seconds = Math.max(1, Math.ceil(admission.retryAfterMs / 1000));
    const message =
      admission.reason === 'locked'
        ? `too many failed attempts from your address: try again in ${seconds} s`
        : `an earlier attempt from your address is still being checked: try again in ${seconds} s`;
    throw new HttpError(429, 'too-many-requests', message, { 'retry-after': String(seconds) });
  }
  let passed = false;
  try {
    passed = await check();
  } finally {
    if (passed) admission.attempt.succeed();
    else admission.attempt.fail();
  }
  if (!passed) throw onFailure();
}

function refuseWeak(field: string, password: string): void {
  const reason = weakPasswordReason(password);
  if (reason) throw badRequest(`${field}: ${reason}`);
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
      bodyLimit: AUTH_BODY_LIMIT,
      schema: {
        tags: ['auth'],
        body: SetupBody,
        response: {
          200: SessionResponse,
          400: ErrorResponse,
          403: ErrorResponse,
          409: ErrorResponse,
          429: ErrorResponse,
        },
      },
    },
    async (request, reply) => {
      const alreadySet = () =>
        conflict('a password is already set: log in instead (setup works only on first run)');
      if (!auth.setupNeeded) throw alreadySet();
      await limitedAttempt(
        auth,
        request,
        () => auth.checkSetupCode(request.body.setupCode),
        () =>
          new HttpError(
            403,
            'forbidden',
            'setupCode: wrong setup code: use the code tracksink printed when it started (in its output or log, and in the file setup-code.txt in its data folder)',
          ),
      );
      refuseWeak('password', request.body.password);
      if (!(await auth.setInitial(request.body.password))) throw alreadySet();
      const session = auth.sessions.create();
      setSessionCookie(request, reply, session);
      return { csrfToken: session.csrf, expiresAt: session.expiresAt };
    },
  );

  app.post(
    '/api/auth/login',
    {
      config: { public: true },
      bodyLimit: AUTH_BODY_LIMIT,
      schema: {
        tags: ['auth'],
        body: LoginBody,
        response: { 200: SessionResponse, 401: ErrorResponse, 409: ErrorResponse, 429: ErrorResponse },
      },
    },
    async (request, reply) => {
      if (auth.setupNeeded) throw conflict('no password is set yet: choose one with POST /api/auth/setup');
      await limitedAttempt(
        auth,
        request,
        () => auth.check(request.body.password),
        () => new HttpError(401, 'unauthorized', 'wrong password'),
      );
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
      bodyLimit: AUTH_BODY_LIMIT,
      schema: {
        tags: ['auth'],
        body: ChangePasswordBody,
        response: {
          200: SessionResponse,
          400: ErrorResponse,
          401: ErrorResponse,
          403: ErrorResponse,
          429: ErrorResponse,
        },
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
      refuseWeak('password', request.body.password);
      await limitedAttempt(
        auth,
        request,
        () => auth.check(request.body.current),
        () => new HttpError(401, 'unauthorized', 'current: wrong password'),
      );
      await auth.change(request.body.password);
      // Everyone else is logged out; this browser gets a fresh session.
      auth.sessions.endOthers(null);
      const session = auth.sessions.create();
      setSessionCookie(request, reply, session);
      return { csrfToken: session.csrf, expiresAt: session.expiresAt };
    },
  );
}
