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
import type { SettingsService } from '../settings/settings-service.js';
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
  /** The dashboard's settings: view, change, and which changes wait for a restart. */
  settingsService: SettingsService;
}
