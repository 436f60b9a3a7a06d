/** The names tracksink answers itself: settings (`dns.local`) and list rules with their own answer. */
import { Type, type Static } from 'typebox';
import { Nullable } from './common.js';

export const LocalRecord = Type.Object({
  /** The name as written (a domain, or a list rule's pattern). */
  name: Type.String({ description: 'Untrusted text from a list' }),
  /** What it answers, as people read it: "A 192.168.1.10", "CNAME nas.home", "NXDOMAIN". */
  answer: Type.String(),
  /** `settings`: dns.local in the configuration; `list`: a hosts line with an address or `$dnsrewrite`. */
  source: Type.Enum(['settings', 'list'] as const),
  list: Nullable(Type.Object({ id: Type.Integer(), name: Type.String(), line: Type.Integer() })),
  /** An `@@…$dnsrewrite` exception: it lifts rewrites rather than answering. */
  exception: Type.Boolean(),
});
export type LocalRecord = Static<typeof LocalRecord>;

export const LocalRecordList = Type.Object({ items: Type.Array(LocalRecord) });
export type LocalRecordList = Static<typeof LocalRecordList>;
