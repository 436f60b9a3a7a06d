/**
 * Access stage: who may query. Local networks (loopback, private, link-local, ULA) plus
 * config.dns.access.allow, minus config.dns.access.deny; everyone else is refused so tracksink is never an
 * open resolver. Decisions are memoized per address so the hot path is one Map lookup.
 *
 * A refused client gets REFUSED with EDE "Prohibited" (or nothing at all when the message is not a
 * readable query: never reflect); its network is counted in RefusedNetworks for the dashboard. A device
 * the transport already knows by its ClientID (encrypted DNS) is allowed from any address: away from home.
 */
import type { BlockList } from 'node:net';
import type { Config } from '../../config/schema.js';
import { QueryStatus, Reason } from '../../events/query-event.js';
import { EdeCode, Rcode } from '../../dns-codec/constants.js';
import { DecodeStatus } from '../../dns-codec/decode-query.js';
import { blockListOf, inList, isLocalAddress } from './address-ranges.js';
import { RefusedNetworks } from './refused-networks.js';
import { NEXT, type QueryContext, type Stage, type StageResult } from './stage.js';

/** Memo bound: past this many distinct addresses the memo starts over (a spoofed-source flood). */
const MEMO_LIMIT = 65_536;

export class AccessControl implements Stage {
  private readonly allow: BlockList;
  private readonly deny: BlockList;
  private readonly memo = new Map<string, boolean>();

  constructor(
    access: Config['dns']['access'],
    private readonly refused = new RefusedNetworks(),
  ) {
    this.allow = blockListOf(access.allow, 'dns.access.allow');
    this.deny = blockListOf(access.deny, 'dns.access.deny');
  }

  run(t: QueryContext): StageResult {
    if (t.knownDeviceId >= 0 || this.isAllowed(t.ev.clientAddress)) return NEXT;
    this.refused.note(t.ev.clientAddress, t.nowMs);
    const status = t.q.status;
    if (status === DecodeStatus.shortHeader || status === DecodeStatus.response) {
      return t.finish(null, QueryStatus.dropped, Reason.accessDenied, -1);
    }
    const answer =
      status === DecodeStatus.ok
        ? t.withRcode(Rcode.REFUSED, EdeCode.prohibited)
        : t.headerOnly(Rcode.REFUSED);
    return t.finish(answer, QueryStatus.refused, Reason.accessDenied, Rcode.REFUSED);
  }

  isAllowed(address: string): boolean {
    const known = this.memo.get(address);
    if (known !== undefined) return known;
    const allowed = (isLocalAddress(address) || inList(this.allow, address)) && !inList(this.deny, address);
    if (this.memo.size >= MEMO_LIMIT) this.memo.clear();
    this.memo.set(address, allowed);
    return allowed;
  }
}
