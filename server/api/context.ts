/** What every route module receives: the dependencies, the repositories the API owns, and helpers. */
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type {
  FastifyBaseLogger,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify';
import type { AuthService } from './auth/auth-service.js';
import type { AppDeps } from './deps.js';
import type { RulesRepo } from '../store/repos/rules-repo.js';
import type { SettingsRepo } from '../store/repos/settings-repo.js';

export type App = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

export interface RouteContext {
  deps: AppDeps;
  auth: AuthService;
  rules: RulesRepo;
  settings: SettingsRepo;
  now: () => number;
  /** Settings keys whose value differs from the one the running server started with and could not apply. */
  restartNeeded: Set<string>;
  /** The config as the server started (flattened, dotted keys): what a restart-only key runs with. */
  startConfig: Record<string, unknown>;
}
