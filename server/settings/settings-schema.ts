/**
 * The settings the dashboard edits: the one list of which config keys they are (everything else belongs to
 * the config file and the environment, which the machine's owner controls). Each is built from its entry
 * in the config key table (config/schema.ts): its type, its choices and its range are the table's, never
 * written again here; only the list sizes are the dashboard's own (how much one form may send). A saved
 * value is kept in tracksink.db and wins over the config file from then on. The API's request and response
 * schemas (api/schemas/settings.ts) are built on it.
 */
import { Type, type Static } from 'typebox';
import { schema } from '../config/schema.js';
import type { BooleanKey, IntegerKey, ListKey, StringKey } from '../config/types.js';

/** A whole number with the key's range. */
function integer(spec: IntegerKey) {
  return Type.Integer({
    ...(spec.min !== undefined ? { minimum: spec.min } : {}),
    ...(spec.max !== undefined ? { maximum: spec.max } : {}),
  });
}

/** One of the key's choices. */
function choice<const Choices extends string[]>(spec: StringKey & { oneOf: readonly [...Choices] }) {
  return Type.Enum(spec.oneOf);
}

function flag(_spec: BooleanKey) {
  return Type.Boolean();
}

/** A list of text values; the key's own checks (addresses, URLs) run in the loader on every change. */
function list(_spec: ListKey, sizes: { minItems?: number; maxItems: number }) {
  return Type.Array(Type.String(), sizes);
}

const { dns, log, lists } = schema;

export const Settings = Type.Object({
  dns: Type.Object({
    // At least one: the key's own check says so in words; the form cannot send none.
    upstreams: list(dns.upstreams, { minItems: 1, maxItems: 16 }),
    strategy: choice(dns.strategy),
    upstreamTimeoutMs: integer(dns.upstreamTimeoutMs),
    blocking: Type.Object({
      mode: choice(dns.blocking.mode),
      ttl: integer(dns.blocking.ttl),
      ipv4: list(dns.blocking.ipv4, { maxItems: 16 }),
      ipv6: list(dns.blocking.ipv6, { maxItems: 16 }),
    }),
    access: Type.Object({
      allow: list(dns.access.allow, { maxItems: 256 }),
      deny: list(dns.access.deny, { maxItems: 256 }),
    }),
    canaries: Type.Object({
      firefoxDoh: flag(dns.canaries.firefoxDoh),
      icloudPrivateRelay: flag(dns.canaries.icloudPrivateRelay),
    }),
    blockPublicResolvers: flag(dns.blockPublicResolvers),
    rebindingProtection: flag(dns.rebindingProtection),
  }),
  log: Type.Object({
    queries: choice(log.queries),
    anonymizeClients: flag(log.anonymizeClients),
    retentionDays: integer(log.retentionDays),
    rollupRetentionDays: integer(log.rollupRetentionDays),
  }),
  lists: Type.Object({ refreshHours: integer(lists.refreshHours) }),
});
export type Settings = Static<typeof Settings>;
