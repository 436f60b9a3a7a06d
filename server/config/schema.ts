/**
 * The configuration schema: every key, its type, its default and one line of why. This table is the
 * single source for validation (load.ts), for the TRACKSINK_* environment overrides and for the test
 * that keeps config/tracksink.example.yaml documenting every key.
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
  /** Extra check on the final value; returns a problem description or null. */
  check?: (value: unknown) => string | null;
}

export type SchemaNode = { [key: string]: KeySpec | SchemaNode };

export function isKeySpec(node: KeySpec | SchemaNode): node is KeySpec {
  return typeof (node as KeySpec).kind === 'string' && 'why' in node;
}

export const schema: SchemaNode = {
  dns: {
    bind: {
      kind: 'string',
      default: '0.0.0.0',
      env: 'TRACKSINK_BIND',
      why: 'Address DNS listens on; 0.0.0.0 answers the whole LAN (use "::" for IPv6 too).',
    },
    port: {
      kind: 'integer',
      default: 53,
      min: 0,
      max: 65535,
      env: 'TRACKSINK_DNS_PORT',
      why: 'Port 53 is where routers and devices send DNS; 0 picks a free port (tests).',
    },
    udpPayloadSize: {
      kind: 'integer',
      default: 1232,
      min: 512,
      max: 4096,
      why: 'EDNS UDP size we advertise; 1232 avoids IP fragmentation (DNS flag day 2020).',
    },
    tcpIdleTimeoutMs: {
      kind: 'integer',
      default: 10000,
      min: 100,
      max: 600000,
      why: 'Close a TCP connection with no query read or answer sent for this long (RFC 7766): a quiet, non-reading or byte-trickling client cannot hold a slot.',
    },
    tcpMaxConnections: {
      kind: 'integer',
      default: 1000,
      min: 1,
      max: 100000,
      why: 'Upper bound on open TCP connections in total.',
    },
    tcpMaxConnectionsPerClient: {
      kind: 'integer',
      default: 50,
      min: 1,
      max: 10000,
      why: 'One misbehaving device cannot use up every TCP slot.',
    },
    blocking: {
      mode: {
        kind: 'string',
        default: 'null',
        oneOf: ['null', 'nxdomain', 'nodata', 'refused', 'custom'],
        why: 'null answers 0.0.0.0/:: (apps fail fast, no retries); nxdomain/nodata/refused as named; custom uses ipv4/ipv6 below.',
      },
      ttl: {
        kind: 'integer',
        default: 60,
        min: 0,
        max: 86400,
        why: 'Short TTL for block answers so an allow-listed name works again within a minute.',
      },
      ipv4: {
        kind: 'string[]',
        default: [],
        why: 'Addresses answered for A queries in custom mode (e.g. a local block page).',
      },
      ipv6: { kind: 'string[]', default: [], why: 'Addresses answered for AAAA queries in custom mode.' },
    },
    upstreams: {
      kind: 'string[]',
      default: ['https://cloudflare-dns.com/dns-query', 'https://dns.quad9.net/dns-query'],
      env: 'TRACKSINK_UPSTREAMS',
      why: 'Encrypted by default so the ISP does not see every name; udp://, tcp://, https://…/dns-query and tls:// work.',
    },
    strategy: {
      kind: 'string',
      default: 'parallel',
      oneOf: ['parallel', 'failover'],
      why: 'parallel: ask all, first answer wins (fastest); failover: in order (most private).',
    },
    upstreamTimeoutMs: {
      kind: 'integer',
      default: 2000,
      min: 50,
      max: 30000,
      why: 'How long one upstream may take before the next is tried / the query fails.',
    },
    bootstrap: {
      kind: 'string[]',
      default: ['1.1.1.1', '9.9.9.9'],
      why: 'Plain-DNS servers used only to resolve the host names of DoH/DoT upstreams.',
    },
    cache: {
      maxEntries: {
        kind: 'integer',
        default: 20000,
        min: 0,
        max: 10000000,
        why: 'Bounded LRU cache; 20k answers cover a busy home and cost a few MB.',
      },
      minTtl: {
        kind: 'integer',
        default: 0,
        min: 0,
        max: 86400,
        why: 'Raise tiny TTLs to save upstream round trips (0 keeps upstream TTLs).',
      },
      maxTtl: {
        kind: 'integer',
        default: 86400,
        min: 0,
        max: 604800,
        why: 'Cap huge TTLs so changes upstream are seen within a day.',
      },
      negativeTtl: {
        kind: 'integer',
        default: 300,
        min: 0,
        max: 86400,
        why: 'Cap for NXDOMAIN/NODATA caching when the SOA says more (RFC 2308).',
      },
      serveStale: {
        kind: 'boolean',
        default: true,
        why: 'Answer from expired entries (TTL 30 s) when every upstream fails (RFC 8767).',
      },
      prefetch: {
        kind: 'boolean',
        default: true,
        why: 'Refresh popular names shortly before they expire so they never miss.',
      },
    },
    access: {
      allow: {
        kind: 'string[]',
        default: [],
        env: 'TRACKSINK_ALLOW_CLIENTS',
        why: 'Extra client CIDRs allowed to query; loopback, private, link-local and ULA ranges are always allowed (no open resolver).',
      },
      deny: { kind: 'string[]', default: [], why: 'Client CIDRs refused even inside allowed ranges.' },
    },
    rateLimit: {
      publicPerSecond: {
        kind: 'integer',
        default: 50,
        min: 0,
        max: 1000000,
        why: 'Queries per second per non-private client before dropping; 0 = unlimited.',
      },
      privatePerSecond: {
        kind: 'integer',
        default: 0,
        min: 0,
        max: 1000000,
        why: 'Same for LAN clients; off by default because a home TV can burst.',
      },
    },
    local: {
      kind: 'map',
      default: {},
      why: 'Local names answered from config, e.g. { "nas.home": "192.168.1.10" }.',
    },
    rebindingProtection: {
      kind: 'boolean',
      default: false,
      why: 'Block public names whose answers point into private ranges (DNS rebinding attacks).',
    },
    canaries: {
      firefoxDoh: {
        kind: 'boolean',
        default: true,
        why: 'NXDOMAIN for use-application-dns.net so Firefox keeps DNS on this network.',
      },
      icloudPrivateRelay: {
        kind: 'boolean',
        default: true,
        why: 'NXDOMAIN for mask.icloud.com so Apple devices do not bypass the sinkhole.',
      },
    },
    blockPublicResolvers: {
      kind: 'boolean',
      default: false,
      why: 'Block well-known public DoH/DoT resolver names so apps fall back to this DNS.',
    },
  },
  http: {
    bind: {
      kind: 'string',
      default: '0.0.0.0',
      env: 'TRACKSINK_HTTP_BIND',
      why: 'Address the dashboard listens on; 127.0.0.1 keeps it to this machine (or a local reverse proxy).',
    },
    port: {
      kind: 'integer',
      default: 8080,
      min: 0,
      max: 65535,
      env: 'TRACKSINK_HTTP_PORT',
      why: '8080 leaves port 80 to the router or a reverse proxy.',
    },
    password: {
      kind: 'string',
      default: '',
      env: 'TRACKSINK_PASSWORD',
      why: 'Dashboard password; empty = set it on the first-run setup page (with the printed setup code).',
    },
    allowedHosts: {
      kind: 'string[]',
      default: [],
      env: 'TRACKSINK_HTTP_ALLOWED_HOSTS',
      why: 'More names for the dashboard ("tracksink.home"; ".home" = any name under home; "*" = any); its host name and IP addresses always work, other names are refused (DNS rebinding).',
    },
    sessionIdleHours: {
      kind: 'integer',
      default: 24,
      min: 1,
      max: 8760,
      why: 'A login ends after this many hours without using the dashboard.',
    },
    sessionDays: {
      kind: 'integer',
      default: 7,
      min: 1,
      max: 365,
      why: 'A login ends this many days after it began, used or not.',
    },
  },
  dataDir: {
    kind: 'string',
    default: './data',
    env: 'TRACKSINK_DATA_DIR',
    why: 'Where tracksink.db (settings, rules), querylog.db and the list cache live.',
  },
  lists: {
    refreshHours: {
      kind: 'integer',
      default: 24,
      min: 1,
      max: 720,
      why: 'Lists change daily at most; refreshing more often only loads their servers.',
    },
    extra: {
      kind: 'string[]',
      default: [],
      env: 'TRACKSINK_BLOCKLISTS',
      why: 'Extra list URLs or file paths subscribed at start-up.',
    },
    defaults: {
      kind: 'boolean',
      default: true,
      why: 'Subscribe a new install to the built-in tracker catalog and StevenBlack unified hosts.',
    },
    fileDir: {
      kind: 'string',
      default: '',
      env: 'TRACKSINK_LISTS_FILE_DIR',
      why: 'Local list files added in the dashboard must be in this directory; empty = <dataDir>/lists-local (lists.extra may name any file).',
    },
    allowPrivateUrls: {
      kind: 'boolean',
      default: false,
      env: 'TRACKSINK_LISTS_ALLOW_PRIVATE_URLS',
      why: 'Allow list URLs on loopback, private or link-local addresses (a LAN list server); off so a list cannot probe the home network.',
    },
  },
  log: {
    level: {
      kind: 'string',
      default: 'info',
      oneOf: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
      env: 'TRACKSINK_LOG_LEVEL',
      why: 'Server log verbosity; no line per query at any level above trace.',
    },
    queries: {
      kind: 'string',
      default: 'all',
      oneOf: ['all', 'hide-names', 'none'],
      why: 'Query log privacy: everything, hide names, or log nothing (as Pi-hole privacy levels).',
    },
    anonymizeClients: {
      kind: 'boolean',
      default: false,
      why: 'Store client addresses with the host part zeroed.',
    },
    retentionDays: {
      kind: 'integer',
      default: 30,
      min: 1,
      max: 3650,
      why: 'Raw query log kept this long; tops and charts use rollups.',
    },
    rollupRetentionDays: {
      kind: 'integer',
      default: 365,
      min: 1,
      max: 3650,
      why: 'Hourly rollups kept this long for long-range charts.',
    },
  },
  devices: {
    leasesFile: {
      kind: 'string',
      default: '',
      why: 'DHCP leases file (dnsmasq, ISC dhcpd or odhcpd) to name devices; empty = none.',
    },
    reverseDnsServer: {
      kind: 'string',
      default: '',
      why: 'Router address to ask PTR names of devices (e.g. 192.168.1.1); empty = off.',
    },
  },
  tls: {
    enabled: {
      kind: 'boolean',
      default: true,
      env: 'TRACKSINK_TLS',
      why: 'Serve DNS-over-TLS and HTTPS (DoH and the dashboard); a certificate problem turns only these off, plain DNS keeps answering.',
    },
    serverName: {
      kind: 'string',
      default: '',
      env: 'TRACKSINK_TLS_SERVER_NAME',
      why: 'The domain devices name in encrypted DNS (Android Private DNS "<clientid>.<serverName>"); required for ACME.',
      check: (value) =>
        value === '' ||
        /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i.test(String(value))
          ? null
          : 'must be a domain name such as dns.example.org (letters, digits and hyphens, at least two labels)',
    },
    dotPort: {
      kind: 'integer',
      default: 853,
      min: 0,
      max: 65535,
      env: 'TRACKSINK_DOT_PORT',
      why: 'DNS-over-TLS (RFC 7858), ClientID in the SNI; 853 is privileged like 53; 0 picks a free port (tests).',
    },
    httpsPort: {
      kind: 'integer',
      default: 8443,
      min: 0,
      max: 65535,
      env: 'TRACKSINK_HTTPS_PORT',
      why: 'HTTPS: DoH at /dns-query/<clientid> and the dashboard; 0 picks a free port (tests).',
    },
    certFile: {
      kind: 'string',
      default: '',
      env: 'TRACKSINK_TLS_CERT',
      why: 'PEM certificate chain to serve; empty = ACME when acme.email is set, else a self-signed one made in the data directory.',
    },
    keyFile: {
      kind: 'string',
      default: '',
      env: 'TRACKSINK_TLS_KEY',
      why: 'PEM private key of certFile.',
    },
    acme: {
      email: {
        kind: 'string',
        default: '',
        env: 'TRACKSINK_ACME_EMAIL',
        why: "Get a certificate for serverName and each <clientid>.<serverName> from an ACME CA (Let's Encrypt) with this contact (HTTP-01: port 80 of those names must reach http.port; README).",
      },
      directoryUrl: {
        kind: 'string',
        default: 'https://acme-v02.api.letsencrypt.org/directory',
        why: "The ACME CA's directory URL (Let's Encrypt production by default).",
      },
    },
  },
};
