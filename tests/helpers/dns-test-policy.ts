/** A small Policy for the DNS engine's tests: blocks names in a set (and their subdomains), allows others listed. */
import { Reason } from '../../server/events/query-event.js';
import { type Policy, type Verdict, VerdictAction } from '../../server/filter/verdict.js';

export class SetPolicy implements Policy {
  readonly blocked = new Set<string>();
  readonly allowed = new Set<string>();
  /** Every name decided, in order (including CNAME targets the pipeline checks). */
  readonly asked: string[] = [];

  constructor(blocked: Iterable<string> = [], allowed: Iterable<string> = []) {
    for (const n of blocked) this.blocked.add(n);
    for (const n of allowed) this.allowed.add(n);
  }

  private matches(set: Set<string>, name: string): boolean {
    let n = name;
    while (true) {
      if (set.has(n)) return true;
      const dot = n.indexOf('.');
      if (dot < 0) return false;
      n = n.slice(dot + 1);
    }
  }

  decide(name: string, _qtype: number, _deviceId: number, out: Verdict): void {
    this.asked.push(name);
    out.listId = 0;
    out.ruleId = 0;
    out.companyId = 0;
    out.categoryId = 0;
    out.appId = 0;
    if (this.matches(this.allowed, name)) {
      out.action = VerdictAction.allow;
      out.reason = Reason.localAllow;
      out.ruleId = 7;
    } else if (this.matches(this.blocked, name)) {
      out.action = VerdictAction.block;
      out.reason = Reason.list;
      out.listId = 3;
      out.ruleId = 42;
      out.companyId = 9;
    } else {
      out.action = VerdictAction.none;
      out.reason = Reason.none;
    }
  }
}
