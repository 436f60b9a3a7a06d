/**
 * The query pipeline: the stages of `server/dns/stages/`, run in order on one QueryContext until one of
 * them answers (see stages/stage.ts for the contract):
 *
 *   access ▶ rate limit ▶ query checks ▶ device ▶ local records ▶ policy ▶ rewrite ▶ ANY ▶ cache ▶ upstream
 *
 * (answer inspection, for CNAME cloaking and rebinding, runs inside the cache and upstream stages on the
 * answer they are about to give). `handle()` answers synchronously whenever it can (blocked, local,
 * cached, refused, malformed): it returns the answer Buffer, or null for "send nothing". Only a question
 * that must go upstream returns PENDING; the answer then goes to `responder.respond(answer, ctx)`. One
 * QueryEvent is filled per query and handed to `log.record` exactly once, whatever happens.
 */
import type { Config } from '../config/schema.js';
import type { DeviceResolver } from '../events/device-resolver.js';
import { type Protocol, type QueryLogSink, Protocol as Protocols } from '../events/query-event.js';
import type { Policy } from '../filter/verdict.js';
import { NameKind } from '../trackers/attribution.js';
import type { Logger } from '../logger.js';
import type { DnsCache } from './cache.js';
import { CLASSIC_UDP_LIMIT } from '../dns-codec/constants.js';
import { decodeQuery } from '../dns-codec/decode-query.js';
import { Sinkhole } from './sinkhole.js';
import { AccessControl } from './stages/access.js';
import { AnyTypeStage } from './stages/any-type.js';
import { CachedAnswerStage } from './stages/cached-answer.js';
import { DeviceStage } from './stages/device.js';
import { LocalRecords } from './stages/local-records.js';
import { PolicyStage } from './stages/policy.js';
import { QueryChecks } from './stages/query-checks.js';
import { RateLimiter } from './stages/rate-limit.js';
import { RefusedNetworks } from './stages/refused-networks.js';
import { RewriteStage } from './stages/rewrite.js';
import {
  type HandleResult,
  type LiveDnsSettings,
  NEXT,
  PENDING,
  QueryContext,
  type Responder,
  type Stage,
} from './stages/stage.js';
import { UpstreamStage } from './stages/upstream.js';
import type { DnsStats } from './stats.js';
import type { UpstreamPool } from './upstream/types.js';

export { PENDING, type HandleResult, type Responder };

export interface PipelineDeps {
  config: Config['dns'];
  policy: Policy;
  devices: DeviceResolver;
  log: QueryLogSink;
  upstreams: UpstreamPool;
  logger: Logger;
  stats: DnsStats;
  cache: DnsCache;
  /** Wall clock in ms (tests move it; default Date.now). The cache must use the same clock. */
  now?: () => number;
}

/** TCP, DoT and DoH carry up to 64 KiB. */
const STREAM_MAX_SIZE = 65_535;

export class Pipeline {
  /** The one context every query that is answered synchronously uses (refilled per query). */
  private readonly t: QueryContext;
  private readonly live: LiveDnsSettings;
  /** The stages that outlive reconfigure() (they hold the cache, the policy, the upstream pool). */
  private readonly checks: QueryChecks;
  private readonly device: DeviceStage;
  private readonly policy: PolicyStage;
  private readonly rewrite: RewriteStage;
  private readonly any = new AnyTypeStage();
  private readonly cached: CachedAnswerStage;
  private readonly upstream: UpstreamStage;
  private access!: AccessControl;
  private stages: readonly Stage[] = [];
  private readonly now: () => number;
  /** Networks that access control refused (counted off the allowed clients' path; logged once each). */
  readonly refused: RefusedNetworks;

  constructor(deps: PipelineDeps) {
    const { policy, upstreams, logger, stats, cache } = deps;
    this.now = deps.now ?? Date.now;
    this.refused = new RefusedNetworks(logger);
    this.t = new QueryContext({ stats, log: deps.log, logger });
    this.live = { config: deps.config, sinkhole: new Sinkhole(deps.config.blocking) };
    this.checks = new QueryChecks(stats);
    this.device = new DeviceStage(deps.devices);
    this.policy = new PolicyStage(policy, this.live);
    this.rewrite = new RewriteStage(upstreams, logger);
    this.cached = new CachedAnswerStage(cache, policy, upstreams, stats, this.live);
    this.upstream = new UpstreamStage(upstreams, cache, policy, this.live, logger, this.now);
    this.reconfigure(deps.config);
  }

  /**
   * Applies new DNS settings (blocking answers, access control, canaries, local records, rate limits)
   * without a restart: every stage built from config.dns is rebuilt, built fully before any is swapped
   * in, so a bad value throws here and leaves the running ones as they were. The cache, counters and
   * modules stay; queries waiting on an upstream finish with the new settings.
   */
  reconfigure(config: Config['dns']): void {
    const sinkhole = new Sinkhole(config.blocking);
    const access = new AccessControl(config.access, this.refused);
    const rateLimiter = new RateLimiter(config.rateLimit);
    const local = new LocalRecords(config);
    this.live.config = config;
    this.live.sinkhole = sinkhole;
    this.access = access;
    this.stages = [
      access,
      rateLimiter,
      this.checks,
      this.device,
      local,
      this.policy,
      this.rewrite,
      this.any,
      this.cached,
      this.upstream,
    ];
  }

  /** Whether DNS access control lets this address ask (encrypted DNS: may it create a ClientID device). */
  allows(clientAddress: string): boolean {
    return this.access.isAllowed(clientAddress);
  }

  /**
   * Handles one query message. `knownDeviceId` ≥ 0 is the device the transport already knows (encrypted
   * DNS with a known ClientID, which also passes access control); -1 = look it up by client address.
   */
  handle<C>(
    query: Buffer,
    clientAddress: string,
    protocol: Protocol,
    responder: Responder<C>,
    ctx: C,
    knownDeviceId = -1,
  ): HandleResult {
    const t = this.t;
    t.startMs = performance.now();
    const nowMs = this.now();
    t.nowMs = nowMs;
    t.query = query;
    t.knownDeviceId = knownDeviceId;
    t.responder = responder as Responder<unknown>;
    t.ctx = ctx;
    const q = t.q;
    decodeQuery(query, q);
    const ev = t.ev;
    ev.timeMs = nowMs;
    ev.clientAddress = clientAddress;
    ev.deviceId = 0;
    ev.name = q.name;
    ev.qtype = q.qtype;
    ev.protocol = protocol;
    ev.listId = 0;
    ev.ruleId = 0;
    ev.companyId = 0;
    ev.categoryId = 0;
    ev.appId = 0;
    ev.kind = NameKind.unknown;
    ev.upstreamId = 0;
    ev.cnameTarget = '';
    // UDP: min(client's EDNS size, ours), or 512 without EDNS.
    const udpPayloadSize = this.live.config.udpPayloadSize;
    t.limits.udpPayloadSize = udpPayloadSize;
    t.limits.maxSize =
      protocol !== Protocols.udp
        ? STREAM_MAX_SIZE
        : q.hasEdns
          ? Math.max(CLASSIC_UDP_LIMIT, Math.min(q.ednsUdpSize, udpPayloadSize))
          : CLASSIC_UDP_LIMIT;
    t.verdict.action = 0;
    t.verdict.rewrite = null;

    const stages = this.stages;
    for (let i = 0; i < stages.length; i++) {
      const result = stages[i]!.run(t);
      if (result !== NEXT) return result;
    }
    return null; // unreachable: the upstream stage always answers
  }
}
