/**
 * Keeps the policy of every DNS worker thread equal to the main thread's. The main thread's PolicyEngine
 * stays the one every module (lists, rules, schedules, devices, the API) changes; PolicyFeed wraps its
 * setters so each change, after it succeeded there, is also sent as a message to every worker, which
 * applies the same call to its own PolicyEngine (applyPolicyCall). A worker that starts later gets the
 * latest call of each setter (snapshot()). decide() stays synchronous and local in every thread.
 *
 * Two values are not plain data and travel in a portable form: the list matcher as the inputs it was built
 * from plus its hash table, copied once onto SharedArrayBuffers, so every worker reads the main thread's
 * one build (it only compiles the few slow rules; the parsed lists' own arrays are copied to each), and the
 * catalog attribution as its typed-array columns (trackers/catalog.ts). The main thread's own table stays
 * on ordinary ArrayBuffers: with one DNS thread nothing changes.
 */
import type { ListInput, ListMatcher, MatcherTable } from '../../filter/matcher.js';
import { buildMatcher } from '../../filter/matcher.js';
import type { PolicyEngine } from '../../filter/policy-engine.js';
import type { Attribution } from '../../trackers/attribution.js';
import { noAttribution } from '../../trackers/attribution.js';
import { type PortableAttribution, attributionFromPortable } from '../../trackers/catalog.js';

/** The PolicyEngine setters a worker mirrors (everything decide() reads). */
const MIRRORED = [
  'setAttribution',
  'setLists',
  'setCatalogBlocking',
  'setUserRules',
  'setCompanyPolicies',
  'setDeviceGroups',
  'setGroupCompanyPolicies',
  'setSchedules',
  'setDeviceIdentities',
  'addDeviceAddress',
  'setPauses',
] as const satisfies ReadonlyArray<keyof PolicyEngine>;

export type MirroredMethod = (typeof MIRRORED)[number];

/** One setter call as it crosses to a worker (structured-cloneable arguments). */
export interface PolicyCall {
  method: MirroredMethod;
  args: unknown[];
}

type Setter = (...args: unknown[]) => unknown;

export class PolicyFeed {
  /** The last call of each setter, in first-call order; addDeviceAddress calls since the last identities. */
  private readonly latest = new Map<MirroredMethod, PolicyCall>();
  private addresses: PolicyCall[] = [];
  private readonly listeners = new Set<(call: PolicyCall) => void>();
  /** Set when a matcher without its inputs was installed: workers cannot rebuild it (tests' hand-made ones). */
  unportable: string | null = null;

  /** `attribution`: the one the engine was constructed with (constructor options are not setters). */
  constructor(engine: PolicyEngine, attribution: Attribution) {
    this.remember({ method: 'setAttribution', args: [portableAttribution(attribution)] });
    const target = engine as unknown as Record<MirroredMethod, Setter>;
    for (const method of MIRRORED) {
      const original = target[method].bind(engine);
      target[method] = (...args: unknown[]): unknown => {
        const result = original(...args); // throws (and publishes nothing) when the engine refuses it
        this.publish({ method, args: this.portable(method, args) });
        return result;
      };
    }
  }

  /** Calls a new worker replays to reach the engine's current state. */
  snapshot(): PolicyCall[] {
    return [...this.latest.values(), ...this.addresses];
  }

  /** Every later change; returns the unsubscribe function. */
  subscribe(listener: (call: PolicyCall) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private publish(call: PolicyCall): void {
    this.remember(call);
    for (const listener of this.listeners) listener(call);
  }

  private remember(call: PolicyCall): void {
    if (call.method === 'addDeviceAddress') {
      this.addresses.push(call);
      return;
    }
    if (call.method === 'setDeviceIdentities') this.addresses = [];
    this.latest.delete(call.method); // re-inserted last: replay keeps the order of the latest changes
    this.latest.set(call.method, call);
  }

  private portable(method: MirroredMethod, args: unknown[]): unknown[] {
    if (method === 'setAttribution') return [portableAttribution(args[0] as Attribution)];
    if (method !== 'setLists') return args;
    const matcher = args[0] as ListMatcher;
    if (matcher.inputs === undefined) {
      this.unportable = 'the list matcher has no inputs to rebuild it from in DNS workers';
      return [[]];
    }
    this.unportable = null;
    return [matcher.inputs, matcher.table === undefined ? null : sharedTable(matcher.table)];
  }
}

/** The table on SharedArrayBuffers: posted to a worker, it is the same memory there, not a copy. */
function sharedTable(table: MatcherTable): MatcherTable {
  const slots = new Int32Array(new SharedArrayBuffer(table.slots.byteLength));
  slots.set(table.slots);
  return { ...table, slots };
}

function portableAttribution(attribution: Attribution): PortableAttribution | null {
  return (attribution as Attribution & { portable?: PortableAttribution }).portable ?? null;
}

/** Worker side: applies one call to the worker's own engine. */
export function applyPolicyCall(engine: PolicyEngine, call: PolicyCall): void {
  switch (call.method) {
    case 'setLists':
      engine.setLists(
        buildMatcher(call.args[0] as ListInput[], (call.args[1] as MatcherTable | null) ?? undefined),
      );
      return;
    case 'setAttribution': {
      const columns = call.args[0] as PortableAttribution | null;
      engine.setAttribution(columns === null ? noAttribution : attributionFromPortable(columns));
      return;
    }
    default:
      (engine[call.method] as Setter).apply(engine, call.args);
  }
}
