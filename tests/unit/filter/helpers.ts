/** Small builders shared by the filter unit tests. */
import { buildMatcher } from '../../../server/filter/matcher.js';
import type { ListInput } from '../../../server/filter/matcher.js';
import { parseList } from '../../../server/filter/parse.js';
import type { ListFormat, ParsedList } from '../../../server/filter/parse.js';
import { PolicyEngine } from '../../../server/filter/policy-engine.js';
import type { PolicyEngineOptions } from '../../../server/filter/policy-engine.js';
import { emptyVerdict } from '../../../server/filter/verdict.js';
import type { Verdict } from '../../../server/filter/verdict.js';

export function parse(text: string, format: ListFormat | 'auto' = 'auto', listId = 1): ParsedList {
  return parseList(text, { listId, format });
}

export function listInput(
  id: number,
  text: string,
  format: ListFormat | 'auto' = 'auto',
  extra: Partial<Omit<ListInput, 'parsed' | 'id'>> = {},
): ListInput {
  return { id, name: `list ${id}`, kind: 'block', parsed: parse(text, format, id), ...extra };
}

export function engineWith(lists: ListInput[], options: PolicyEngineOptions = {}): PolicyEngine {
  const engine = new PolicyEngine(options);
  engine.setLists(buildMatcher(lists));
  return engine;
}

/** One list, one engine: the quickest way to ask "does this text block that name?" */
export function engineFor(text: string, format: ListFormat | 'auto' = 'auto'): PolicyEngine {
  return engineWith([listInput(1, text, format)]);
}

export function decide(engine: PolicyEngine, name: string, qtype = 1, deviceId = 0): Verdict {
  const out = emptyVerdict();
  engine.decide(name, qtype, deviceId, out);
  return out;
}
