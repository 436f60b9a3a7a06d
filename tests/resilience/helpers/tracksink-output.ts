/**
 * Reading a tracksink process from outside, as an operator would: its log output (pino JSON lines on
 * stdout, plain start-up lines), /api/health, and a bounded wait for a condition.
 */

export interface LogLine {
  level: number;
  msg: string;
  raw: string;
}

/** pino levels: 40 warn, 50 error, 60 fatal. */
export const ERROR = 50;

/** The JSON log lines at `minLevel` or above whose message matches `pattern` (all when omitted). */
export function logLines(output: string, minLevel: number, pattern?: RegExp): LogLine[] {
  const lines: LogLine[] = [];
  for (const raw of output.split('\n')) {
    if (!raw.startsWith('{')) continue;
    try {
      const parsed = JSON.parse(raw) as { level?: number; msg?: string };
      const level = parsed.level ?? 0;
      const msg = parsed.msg ?? '';
      if (level >= minLevel && (pattern === undefined || pattern.test(msg))) lines.push({ level, msg, raw });
    } catch {
      lines.push({ level: ERROR, msg: 'unparseable log line', raw });
    }
  }
  return lines;
}

/** Error and fatal lines, plus any plain-text line that looks like a crash. */
export function errorLines(output: string): string[] {
  const plain = output
    .split('\n')
    .filter((line) => !line.startsWith('{') && /\b(error|fatal|uncaught|unhandled)\b/i.test(line));
  return [...logLines(output, ERROR).map((line) => line.raw), ...plain];
}

export interface Health {
  status: 'ok' | 'starting' | 'degraded';
  lists: { entries: number; loaded: boolean };
  log: { written: number; dropped: number; error: string | null };
}

export async function health(baseUrl: string): Promise<Health> {
  const response = await fetch(`${baseUrl}/api/health`, { signal: AbortSignal.timeout(5000) });
  return (await response.json()) as Health;
}

/** Polls `probe` every 200 ms until it returns a truthy value; throws after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | null | undefined | false> | T | null | undefined | false,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown = null;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
