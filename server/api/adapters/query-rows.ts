/** Log rows (ids and enums) → the API's QueryRow (words and names). */
import { QUERY_STATUS_NAMES, REASON_NAMES, type QueryStatus, type Reason } from '../../events/query-event.js';
import { qtypeName } from '../../metrics/qtype-names.js';
import type { RouteContext } from '../context.js';
import type { QueryRow } from '../schemas/queries.js';
import { nameKindName, type StatusName } from '../schemas/common.js';
import type { LogRow } from './analytics-view.js';
import type { NameResolver } from './names.js';

const PROTOCOLS: Record<number, string> = { 1: 'udp', 2: 'tcp', 3: 'doh', 4: 'dot' };

export class QueryRowMapper {
  private readonly listNames = new Map<number, string>();
  private readonly upstreams: string[];
  private readonly scheduleTitles = new Map<number, string>();

  constructor(
    context: RouteContext,
    private readonly names: NameResolver,
  ) {
    for (const list of context.deps.lists?.list() ?? []) this.listNames.set(list.id, list.name);
    this.upstreams = context.deps.upstreams?.describe() ?? context.deps.config.dns.upstreams;
    for (const s of context.deps.schedules?.status().schedules ?? [])
      this.scheduleTitles.set(s.schedule.id, s.title);
  }

  map(row: LogRow): QueryRow {
    const reason = (REASON_NAMES[row.reason as Reason] ?? `reason-${row.reason}`) as string;
    const fromList =
      row.listId > 0 &&
      (reason === 'list' || reason === 'list-exception' || reason === 'catalog' || reason === 'cname');
    const fromRule = reason === 'local-deny' || reason === 'local-allow';
    return {
      id: String(row.id),
      time: row.time,
      name: row.name,
      type: qtypeName(row.qtype),
      status: (QUERY_STATUS_NAMES[row.status as QueryStatus] ?? 'error') as StatusName,
      reason,
      list: fromList
        ? { id: row.listId, name: this.listNames.get(row.listId) ?? `list ${row.listId}`, line: row.ruleId }
        : null,
      ruleId: fromRule || reason === 'schedule' ? row.ruleId : null,
      ...(reason === 'schedule'
        ? {
            schedule:
              this.scheduleTitles.get(row.ruleId) ?? `a schedule that no longer exists (${row.ruleId})`,
          }
        : {}),
      cnameTarget: row.cnameTarget || null,
      device: this.names.device(row.deviceId),
      client: row.client,
      company: this.names.company(row.companyId),
      kind: nameKindName(row.kind),
      category: this.names.category(row.categoryId)?.name ?? null,
      app: this.names.app(row.appId)?.name ?? null,
      protocol: PROTOCOLS[row.protocol] ?? String(row.protocol),
      rcode: row.rcode,
      durationUs: row.durationUs,
      upstream:
        row.upstreamId > 0 ? (this.upstreams[row.upstreamId - 1] ?? `upstream ${row.upstreamId}`) : null,
    };
  }
}
