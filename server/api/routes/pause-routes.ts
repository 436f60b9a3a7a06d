/** Pause blocking for everyone or for one device, for a duration; resume early with duration null. */
import type { App, RouteContext } from '../context.js';
import { durationMs } from '../http/duration.js';
import { badRequest, unavailable } from '../http/errors.js';
import { GLOBAL_PAUSE_KEY, devicePauses, globalPauseUntil, syncPauses } from '../../filter/policy-sync.js';
import { ErrorResponse } from '../schemas/common.js';
import { PauseBody, PauseState } from '../schemas/pause.js';

/** Sets or clears one device's pause through the device registry, then tells the policy. */
export function pauseDevice(context: RouteContext, deviceId: number, duration: string | null): void {
  const devices = context.deps.devices;
  if (!devices) throw unavailable('the device registry');
  if (!devices.get(deviceId)) throw badRequest(`deviceId: there is no device ${deviceId}`);
  const until = duration ? context.now() + durationMs(duration) : null;
  devices.update(deviceId, { pausedUntil: until });
  syncPauses(context.deps.policy, context.settings, devices, context.now());
}

export function pauseRoutes(app: App, context: RouteContext): void {
  const state = () => {
    const now = context.now();
    return {
      globalUntil: globalPauseUntil(context.settings, now),
      devices: [...devicePauses(context.deps.devices, now)].map(([id, until]) => ({ id, until })),
    };
  };

  app.get('/api/pause', { schema: { tags: ['pause'], response: { 200: PauseState } } }, async () => state());

  app.post(
    '/api/pause',
    { schema: { tags: ['pause'], body: PauseBody, response: { 200: PauseState, 400: ErrorResponse } } },
    async (request) => {
      const { duration, deviceId } = request.body;
      if (deviceId !== undefined) {
        pauseDevice(context, deviceId, duration);
      } else {
        if (duration) context.settings.set(GLOBAL_PAUSE_KEY, context.now() + durationMs(duration));
        else context.settings.delete(GLOBAL_PAUSE_KEY);
        syncPauses(context.deps.policy, context.settings, context.deps.devices, context.now());
      }
      return state();
    },
  );
}
