/**
 * The shapes of the configuration: the `Config` object every module receives, and `KeySpec`, one leaf of
 * the key table in schema.ts (type, default, limits, environment variable, why, and an example for
 * messages). Kept apart from the table so modules that only need the types do not read the table.
 */

export type BlockingMode = 'null' | 'nxdomain' | 'nodata' | 'refused' | 'custom';
export type UpstreamStrategy = 'parallel' | 'failover';
export type QueryLogMode = 'all' | 'hide-names' | 'none';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface Config {
  dns: {
    bind: string;
    port: number;
    udpPayloadSize: number;
    tcpIdleTimeoutMs: number;
    tcpMaxConnections: number;
    tcpMaxConnectionsPerClient: number;
    blocking: {
      mode: BlockingMode;
      ttl: number;
      ipv4: string[];
      ipv6: string[];
    };
    upstreams: string[];
    strategy: UpstreamStrategy;
    upstreamTimeoutMs: number;
    bootstrap: string[];
    cache: {
      maxEntries: number;
      minTtl: number;
      maxTtl: number;
      negativeTtl: number;
      serveStale: boolean;
      prefetch: boolean;
    };
    access: {
      allow: string[];
      deny: string[];
    };
    rateLimit: {
      publicPerSecond: number;
      privatePerSecond: number;
    };
    local: Record<string, string>;
    rebindingProtection: boolean;
    canaries: {
      firefoxDoh: boolean;
      icloudPrivateRelay: boolean;
    };
    blockPublicResolvers: boolean;
  };
  http: {
    bind: string;
    port: number;
    password: string;
    allowedHosts: string[];
    sessionIdleHours: number;
    sessionDays: number;
  };
  dataDir: string;
  lists: {
    refreshHours: number;
    extra: string[];
    defaults: boolean;
    fileDir: string;
    allowPrivateUrls: boolean;
  };
  log: {
    level: LogLevel;
    queries: QueryLogMode;
    anonymizeClients: boolean;
    retentionDays: number;
    rollupRetentionDays: number;
  };
  devices: {
    leasesFile: string;
    reverseDnsServer: string;
  };
  tls: {
    enabled: boolean;
    serverName: string;
    dotPort: number;
    httpsPort: number;
    certFile: string;
    keyFile: string;
    acme: {
      email: string;
      directoryUrl: string;
    };
  };
}

export type Kind = 'string' | 'integer' | 'boolean' | 'string[]' | 'map';

/** One leaf of the schema. */
export interface KeySpec {
  kind: Kind;
  default: unknown;
  why: string;
  /** Allowed values for strings. */
  oneOf?: readonly string[];
  min?: number;
  max?: number;
  /** The environment variable that overrides this key (comma lists for string[]). */
  env?: string;
  /**
   * A value to show in messages ("Write … like <example>") when the default does not illustrate the key
   * (an empty list, an empty string).
   */
  example?: string;
  /** Check of the whole value; returns what is wrong and what to write instead, or null. */
  check?: (value: unknown) => string | null;
  /** Check of each item of a list, or each value of a map; same contract as `check`. */
  itemCheck?: (item: string) => string | null;
}

export type SchemaNode = { [key: string]: KeySpec | SchemaNode };

export function isKeySpec(node: KeySpec | SchemaNode): node is KeySpec {
  return typeof (node as KeySpec).kind === 'string' && 'why' in node;
}
