/**
 * The Fastify app factory: plugins, security headers, the auth guard, every route, static files. No
 * listen() here: main.ts listens, tests use inject().
 */
import fastifyCookie from '@fastify/cookie';
import fastifySwagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { LogController, type FastifyError, type FastifyInstance } from 'fastify';
import { SettingsService } from '../settings/settings-service.js';
import { AuthService } from './auth/auth-service.js';
import { registerGuard } from './auth/guard.js';
import { DEFAULT_BODY_LIMIT, registerBodyLimits } from './http/body-limits.js';
import { HostPolicy, registerHostCheck } from './http/host-check.js';
import { lazySerializerFactory } from './http/lazy-serializer.js';
import type { App, RouteContext } from './context.js';
import type { AppDeps } from './deps.js';
import { HttpError, formatValidationErrors, kindFor } from './http/errors.js';
import { registerSecurityHeaders } from './http/security-headers.js';
import { registerStaticFiles } from './http/static-files.js';
import { validatorCompiler } from './http/validator.js';
import { appsRoutes } from './routes/apps-routes.js';
import { authRoutes } from './routes/auth-routes.js';
import { backupRoutes } from './routes/backup-routes.js';
import { companiesDbRoutes } from './routes/companies-db-routes.js';
import { devicesRoutes } from './routes/devices-routes.js';
import { dohRoutes } from './routes/doh-routes.js';
import { encryptedDnsRoutes } from './routes/encrypted-dns-routes.js';
import { explainRoutes } from './routes/explain-routes.js';
import { groupsRoutes } from './routes/groups-routes.js';
import { healthRoutes } from './routes/health-routes.js';
import { listsRoutes } from './routes/lists-routes.js';
import { localRecordsRoutes } from './routes/local-records-routes.js';
import { metricsRoutes } from './routes/metrics-routes.js';
import { pauseRoutes } from './routes/pause-routes.js';
import { peopleRoutes } from './routes/people-routes.js';
import { profilesRoutes } from './routes/profiles-routes.js';
import { queriesRoutes } from './routes/queries-routes.js';
import { refusedRoutes } from './routes/refused-routes.js';
import { rulesRoutes } from './routes/rules-routes.js';
import { schedulesRoutes } from './routes/schedules-routes.js';
import { settingsRoutes } from './routes/settings-routes.js';
import { setupRoutes } from './routes/setup-routes.js';
import { statsRoutes } from './routes/stats-routes.js';
import { trackersRoutes } from './routes/trackers-routes.js';
import { ErrorResponse } from './schemas/common.js';

export type { AppDeps } from './deps.js';

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const now = deps.now ?? Date.now;
  const app = Fastify({
    loggerInstance: deps.logger,
    // A reverse proxy on the same machine may tell us the client address and https.
    trustProxy: ['127.0.0.1', '::1'],
    // Routes with a session read up to 1 MiB; open routes far less, the backup import more
    // (http/body-limits.ts).
    bodyLimit: DEFAULT_BODY_LIMIT,
    schemaErrorFormatter: formatValidationErrors,
    // No log line per request (the dashboard polls); errors are still logged.
    logController: new LogController({ disableRequestLogging: true }),
    // Response serialisers are built on a route's first reply, not all before listening (http/lazy-serializer.ts).
    schemaController: { compilersFactory: { buildSerializer: lazySerializerFactory() } },
  }).withTypeProvider<TypeBoxTypeProvider>() as unknown as App;

  if (deps.onRoute) app.addHook('onRoute', deps.onRoute);
  // Unknown fields are errors (named in the message), never silently dropped; bodies are not coerced.
  app.setValidatorCompiler(validatorCompiler);
  app.addSchema(ErrorResponse);
  await app.register(fastifyCookie);
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'tracksink API',
        version: deps.version ?? '0.1.0',
        description:
          'Dashboard API of tracksink. Log in with POST /api/auth/login; send x-csrf-token on changes.',
      },
      components: {
        securitySchemes: { session: { type: 'apiKey', in: 'cookie', name: 'tracksink_session' } },
      },
      security: [{ session: [] }],
    },
  });

  app.setErrorHandler((error: FastifyError | HttpError, request, reply) => {
    if (error instanceof HttpError) {
      for (const [name, value] of Object.entries(error.headers)) reply.header(name, value);
      return reply.status(error.statusCode).send({ error: error.kind, message: error.message });
    }
    const status = error.validation ? 400 : (error.statusCode ?? 500);
    if (status >= 500) request.log.error({ err: error, url: request.url }, 'request failed');
    const message =
      status >= 500 ? 'internal error: see the server log' : error.message.replace(/^FST_\w+: /, '');
    return reply.status(status).send({ error: kindFor(status), message });
  });
  app.setNotFoundHandler((request, reply) => {
    reply
      .status(404)
      .send({ error: 'not-found', message: `no route ${request.method} ${request.url.split('?')[0]}` });
  });

  registerSecurityHeaders(app);
  registerBodyLimits(app);
  // Before the guard: a request for a foreign host name (DNS rebinding) learns nothing, not even 401.
  registerHostCheck(
    app,
    new HostPolicy({
      // The encrypted-DNS domain names this tracksink too (the dashboard over HTTPS by its certificate's name).
      allowedHosts: deps.config.tls.serverName
        ? [...deps.config.http.allowedHosts, deps.config.tls.serverName]
        : deps.config.http.allowedHosts,
      localNames: Object.keys(deps.config.dns.local),
    }),
    deps.logger,
  );
  const auth = await AuthService.create(deps.repos.auth, {
    configPassword: deps.config.http.password,
    dataDir: deps.config.dataDir,
    sessions: {
      idleMs: deps.config.http.sessionIdleHours * 3_600_000,
      maxAgeMs: deps.config.http.sessionDays * 86_400_000,
    },
    logger: deps.logger,
    now,
  });
  registerGuard(app, auth);

  const context: RouteContext = {
    deps,
    auth,
    rules: deps.repos.rules,
    settings: deps.repos.settings,
    now,
    settingsService: new SettingsService(deps, deps.repos.settings),
  };
  for (const routes of [
    healthRoutes,
    authRoutes,
    statsRoutes,
    devicesRoutes,
    appsRoutes,
    groupsRoutes,
    trackersRoutes,
    companiesDbRoutes,
    queriesRoutes,
    listsRoutes,
    localRecordsRoutes,
    refusedRoutes,
    rulesRoutes,
    explainRoutes,
    pauseRoutes,
    schedulesRoutes,
    profilesRoutes,
    peopleRoutes,
    settingsRoutes,
    setupRoutes,
    encryptedDnsRoutes,
    backupRoutes,
    dohRoutes,
    metricsRoutes,
  ]) {
    await app.register(async (scope) => routes(scope as unknown as App, context));
  }
  app.get('/api/docs/json', { config: { public: true }, schema: { hide: true } }, async () => app.swagger());
  await registerStaticFiles(app, deps.webRoot);
  return app;
}
