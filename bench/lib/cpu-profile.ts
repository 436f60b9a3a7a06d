/**
 * Summarises a V8 CPU profile (node --cpu-prof) as the functions with the most self time, so the
 * report can say where tracksink's time per query goes without opening DevTools.
 */
export interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface HotFunction {
  name: string;
  /** file:line, relative to the repository when inside it. */
  where: string;
  /** Share of the busy (non-idle) main-thread time. */
  selfPercent: number;
  selfMs: number;
}

export function hotFunctions(profile: CpuProfile, repoRoot: string, top = 15): HotFunction[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<string, { name: string; where: string; us: number }>();
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const node = byId.get(profile.samples[i] as number);
    const delta = Math.max(0, profile.timeDeltas[i] ?? 0);
    // Idle samples are the waits between benchmark phases: leave them out of the shares.
    if (!node || node.callFrame.functionName === '(idle)') continue;
    total += delta;
    const frame = node.callFrame;
    const file = frame.url.replace(/^file:\/\//, '').replace(`${repoRoot}/`, '');
    const where = file ? `${file}:${frame.lineNumber + 1}` : '';
    const name = frame.functionName || (file ? '(anonymous)' : '(native)');
    const key = `${name}@${where}`;
    const entry = selfUs.get(key) ?? { name, where, us: 0 };
    entry.us += delta;
    selfUs.set(key, entry);
  }
  return [...selfUs.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, top)
    .map((e) => ({
      name: e.name,
      where: e.where,
      selfMs: e.us / 1000,
      selfPercent: total > 0 ? (e.us * 100) / total : 0,
    }));
}
