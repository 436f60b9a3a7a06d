/**
 * Blocklist subscriptions: list, add by URL or path, enable/disable/rename, remove, and refresh with
 * progress. A refresh runs in the background as a job the page polls (GET /api/lists/refresh/:job).
 */
import { randomBytes } from 'node:crypto';
import { ListError, type RefreshProgress as ManagerProgress } from '../../lists/list-manager.js';
import { toList } from '../adapters/lists-adapter.js';
import type { App, RouteContext } from '../context.js';
import { HttpError, badRequest, notFound, unavailable } from '../http/errors.js';
import { ErrorResponse, IdParams, Ok } from '../schemas/common.js';
import {
  List,
  ListCreateBody,
  ListList,
  ListUpdateBody,
  RefreshJob,
  RefreshJobParams,
  type RefreshJob as Job,
} from '../schemas/lists.js';

const KEEP_JOBS = 20;

function listError(error: unknown): never {
  if (error instanceof ListError) {
    if (error.code === 'not-found') throw notFound(error.message);
    if (error.code === 'conflict') throw new HttpError(409, 'conflict', error.message);
    throw badRequest(error.message);
  }
  if (error instanceof Error && error.name === 'ListSourceError')
    throw badRequest(`source: ${error.message}`);
  throw error;
}

export function listsRoutes(app: App, context: RouteContext): void {
  const jobs = new Map<string, Job>();
  const refreshing = new Set<number>();
  const manager = () => {
    if (!context.deps.lists) throw unavailable('the list manager');
    return context.deps.lists;
  };

  const startJob = (listId: number | undefined): Job => {
    const lists = manager();
    const targets = listId === undefined ? lists.list().filter((l) => l.enabled) : [lists.get(listId)];
    if (targets.some((target) => target === undefined)) throw notFound(`there is no list ${listId}`);
    const job: Job = {
      job: randomBytes(9).toString('base64url'),
      state: 'running',
      startedAt: context.now(),
      finishedAt: null,
      lists: targets.map((target) => ({
        listId: target!.id,
        phase: 'waiting' as const,
        bytes: 0,
        entries: 0,
        error: null,
      })),
      error: null,
    };
    jobs.set(job.job, job);
    while (jobs.size > KEEP_JOBS) jobs.delete(jobs.keys().next().value as string);
    const entry = (id: number) => job.lists.find((item) => item.listId === id);
    for (const item of job.lists) refreshing.add(item.listId);
    const onProgress = (progress: ManagerProgress) => {
      const item = entry(progress.listId);
      if (!item) return;
      if (progress.phase === 'bytes') {
        item.phase = 'downloading';
        item.bytes = progress.bytes;
      } else {
        item.phase = 'parsing';
        item.entries = progress.entries;
      }
    };
    lists
      .refresh(listId, onProgress)
      .then((summaries) => {
        for (const summary of summaries) {
          const item = entry(summary.listId);
          if (!item) continue;
          item.phase = summary.status === 'failed' ? 'failed' : 'done';
          item.entries = summary.entries;
          item.bytes = summary.bytes || item.bytes;
          item.error = summary.error;
        }
        job.state = job.lists.some((item) => item.phase === 'failed') ? 'failed' : 'done';
      })
      .catch((error: unknown) => {
        job.state = 'failed';
        job.error = (error as Error).message;
      })
      .finally(() => {
        job.finishedAt = context.now();
        for (const item of job.lists) refreshing.delete(item.listId);
      });
    return job;
  };

  app.get('/api/lists', { schema: { tags: ['lists'], response: { 200: ListList } } }, async () => {
    const lists = manager();
    return { items: lists.list().map((row) => toList(row, refreshing)), totalEntries: lists.stats().entries };
  });

  app.post(
    '/api/lists',
    {
      schema: {
        tags: ['lists'],
        body: ListCreateBody,
        response: { 201: List, 400: ErrorResponse, 409: ErrorResponse },
      },
    },
    async (request, reply) => {
      try {
        const { list } = await manager().add(request.body);
        return reply.status(201).send(toList(manager().get(list.id) ?? list, refreshing));
      } catch (error) {
        listError(error);
      }
    },
  );

  app.patch(
    '/api/lists/:id',
    {
      schema: {
        tags: ['lists'],
        params: IdParams,
        body: ListUpdateBody,
        response: { 200: List, 400: ErrorResponse, 404: ErrorResponse },
      },
    },
    async (request) => {
      try {
        return toList(await manager().update(request.params.id, request.body), refreshing);
      } catch (error) {
        listError(error);
      }
    },
  );

  app.delete(
    '/api/lists/:id',
    {
      schema: {
        tags: ['lists'],
        params: IdParams,
        response: { 200: Ok, 400: ErrorResponse, 404: ErrorResponse },
      },
    },
    async (request) => {
      try {
        await manager().remove(request.params.id);
        return { ok: true as const };
      } catch (error) {
        listError(error);
      }
    },
  );

  app.post(
    '/api/lists/refresh',
    { schema: { tags: ['lists'], response: { 202: RefreshJob } } },
    async (_r, reply) => reply.status(202).send(startJob(undefined)),
  );

  app.post(
    '/api/lists/:id/refresh',
    { schema: { tags: ['lists'], params: IdParams, response: { 202: RefreshJob, 404: ErrorResponse } } },
    async (request, reply) => reply.status(202).send(startJob(request.params.id)),
  );

  app.get(
    '/api/lists/refresh/:job',
    {
      schema: {
        tags: ['lists'],
        params: RefreshJobParams,
        response: { 200: RefreshJob, 404: ErrorResponse },
      },
    },
    async (request) => {
      const job = jobs.get(request.params.job);
      if (!job)
        throw notFound(`there is no refresh job ${request.params.job} (finished jobs are kept for a while)`);
      return job;
    },
  );
}
