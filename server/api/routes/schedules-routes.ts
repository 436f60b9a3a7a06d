/**
 * Schedules (block companies, apps or categories, or pause blocking, during set hours for a profile or a
 * device) and the household's time zone. Every change is saved, then the schedule timer recomputes what is
 * in force and hands it to the policy engine (the next DNS question sees it).
 */
import type { Schedule } from '../../filter/schedule-types.js';
import type { SchedulesStatus } from '../../schedules/schedule-runner.js';
import { isValidTimeZone } from '../../schedules/wall-clock.js';
import { type AppCatalog, loadAppCatalog } from '../../trackers/apps/app-catalog.js';
import { ScheduleError, ScheduleNotFoundError } from '../../store/repos/schedules-repo.js';
import type { App, RouteContext } from '../context.js';
import { badRequest, notFound, unavailable } from '../http/errors.js';
import { ErrorResponse, IdParams, Ok } from '../schemas/common.js';
import {
  ScheduleBody,
  ScheduleList,
  SchedulePatch,
  ScheduleTargetList,
  type ScheduleView,
  ScheduleView as ScheduleViewSchema,
  TimeZoneBody,
  TimeZoneState,
} from '../schemas/schedules.js';

/** One schedule as the API shows it, with what it does now. */
export function scheduleViews(
  status: SchedulesStatus,
  keep: (s: Schedule) => boolean = () => true,
): ScheduleView[] {
  return status.schedules
    .filter((s) => keep(s.schedule))
    .map((s) => ({
      ...s.schedule,
      label: s.label,
      blocks: s.blocks,
      active: s.active,
      until: s.until,
      nextStart: s.nextStart,
      unknown: s.unknown,
    }));
}

export function nextChange(status: SchedulesStatus, keep: (s: Schedule) => boolean = () => true) {
  let next: { at: number; scheduleId: number; change: 'starts' | 'ends'; label: string } | null = null;
  for (const s of status.schedules) {
    if (!keep(s.schedule) || !s.schedule.enabled) continue;
    if (s.until !== null && (next === null || s.until < next.at))
      next = { at: s.until, scheduleId: s.schedule.id, change: 'ends', label: s.label };
    if (s.nextStart !== null && (next === null || s.nextStart < next.at))
      next = { at: s.nextStart, scheduleId: s.schedule.id, change: 'starts', label: s.label };
  }
  return next;
}

function scheduleError(error: unknown): never {
  if (error instanceof ScheduleError) throw badRequest(error.problems.map((p) => `body.${p}`).join('; '));
  if (error instanceof ScheduleNotFoundError) throw notFound(error.message);
  throw error;
}

export function schedulesRoutes(app: App, context: RouteContext): void {
  const repo = context.deps.repos.schedules;
  let appCatalog: AppCatalog | undefined;
  const runner = () => {
    if (!context.deps.schedules) throw unavailable('the schedule timer');
    return context.deps.schedules;
  };
  const viewOf = (id: number): ScheduleView => {
    const view = scheduleViews(runner().refresh(), (s) => s.id === id)[0];
    if (view === undefined) throw notFound(`there is no schedule ${id}`);
    return view;
  };

  app.get(
    '/api/schedules',
    { schema: { tags: ['schedules'], response: { 200: ScheduleList, 503: ErrorResponse } } },
    async () => {
      const status = runner().status();
      return {
        timeZone: status.timeZone,
        timeZoneIsServer: status.timeZoneIsServer,
        now: status.now,
        next: nextChange(status),
        items: scheduleViews(status),
      };
    },
  );

  app.get(
    '/api/schedules/targets',
    { schema: { tags: ['schedules'], response: { 200: ScheduleTargetList } } },
    async () => {
      const catalog = context.deps.catalog;
      const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);
      let apps: Array<{ key: string; name: string }> = [];
      try {
        appCatalog ??= loadAppCatalog();
        apps = appCatalog.apps.map((a) => ({ key: a.key, name: a.name }));
      } catch {
        // A broken app catalog is reported by app inference; companies and categories still work.
      }
      return {
        // The curated companies people know; the thousands of the AdGuard database stay out of the pickers.
        companies: (catalog?.companies ?? [])
          .filter((c) => c.origin === 'catalog')
          .map((c) => ({ key: c.key, name: c.name }))
          .sort(byName),
        apps: apps.sort(byName),
        categories: (catalog?.categories ?? []).map((c) => ({ key: c.key, name: c.name })).sort(byName),
      };
    },
  );

  app.post(
    '/api/schedules',
    {
      schema: {
        tags: ['schedules'],
        body: ScheduleBody,
        response: { 201: ScheduleViewSchema, 400: ErrorResponse, 503: ErrorResponse },
      },
    },
    async (request, reply) => {
      runner();
      const body = request.body;
      let created: Schedule;
      try {
        created = repo.create(
          {
            name: body.name,
            groupId: body.groupId ?? null,
            deviceId: body.deviceId ?? null,
            days: body.days,
            start: body.start,
            end: body.end,
            action: body.action,
            companies: body.companies ?? [],
            apps: body.apps ?? [],
            categories: body.categories ?? [],
            enabled: body.enabled ?? true,
          },
          context.now(),
        );
      } catch (error) {
        scheduleError(error);
      }
      return reply.status(201).send(viewOf(created.id));
    },
  );

  app.patch(
    '/api/schedules/:id',
    {
      schema: {
        tags: ['schedules'],
        params: IdParams,
        body: SchedulePatch,
        response: { 200: ScheduleViewSchema, 400: ErrorResponse, 404: ErrorResponse, 503: ErrorResponse },
      },
    },
    async (request) => {
      runner();
      try {
        repo.update(request.params.id, request.body);
      } catch (error) {
        scheduleError(error);
      }
      return viewOf(request.params.id);
    },
  );

  app.delete(
    '/api/schedules/:id',
    {
      schema: {
        tags: ['schedules'],
        params: IdParams,
        response: { 200: Ok, 404: ErrorResponse, 503: ErrorResponse },
      },
    },
    async (request) => {
      try {
        repo.delete(request.params.id);
      } catch (error) {
        scheduleError(error);
      }
      runner().refresh();
      return { ok: true as const };
    },
  );

  app.put(
    '/api/schedules/time-zone',
    {
      schema: {
        tags: ['schedules'],
        body: TimeZoneBody,
        response: { 200: TimeZoneState, 400: ErrorResponse, 503: ErrorResponse },
      },
    },
    async (request) => {
      const { timeZone } = request.body;
      if (timeZone !== null && !isValidTimeZone(timeZone))
        throw badRequest(
          `body.timeZone: "${timeZone}" is not a time zone name such as Europe/Berlin or America/New_York`,
        );
      repo.setTimeZone(timeZone);
      const status = runner().refresh();
      return { timeZone: status.timeZone, timeZoneIsServer: status.timeZoneIsServer };
    },
  );
}
