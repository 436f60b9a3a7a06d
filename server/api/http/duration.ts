/** "30s" / "15m" / "1h" / "7d" → milliseconds (the schema already checked the shape). */
const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const MAX_MS = 365 * 86_400_000;

export function durationMs(text: string): number {
  const match = /^([1-9][0-9]{0,5})([smhd])$/.exec(text);
  if (!match) throw new Error(`"${text}" is not a duration like 30s, 15m, 1h or 7d`);
  return Math.min(Number(match[1]) * (UNIT_MS[match[2] as string] as number), MAX_MS);
}
