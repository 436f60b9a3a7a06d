/**
 * GET and PATCH /api/settings: an adapter over the settings service (settings/settings-service.ts), which
 * validates, saves and applies a change; a refused change answers 400 naming the keys.
 */
import { flatten } from '../../settings/dotted-keys.js';
import { SettingsError } from '../../settings/validate-settings.js';
import type { App, RouteContext } from '../context.js';
import { badRequest } from '../http/errors.js';
import { ErrorResponse } from '../schemas/common.js';
import { SettingsPatch, SettingsResponse } from '../schemas/settings.js';

export function settingsRoutes(app: App, context: RouteContext): void {
  const service = context.settingsService;

  app.get(
    '/api/settings',
    { schema: { tags: ['settings'], response: { 200: SettingsResponse } } },
    async () => service.view(),
  );

  app.patch(
    '/api/settings',
    {
      schema: {
        tags: ['settings'],
        body: SettingsPatch,
        response: { 200: SettingsResponse, 400: ErrorResponse },
      },
    },
    async (request) => {
      try {
        await service.change(flatten(request.body));
      } catch (error) {
        if (error instanceof SettingsError) throw badRequest(error.message);
        throw error;
      }
      return service.view();
    },
  );
}
