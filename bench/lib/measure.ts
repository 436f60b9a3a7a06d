/**
 * The two measurements of each server and mix: the highest rate it sustains with < 0.1 % loss, and
 * CPU time per query plus latency at a fixed rate. CPU time is the server process's utime + stime
 * (all its threads, so tracksink's log writer counts) over the run, divided by the queries answered.
 */
import { type DnsperfResult, runDnsperf } from './dnsperf.js';
import { cpuSeconds, threadCpuSeconds } from './proc-stats.js';
import type { ServerProcess } from './processes.js';

export const LOSS_LIMIT = 0.001;

export interface RateStep {
  mode: 'closed-loop' | 'open-loop';
  requested: number | null;
  qps: number;
  lossRatio: number;
  /** Server CPU use during the step, in cores (1.0 = one core busy). */
  serverCores: number;
}

export interface MaxRateResult {
  /** Highest measured rate with loss below LOSS_LIMIT, or null if no step stayed below it. */
  qps: number | null;
  /** Server CPU use at that rate, in cores; well below 1 means the load generator was the limit. */
  serverCores: number | null;
  steps: RateStep[];
}

async function step(
  server: ServerProcess,
  file: string,
  seconds: number,
  rate: number | null,
  clients?: number,
  transport: 'udp' | 'tcp' = 'udp',
): Promise<{ result: DnsperfResult; cores: number }> {
  const cpuBefore = cpuSeconds(server.pid);
  const wallBefore = performance.now();
  const result = await runDnsperf(
    rate === null
      ? { port: server.port, file, seconds, outstanding: 200, transport, ...(clients ? { clients } : {}) }
      : {
          port: server.port,
          file,
          seconds,
          rate,
          outstanding: 5000,
          transport,
          ...(clients ? { clients } : {}),
        },
  );
  const cores = (cpuSeconds(server.pid) - cpuBefore) / ((performance.now() - wallBefore) / 1000);
  return { result, cores };
}

/**
 * A short search: a closed-loop run (dnsperf as fast as a window of 200 in-flight queries allows)
 * gives the candidate; open-loop runs at that rate, then 15 % lower each time, confirm loss < 0.1 %.
 */
export async function findMaxRate(
  server: ServerProcess,
  file: string,
  seconds: number,
  tries = 3,
  clients?: number,
  transport: 'udp' | 'tcp' = 'udp',
): Promise<MaxRateResult> {
  const steps: RateStep[] = [];
  const closed = await step(server, file, seconds, null, clients, transport);
  steps.push({
    mode: 'closed-loop',
    requested: null,
    qps: closed.result.qps,
    lossRatio: closed.result.lossRatio,
    serverCores: closed.cores,
  });
  let rate = closed.result.qps;
  for (let i = 0; i < tries; i++) {
    const open = await step(server, file, seconds, rate, clients, transport);
    steps.push({
      mode: 'open-loop',
      requested: Math.round(rate),
      qps: open.result.qps,
      lossRatio: open.result.lossRatio,
      serverCores: open.cores,
    });
    if (open.result.lossRatio < LOSS_LIMIT) return { qps: open.result.qps, serverCores: open.cores, steps };
    rate *= 0.85;
  }
  const fallback = closed.result.lossRatio < LOSS_LIMIT ? closed : null;
  return { qps: fallback?.result.qps ?? null, serverCores: fallback?.cores ?? null, steps };
}

/** Keeps the higher of two searches (the machine is shared; a lower result is noise), with all steps. */
export function bestRate(previous: MaxRateResult | undefined, next: MaxRateResult): MaxRateResult {
  if (!previous) return next;
  const better = (next.qps ?? -1) > (previous.qps ?? -1) ? next : previous;
  return { ...better, steps: [...previous.steps, ...next.steps] };
}

export interface FixedRateResult {
  rate: number;
  dnsperf: DnsperfResult;
  cpuSeconds: number;
  /** Of cpuSeconds, what the main thread used (the DNS thread in tracksink; all of dnsmasq). */
  mainThreadCpuSeconds: number;
  /** CPU microseconds per answered query. */
  cpuUsPerQuery: number;
}

export async function measureFixedRate(
  server: ServerProcess,
  file: string,
  rate: number,
  seconds: number,
): Promise<FixedRateResult> {
  const before = cpuSeconds(server.pid);
  const threadsBefore = threadCpuSeconds(server.pid);
  const result = await runDnsperf({ port: server.port, file, seconds, rate, outstanding: 5000 });
  const used = cpuSeconds(server.pid) - before;
  const threadsAfter = threadCpuSeconds(server.pid);
  return {
    rate,
    dnsperf: result,
    cpuSeconds: used,
    mainThreadCpuSeconds: threadsAfter.main - threadsBefore.main,
    cpuUsPerQuery: result.completed > 0 ? (used * 1e6) / result.completed : Number.NaN,
  };
}

/** Sends a file through once at a gentle rate so its answers are cached before measuring. */
export async function warm(server: ServerProcess, file: string): Promise<DnsperfResult> {
  return runDnsperf({ port: server.port, file, seconds: 20, rate: 5000, maxRuns: 2, outstanding: 500 });
}
