/** GET /api/local-records: the names answered by tracksink itself, where each answer comes from. */
import { describeRewrite } from '../../filter/rewrite.js';
import type { App, RouteContext } from '../context.js';
import { unavailable } from '../http/errors.js';
import { ErrorResponse } from '../schemas/common.js';
import { LocalRecordList, type LocalRecord } from '../schemas/local-records.js';

/** More than a dashboard table can show; a list of thousands of hosts lines is summed up elsewhere. */
const MAX_ITEMS = 5000;

export function localRecordsRoutes(app: App, context: RouteContext): void {
  app.get(
    '/api/local-records',
    { schema: { tags: ['lists'], response: { 200: LocalRecordList, 503: ErrorResponse } } },
    async () => {
      const policy = context.deps.policy;
      if (!policy) throw unavailable('the filter (policy engine)');
      const listNames = new Map((context.deps.lists?.list() ?? []).map((list) => [list.id, list.name]));
      const fromSettings: LocalRecord[] = Object.entries(context.deps.config.dns.local).map(
        ([name, value]) => ({ name, answer: value, source: 'settings', list: null, exception: false }),
      );
      const fromLists: LocalRecord[] = policy.lists.localRecords().map((record) => ({
        name: record.name,
        answer: record.exception
          ? `exception: ${describeRewrite(record.rewrite)}`
          : describeRewrite(record.rewrite),
        source: 'list',
        list: {
          id: record.listId,
          name: listNames.get(record.listId) ?? `list ${record.listId}`,
          line: record.line,
        },
        exception: record.exception,
      }));
      return { items: [...fromSettings, ...fromLists].slice(0, MAX_ITEMS) };
    },
  );
}
