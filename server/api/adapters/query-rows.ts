/** Log rows (ids and enums) → the API's QueryRow (words and names). */
import { QUERY_STATUS_NAMES, REASON_NAMES, type QueryStatus, type Reason } from '../../events/query-event.js';
import { qtypeName } from '../../metrics/qtype-names.js';
import type { RouteContext } from '../context.js';
import type { QueryRow } from '../schemas/queries.js';
import { nameKindName, type StatusName } from '../schemas/common.js';
import type { LogRow } from './analytics-view.js';
import type { NameResolver } from './names.js';
import { queryWhy, type RuleScope } from './query-why.js';

const PROTOCOLS: Record<number, string> = { 1: 'udp', 2: 'tcp', 3: 'doh', 4: 'dot' };

export class QueryRowMapper {
  private readonly listNames = new Map<number, string>();
  private readonly upstreams: string[];
  private readonly scheduleTitles = new Map<number, string>();
  /** Who each user rule is for, so `why` can say "your rule for this phone". */
  private readonly ruleScopes = new Map<number, RuleScope>();

  constructor(
    context: RouteContext,
    private readonly names: NameResolver,
  ) {
    for (const list of context.deps.lists?.list() ?? []) this.listNames.set(list.id, list.name);
    this.upstreams = context.deps.upstreams?.describe() ?? context.deps.config.dns.upstreams;
    for (const s of context.deps.schedules?.status().schedules ?? [])
      this.scheduleTitles.set(s.schedule.id, s.title);
    const profiles = new Map((context.deps.devices?.listGroups() ?? []).map((g) => [g.id, g.name]));
    for (const rule of context.rules.list()) {
      const profile = rule.groupId === null ? null : (profiles.get(rule.groupId) ?? `group ${rule.groupId}`);
      this.ruleScopes.set(rule.id, { deviceId: rule.deviceId, profile });
    }
  }

  map(row: LogRow): QueryRow {
    const reason = (REASON_NAMES[row.reason as Reason] ?? `reason-${row.reason}`) as string;
    const fromList =
      row.listId > 0 &&
      (reason === 'list' || reason === 'list-exception' || reason === 'catalog' || reason === 'cname');
    const fromRule = reason === 'local-deny' || reason === 'local-allow';
    const status = (QUERY_STATUS_NAMES[row.status as QueryStatus] ?? 'error') as StatusName;
    const list = fromList
      ? { id: row.listId, name: this.listNames.get(row.listId) ?? `list ${row.listId}`, line: row.ruleId }
      : null;
    const schedule =
      reason === 'schedule'
        ? (this.scheduleTitles.get(row.ruleId) ?? `a schedule that no longer exists (${row.ruleId})`)
        : undefined;
    const company = this.names.company(row.companyId);
    const category = this.names.category(row.categoryId)?.name ?? null;
    const device = this.names.device(row.deviceId);
    return {
      id: String(row.id),
      time: row.time,
      name: row.name,
      type: qtypeName(row.qtype),
      status,
      reason,
      why: queryWhy({
        status,
        reason,
        listName: list?.name ?? null,
        rule: fromRule ? this.ruleScopes.get(row.ruleId) : undefined,
        deviceId: device?.id ?? null,
        deviceType: device ? this.names.deviceType(device.id) : null,
        schedule,
        cnameTarget: row.cnameTarget || null,
        company: company?.name ?? null,
        category,
      }),
      list,
      ruleId: fromRule || reason === 'schedule' ? row.ruleId : null,
      ...(schedule !== undefined ? { schedule } : {}),
      cnameTarget: row.cnameTarget || null,
      device,
      client: row.client,
      company,
      kind: nameKindName(row.kind),
      category,
      app: this.names.app(row.appId)?.name ?? null,
      protocol: PROTOCOLS[row.protocol] ?? String(row.protocol),
      rcode: row.rcode,
      durationUs: row.durationUs,
      upstream:
        row.upstreamId > 0 ? (this.upstreams[row.upstreamId - 1] ?? `upstream ${row.upstreamId}`) : null,
    };
  }
}
