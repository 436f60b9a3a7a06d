/**
 * Access stage: who may query. Local networks (loopback, private, link-local, ULA) plus
 * config.dns.access.allow, minus config.dns.access.deny; everyone else is refused so tracksink is never an
 * open resolver. Decisions are memoized per address so the hot path is one Map lookup.
 */
import type { BlockList } from 'node:net';
import type { Config } from '../../config/schema.js';
import { blockListOf, inList, isLocalAddress } from './address-ranges.js';

/** Memo bound: past this many distinct addresses the memo starts over (a spoofed-source flood). */
const MEMO_LIMIT = 65_536;

export class AccessControl {
  private readonly allow: BlockList;
  private readonly deny: BlockList;
  private readonly memo = new Map<string, boolean>();

  constructor(access: Config['dns']['access']) {
    this.allow = blockListOf(access.allow, 'dns.access.allow');
    this.deny = blockListOf(access.deny, 'dns.access.deny');
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
