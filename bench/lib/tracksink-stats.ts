/**
 * Reads tracksink's own counters of log events written and dropped, from /metrics (Prometheus text)
 * or, failing that, from /api/health JSON. Names are matched loosely (any metric or key mentioning the
 * log and "written"/"dropped") so the harness keeps working while the metric names settle.
 */
export interface LogEventCounts {
  written: number;
  dropped: number;
  source: string;
}

/**
 * Sums the samples of log-event metrics: either one counter per result (`…log…written…`) or one
 * counter with a result label (`tracksink_log_events_total{result="dropped"}`).
 */
export function logCountsFromMetrics(text: string): LogEventCounts | null {
  let written: number | null = null;
  let dropped: number | null = null;
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || !line.trim()) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+([-+0-9.eE]+|NaN)/.exec(line);
    if (!match) continue;
    const name = (match[1] as string).toLowerCase();
    // Only query-log metrics: a DNS "dropped" status (rate limit) is something else.
    if (!/(^|_)log(_|$)/.test(name)) continue;
    const value = Number(match[3]);
    if (!Number.isFinite(value)) continue;
    const subject = `${name} ${(match[2] ?? '').toLowerCase()}`;
    if (/written/.test(subject)) written = (written ?? 0) + value;
    else if (/dropped/.test(subject)) dropped = (dropped ?? 0) + value;
  }
  return written === null && dropped === null
    ? null
    : { written: written ?? 0, dropped: dropped ?? 0, source: '/metrics' };
}

/** Finds numeric "written"/"dropped" fields under a log-related key anywhere in the health JSON. */
export function logCountsFromHealth(body: unknown): LogEventCounts | null {
  let written: number | null = null;
  let dropped: number | null = null;
  const visit = (node: unknown, path: string): void => {
    if (node === null || typeof node !== 'object') return;
    for (const [key, value] of Object.entries(node as Record<string, unknown>)) {
      const here = `${path}.${key}`.toLowerCase();
      if (typeof value === 'number' && /log|event|quer/.test(here)) {
        if (/written/.test(key.toLowerCase()) && written === null) written = value;
        if (/dropped/.test(key.toLowerCase()) && dropped === null) dropped = value;
      } else visit(value, here);
    }
  };
  visit(body, '');
  return written === null && dropped === null
    ? null
    : { written: written ?? 0, dropped: dropped ?? 0, source: '/api/health' };
}

export async function readLogCounts(httpPort: number): Promise<LogEventCounts | null> {
  const base = `http://127.0.0.1:${httpPort}`;
  try {
    const response = await fetch(`${base}/metrics`, { signal: AbortSignal.timeout(3000) });
    if (response.ok) {
      const counts = logCountsFromMetrics(await response.text());
      if (counts) return counts;
    } else await response.arrayBuffer();
  } catch {
    // fall through to /api/health
  }
  try {
    const response = await fetch(`${base}/api/health`, { signal: AbortSignal.timeout(3000) });
    if (response.ok) return logCountsFromHealth(await response.json());
  } catch {
    // neither source answered
  }
  return null;
}
