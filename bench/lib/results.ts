/** The shape of one benchmark run's results (bench/results/latest.json). */
import type { HotFunction } from './cpu-profile.js';
import type { MachineInfo } from './machine.js';
import type { FixedRateResult, MaxRateResult } from './measure.js';
import type { ServerKind } from './processes.js';
import type { LogEventCounts } from './tracksink-stats.js';

export interface ServerRunSummary {
  /** 'synthetic' (generated 1M list) or 'fixture' (real list). */
  group: string;
  label: string;
  kind: ServerKind;
  listNames: number;
  /** Spawn → ready with the list. */
  readyMs: number;
  /** Spawn → ready with an empty list. */
  bareStartMs: number;
  /** readyMs − bareStartMs. */
  listLoadMs: number;
  rssAfterLoadKb: number;
  rssAfterRunKb: number | null;
  logEventsAtEnd: LogEventCounts | null;
}

export interface ServerMixResult {
  maxRate: MaxRateResult;
  rounds: FixedRateResult[];
  /** Log events dropped during the fixed-rate rounds (tracksink only; null when unknown). */
  droppedDuringFixed: number | null;
  cpuUsPerQuery: number;
  /** The main thread's share of cpuUsPerQuery (tracksink: the DNS thread; the rest is the log writer and GC). */
  mainThreadUsPerQuery: number;
  /** Rate dnsperf actually reached in the fixed-rate rounds (below the target when the server lags). */
  achievedQps: number;
  avgLatencyMs: number;
  maxLatencyMs: number;
  lossRatio: number;
}

export interface MixResult {
  group: string;
  id: string;
  title: string;
  /** Server label → result. */
  servers: Record<string, ServerMixResult>;
}

export interface AnalyticsResult {
  ok: boolean;
  seconds: number;
  output: string;
}

export interface ProfileSummary {
  file: string;
  top: HotFunction[];
}

export interface BenchResults {
  mode: 'full' | 'quick';
  machine: MachineInfo;
  candidate: string;
  peer: string;
  fixedRate: number;
  listSize: number;
  fixtureList: string;
  servers: ServerRunSummary[];
  mixes: MixResult[];
  analytics: AnalyticsResult | null;
  /** The small-machine run (bench/small-machine.ts): its Markdown section, or why it failed. */
  smallMachine?: AnalyticsResult | null;
  /** The DNS-threads run (bench/cores.ts): its Markdown section, or why it failed. */
  cores?: AnalyticsResult | null;
  /** tracksink CPU profiles (--profile), one per list. */
  profiles: ProfileSummary[];
  notes: string[];
  /** bench/GAP.md: where tracksink misses a target, why, and what was tried (written by hand). */
  explanation: string | null;
  elapsedSeconds: number;
}

/** Averages the fixed-rate rounds of one server and mix. */
export function summarizeRounds(
  maxRate: MaxRateResult,
  rounds: FixedRateResult[],
  droppedDuringFixed: number | null,
): ServerMixResult {
  const sent = rounds.reduce((n, r) => n + r.dnsperf.sent, 0);
  const lost = rounds.reduce((n, r) => n + r.dnsperf.lost, 0);
  const completed = rounds.reduce((n, r) => n + r.dnsperf.completed, 0);
  const cpu = rounds.reduce((n, r) => n + r.cpuSeconds, 0);
  const mainCpu = rounds.reduce((n, r) => n + (r.mainThreadCpuSeconds ?? Number.NaN), 0);
  const latencyWeighted = rounds.reduce((n, r) => n + r.dnsperf.avgLatencyMs * r.dnsperf.completed, 0);
  return {
    maxRate,
    rounds,
    droppedDuringFixed,
    cpuUsPerQuery: completed > 0 ? (cpu * 1e6) / completed : Number.NaN,
    mainThreadUsPerQuery: completed > 0 ? (mainCpu * 1e6) / completed : Number.NaN,
    achievedQps:
      rounds.length > 0 ? rounds.reduce((n, r) => n + r.dnsperf.qps, 0) / rounds.length : Number.NaN,
    avgLatencyMs: completed > 0 ? latencyWeighted / completed : Number.NaN,
    maxLatencyMs: Math.max(...rounds.map((r) => r.dnsperf.maxLatencyMs)),
    lossRatio: sent > 0 ? lost / sent : 0,
  };
}
