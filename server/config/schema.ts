/**
 * The configuration key table: every key, its type, its default, its limits, its environment variable and
 * one line of why. This table is the single source for validation (load.ts), for the TRACKSINK_*
 * environment overrides, for the dashboard's settings schema and for the test that keeps
 * config/tracksink.example.yaml documenting every key. `Config` is derived from it (types.ts: `ConfigOf`),
 * so a key added here has its type, its checks and its conversion at once; value checks are in checks.ts.
 */
import {
  dnsWorkers,
  domainNameOrEmpty,
  ipAddress,
  ipAddressOrEmpty,
  network,
  serverAddress,
  someUpstream,
  upstreamUrl,
} from './checks.js';
import { logKeys } from './schema-log.js';
import type { ConfigOf, SchemaNode } from './types.js';

export type { Kind, KeySpec, SchemaNode } from './types.js';
export { isKeySpec } from './types.js';

export const schema = {
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
    workers: {
      kind: 'string',
      default: '1',
      env: 'TRACKSINK_DNS_WORKERS',
      why: 'Threads answering DNS over UDP and TCP on the same port; "auto" = one per core. More than 1 needs the native UDP transport (any Node) or Node 22.12+ (else 1, with a warning).',
      example: 'auto',
      check: dnsWorkers,
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
      why: 'Upper bound on open TCP connections in total (with several DNS threads answering TCP, dns.workers, per thread).',
    },
    tcpMaxConnectionsPerClient: {
      kind: 'integer',
      default: 50,
      min: 1,
      max: 10000,
      why: 'One misbehaving device cannot use up every TCP slot (per DNS thread, as the total).',
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
        example: '["192.168.1.2"]',
        itemCheck: ipAddress(4, '192.168.1.2'),
      },
      ipv6: {
        kind: 'string[]',
        default: [],
        why: 'Addresses answered for AAAA queries in custom mode.',
        example: '["fd00::2"]',
        itemCheck: ipAddress(6, 'fd00::2'),
      },
    },
    upstreams: {
      kind: 'string[]',
      default: ['https://cloudflare-dns.com/dns-query', 'https://dns.quad9.net/dns-query'],
      env: 'TRACKSINK_UPSTREAMS',
      why: 'Encrypted by default so the ISP does not see every name; udp://, tcp://, https://…/dns-query and tls:// work.',
      check: someUpstream,
      itemCheck: upstreamUrl,
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
      itemCheck: serverAddress,
    },
    cache: {
      maxEntries: {
        kind: 'integer',
        default: 20000,
        min: 0,
        max: 10000000,
        why: 'Most answers the LRU cache keeps (0 turns the cache off); maxBytes usually binds first.',
      },
      maxBytes: {
        kind: 'integer',
        default: 16777216,
        min: 65536,
        max: 1073741824,
        why: "Memory cap of the cache in bytes, counted as each answer's wire bytes plus ~700 bytes of bookkeeping; 16 MiB keeps ~20,000 typical answers. A smaller cache sends more questions upstream, which cost more CPU and, measured, more memory than the answers it saves.",
        example: '8388608',
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
        example: '["100.64.0.0/10"]',
        itemCheck: network,
      },
      deny: {
        kind: 'string[]',
        default: [],
        why: 'Client CIDRs refused even inside allowed ranges.',
        example: '["192.168.1.99"]',
        itemCheck: network,
      },
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
      example: '{ "nas.home": "192.168.1.10" }',
      itemCheck: ipAddress(0, '192.168.1.10'),
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
      example: '["tracksink.home"]',
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
  database: {
    url: {
      kind: 'string',
      default: '',
      env: 'TRACKSINK_DATABASE_URL',
      why: 'PostgreSQL shared by replicas (postgres://user:password@host:port/database); empty = SQLite only. It holds a password: keep the file private.',
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
      example: '["https://example.org/hosts.txt"]',
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
      example: '"/srv/tracksink/lists"',
    },
    allowPrivateUrls: {
      kind: 'boolean',
      default: false,
      env: 'TRACKSINK_LISTS_ALLOW_PRIVATE_URLS',
      why: 'Allow list URLs on loopback, private or link-local addresses (a LAN list server); off so a list cannot probe the home network.',
    },
  },
  log: logKeys,
  devices: {
    leasesFile: {
      kind: 'string',
      default: '',
      why: 'DHCP leases file (dnsmasq, ISC dhcpd or odhcpd) to name devices; empty = none.',
      example: '"/var/lib/misc/dnsmasq.leases"',
    },
    reverseDnsServer: {
      kind: 'string',
      default: '',
      why: 'Router address to ask PTR names of devices (e.g. 192.168.1.1); empty = off.',
      example: '"192.168.1.1"',
      check: ipAddressOrEmpty('192.168.1.1'),
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
      example: '"dns.example.org"',
      check: domainNameOrEmpty,
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
      example: '"/etc/tracksink/fullchain.pem"',
    },
    keyFile: {
      kind: 'string',
      default: '',
      env: 'TRACKSINK_TLS_KEY',
      why: 'PEM private key of certFile.',
      example: '"/etc/tracksink/privkey.pem"',
    },
    acme: {
      email: {
        kind: 'string',
        default: '',
        env: 'TRACKSINK_ACME_EMAIL',
        why: "Get a certificate for serverName and each <clientid>.<serverName> from an ACME CA (Let's Encrypt) with this contact (HTTP-01: port 80 of those names must reach http.port; README).",
        example: '"you@example.org"',
      },
      directoryUrl: {
        kind: 'string',
        default: 'https://acme-v02.api.letsencrypt.org/directory',
        why: "The ACME CA's directory URL (Let's Encrypt production by default).",
      },
    },
  },
} as const satisfies SchemaNode;

/** The loaded configuration every module receives: one value per key of the table above. */
export type Config = ConfigOf<typeof schema>;
export type BlockingMode = Config['dns']['blocking']['mode'];
export type UpstreamStrategy = Config['dns']['strategy'];
export type QueryLogMode = Config['log']['queries'];
export type LogLevel = Config['log']['level'];
