/**
 * Turns results into the console table and bench/results/latest.md: one row per mix and metric with
 * candidate / peer ratios, memory and load time per list, log events, and the issue's targets.
 */
import type { BenchResults, MixResult, ServerRunSummary } from './results.js';

const fmtInt = (n: number | null | undefined): string =>
  n === null || n === undefined || !Number.isFinite(n) ? '—' : Math.round(n).toLocaleString('en-US');
const fmt = (n: number | null | undefined, digits = 1): string =>
  n === null || n === undefined || !Number.isFinite(n) ? '—' : n.toFixed(digits);
const pct = (ratio: number): string => `${(ratio * 100).toFixed(ratio > 0 && ratio < 0.001 ? 3 : 2)} %`;
const mb = (kb: number | null): string => (kb === null ? '—' : `${(kb / 1024).toFixed(1)} MB`);

export function ratio(a: number | null | undefined, b: number | null | undefined): string {
  if (
    a === null ||
    a === undefined ||
    b === null ||
    b === undefined ||
    !Number.isFinite(a) ||
    !Number.isFinite(b) ||
    b === 0
  )
    return '—';
  return `${(a / b).toFixed(2)}×`;
}

export type Row = [string, string, string, string, string];

export function mixRows(mix: MixResult, candidate: string, peer: string, fixedRate: number): Row[] {
  const a = mix.servers[candidate];
  const b = mix.servers[peer];
  const rows: Row[] = [];
  const rate = `${(fixedRate / 1000).toFixed(0)}k q/s`;
  rows.push([
    mix.title,
    'max q/s with < 0.1 % loss',
    fmtInt(a?.maxRate.qps),
    fmtInt(b?.maxRate.qps),
    ratio(a?.maxRate.qps, b?.maxRate.qps),
  ]);
  rows.push([
    '',
    '  server cores busy at max',
    fmt(a?.maxRate.serverCores, 2),
    fmt(b?.maxRate.serverCores, 2),
    '',
  ]);
  rows.push([
    '',
    `answered q/s @ ${rate}`,
    fmtInt(a?.achievedQps),
    fmtInt(b?.achievedQps),
    ratio(a?.achievedQps, b?.achievedQps),
  ]);
  rows.push([
    '',
    `CPU µs/query @ ${rate}`,
    fmt(a?.cpuUsPerQuery, 2),
    fmt(b?.cpuUsPerQuery, 2),
    ratio(a?.cpuUsPerQuery, b?.cpuUsPerQuery),
  ]);
  rows.push([
    '',
    '  of which main thread (tracksink: DNS; rest: log writer, GC)',
    fmt(a?.mainThreadUsPerQuery, 2),
    fmt(b?.mainThreadUsPerQuery, 2),
    '',
  ]);
  rows.push([
    '',
    `avg latency ms @ ${rate}`,
    fmt(a?.avgLatencyMs, 3),
    fmt(b?.avgLatencyMs, 3),
    ratio(a?.avgLatencyMs, b?.avgLatencyMs),
  ]);
  rows.push([
    '',
    `max latency ms @ ${rate}`,
    fmt(a?.maxLatencyMs, 1),
    fmt(b?.maxLatencyMs, 1),
    ratio(a?.maxLatencyMs, b?.maxLatencyMs),
  ]);
  rows.push(['', `loss @ ${rate}`, a ? pct(a.lossRatio) : '—', b ? pct(b.lossRatio) : '—', '']);
  if (a?.droppedDuringFixed !== null && a?.droppedDuringFixed !== undefined) {
    rows.push(['', `log events dropped @ ${rate}`, fmtInt(a.droppedDuringFixed), 'n/a', '']);
  }
  return rows;
}

export function serverRows(results: BenchResults): Row[] {
  const rows: Row[] = [];
  const groups = [...new Set(results.servers.map((s) => s.group))];
  for (const group of groups) {
    const a = results.servers.find((s) => s.group === group && s.label === results.candidate);
    const b = results.servers.find((s) => s.group === group && s.label === results.peer);
    const names = fmtInt(a?.listNames ?? b?.listNames);
    const title = `${group} list (${names} names)`;
    rows.push([
      title,
      'list load time ms',
      fmtInt(a?.listLoadMs),
      fmtInt(b?.listLoadMs),
      ratio(a?.listLoadMs, b?.listLoadMs),
    ]);
    rows.push(['', 'bare start ms (no list)', fmtInt(a?.bareStartMs), fmtInt(b?.bareStartMs), '']);
    rows.push([
      '',
      'RSS after load',
      mb(a?.rssAfterLoadKb ?? null),
      mb(b?.rssAfterLoadKb ?? null),
      ratio(a?.rssAfterLoadKb, b?.rssAfterLoadKb),
    ]);
    rows.push([
      '',
      'RSS after run',
      mb(a?.rssAfterRunKb ?? null),
      mb(b?.rssAfterRunKb ?? null),
      ratio(a?.rssAfterRunKb, b?.rssAfterRunKb),
    ]);
    if (a?.kind === 'tracksink') {
      const log = a.logEventsAtEnd;
      rows.push([
        '',
        'log events written / dropped',
        log ? `${fmtInt(log.written)} / ${fmtInt(log.dropped)}` : 'not reported',
        'n/a',
        '',
      ]);
    }
  }
  return rows;
}

export function textTable(header: Row, rows: Row[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]?.length ?? 0)));
  const line = (r: Row): string =>
    r.map((c, i) => (i < 2 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function markdownTable(header: Row, rows: Row[]): string {
  const esc = (c: string): string => c.replace(/\|/g, '\\|');
  return [
    `| ${header.map(esc).join(' | ')} |`,
    '|---|---|---:|---:|---:|',
    ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`),
  ].join('\n');
}

export interface TargetCheck {
  target: string;
  met: boolean | null;
  detail: string;
}

/** The issue's targets, each met, missed or not measurable (null) in this run. */
export function checkTargets(results: BenchResults): TargetCheck[] {
  const { candidate, peer } = results;
  const checks: TargetCheck[] = [];
  const mix = (id: string): MixResult | undefined => results.mixes.find((m) => m.id === id);
  for (const [id, limit] of [
    ['blocked', 1],
    ['cached', 1],
    ['realistic', 1.5],
  ] as const) {
    const a = mix(id)?.servers[candidate]?.cpuUsPerQuery;
    const b = mix(id)?.servers[peer]?.cpuUsPerQuery;
    const known = a !== undefined && b !== undefined && Number.isFinite(a) && Number.isFinite(b);
    checks.push({
      target: `CPU/query (${id}) ≤ ${limit === 1 ? '' : `${limit} × `}dnsmasq's`,
      met: known ? (a as number) <= limit * (b as number) : null,
      detail: known
        ? `${fmt(a, 2)} vs ${fmt(b, 2)} µs${lagging(mix(id), [candidate, peer], results.fixedRate)}`
        : 'not measured',
    });
  }
  for (const m of results.mixes) {
    const a = m.servers[candidate]?.maxRate.qps;
    const b = m.servers[peer]?.maxRate.qps;
    const known = typeof a === 'number' && typeof b === 'number';
    checks.push({
      target: `max rate (${m.id}) ≥ dnsmasq's`,
      met: known ? (a as number) >= (b as number) : null,
      detail: known ? `${fmtInt(a)} vs ${fmtInt(b)} q/s` : 'not measured',
    });
  }
  const synthetic = (label: string): ServerRunSummary | undefined =>
    results.servers.find((s) => s.group === 'synthetic' && s.label === label);
  const ra = synthetic(candidate)?.rssAfterLoadKb;
  const rb = synthetic(peer)?.rssAfterLoadKb;
  checks.push({
    target: `RSS with ${fmtInt(results.listSize)} names ≤ dnsmasq's`,
    met: ra !== undefined && rb !== undefined ? ra <= rb : null,
    detail: `${mb(ra ?? null)} vs ${mb(rb ?? null)}`,
  });
  const dropped = results.mixes.map((m) => m.servers[candidate]?.droppedDuringFixed ?? null);
  const knownDropped = dropped.filter((d): d is number => d !== null);
  checks.push({
    target: `zero dropped log events at ${fmtInt(results.fixedRate)} q/s`,
    met:
      results.servers.some((s) => s.kind === 'tracksink') && knownDropped.length === dropped.length
        ? knownDropped.every((d) => d === 0)
        : null,
    detail: knownDropped.length
      ? `dropped per mix: ${knownDropped.join(', ')}`
      : 'tracksink did not report log counters',
  });
  return checks;
}

/** Warnings for servers that answered well below the fixed rate: their CPU figure is from an overload. */
function lagging(mix: MixResult | undefined, labels: string[], rate: number): string {
  return labels
    .map((label) => [label, mix?.servers[label]?.achievedQps] as const)
    .filter(([, achieved]) => achieved !== undefined && achieved < 0.95 * rate)
    .map(([label, achieved]) => `; ${label} answered only ${fmtInt(achieved)} q/s (overloaded)`)
    .join('');
}

export const HEADER: Row = ['mix / list', 'metric', 'A', 'B', 'A / B'];

export const FLOOR_LABEL = 'node echo';

/**
 * Node's own cost per packet beside tracksink's, for the mixes where the harness also ran the UDP
 * echo (bench/lib/udp-echo.mjs): what no server written on Node's dgram can go below.
 */
export function floorLines(results: BenchResults): string[] {
  const lines: string[] = [];
  for (const mix of results.mixes) {
    const echo = mix.servers[FLOOR_LABEL];
    const a = mix.servers[results.candidate];
    const b = mix.servers[results.peer];
    if (echo === undefined) continue;
    const rate = `${(results.fixedRate / 1000).toFixed(0)}k q/s`;
    lines.push(
      `| ${mix.title} | max q/s with < 0.1 % loss | ${fmtInt(echo.maxRate.qps)} | ${fmtInt(a?.maxRate.qps)} | ${fmtInt(b?.maxRate.qps)} |`,
      `|  | CPU µs/query @ ${rate}, whole process | ${fmt(echo.cpuUsPerQuery, 2)} | ${fmt(a?.cpuUsPerQuery, 2)} | ${fmt(b?.cpuUsPerQuery, 2)} |`,
      `|  | of which main thread | ${fmt(echo.mainThreadUsPerQuery, 2)} | ${fmt(a?.mainThreadUsPerQuery, 2)} | ${fmt(b?.mainThreadUsPerQuery, 2)} |`,
      `|  | answered q/s @ ${rate} | ${fmtInt(echo.achievedQps)} | ${fmtInt(a?.achievedQps)} | ${fmtInt(b?.achievedQps)} |`,
    );
  }
  if (lines.length === 0) return [];
  return [
    '',
    "## Node.js's floor (a UDP echo on the same dgram send path, measured in the same alternation)",
    '',
    `The echo answers each query with its own bytes and does nothing else. tracksink's main thread does the DNS`,
    `work on top of that floor; the rest of its process time is the log writer thread and V8's helpers.`,
    '',
    `| mix | metric | ${FLOOR_LABEL} | ${results.candidate} | ${results.peer} |`,
    '|---|---|---:|---:|---:|',
    ...lines,
  ];
}

export function allRows(results: BenchResults): Row[] {
  return [
    ...results.mixes.flatMap((m) => mixRows(m, results.candidate, results.peer, results.fixedRate)),
    ...serverRows(results),
  ];
}

function header(results: BenchResults): Row {
  return ['mix / list', 'metric', results.candidate, results.peer, `${results.candidate} / ${results.peer}`];
}

export function consoleReport(results: BenchResults): string {
  const targets = checkTargets(results)
    .map((t) => `  ${t.met === null ? '  ?  ' : t.met ? ' met ' : 'MISSED'}  ${t.target}: ${t.detail}`)
    .join('\n');
  return `${textTable(header(results), allRows(results))}\n\nTargets:\n${targets}`;
}

export function markdownReport(results: BenchResults): string {
  const m = results.machine;
  const lines = [
    `# tracksink benchmark: ${results.candidate} vs ${results.peer}`,
    '',
    `Run ${m.date} (${results.mode} run, ${fmt(results.elapsedSeconds, 0)} s) by \`npm run bench${results.mode === 'quick' ? ' -- --quick' : ''}\`.`,
    `Machine: ${m.cores} × ${m.cpuModel}, ${fmtInt(m.memoryMb)} MB RAM, Linux ${m.kernel}.`,
    `Versions: tracksink ${m.versions.tracksink}, Node.js ${m.versions.node}, dnsmasq ${m.versions.dnsmasq}, dnsperf ${m.versions.dnsperf}.`,
    '',
    `Both servers run on loopback with the same blocklist (hosts format; dnsmasq via \`addn-hosts\`), the same`,
    `stub upstream (dnsmasq answering every name) and the same cache size; tracksink logs every query.`,
    `dnsperf, both servers and the stub share the machine's ${m.cores} cores, so "max q/s" may be the load`,
    `generator's ceiling: "server cores busy at max" well below 1.0 means the server was not the limit.`,
    `Each fixed-rate figure is the average of alternating rounds (A B A B); CPU time is the server`,
    `process's utime + stime from /proc/PID/stat divided by the queries it answered.`,
    `"answered q/s" is what dnsperf reached at the fixed rate: below it, the server fell behind and dnsperf's`,
    `window of queries in flight was full (latency then shows queueing, loss can stay low).`,
    `List load time = ready with the list − ready with an empty list (one start each): below ~0.5 s it is noise.`,
    '',
    markdownTable(header(results), allRows(results)),
    '',
    '## Targets (issue 6)',
    '',
    ...checkTargets(results).map(
      (t) =>
        `- ${t.met === null ? '❔ not measured' : t.met ? '✅ met' : '❌ missed'}: ${t.target} (${t.detail})`,
    ),
  ];
  lines.push(...floorLines(results));
  if (results.explanation) lines.push('', results.explanation.trim());
  if (results.notes.length) lines.push('', '## Notes', '', ...results.notes.map((n) => `- ${n}`));
  if (results.analytics) {
    lines.push(
      '',
      '## Analytics timings (bench/analytics/run.ts)',
      '',
      results.analytics.ok ? `Finished in ${fmt(results.analytics.seconds, 1)} s:` : 'Failed:',
      '',
      '```',
      results.analytics.output.trim(),
      '```',
    );
  }
  if (results.smallMachine) {
    lines.push(
      '',
      results.smallMachine.ok
        ? results.smallMachine.output.trim()
        : `## Small machine (bench/small-machine.ts): failed\n\n\`\`\`\n${results.smallMachine.output.trim()}\n\`\`\``,
    );
  }
  if (results.cores) {
    lines.push(
      '',
      results.cores.ok
        ? results.cores.output.trim()
        : `## Every core (bench/cores.ts): failed\n\n\`\`\`\n${results.cores.output.trim()}\n\`\`\``,
    );
  }
  for (const profile of results.profiles) {
    lines.push(
      '',
      `## Where tracksink's CPU time goes (\`${profile.file}\`, node --cpu-prof)`,
      '',
      '| self % of busy | self ms | function | where |',
      '|---:|---:|---|---|',
    );
    for (const f of profile.top)
      lines.push(`| ${f.selfPercent.toFixed(1)} | ${fmtInt(f.selfMs)} | ${f.name} | ${f.where} |`);
  }
  lines.push('', '## Rate search steps', '');
  for (const mix of results.mixes) {
    for (const [label, r] of Object.entries(mix.servers)) {
      const steps = r.maxRate.steps
        .map(
          (s) =>
            `${s.mode === 'closed-loop' ? 'closed' : `Q=${fmtInt(s.requested)}`}: ${fmtInt(s.qps)} q/s, loss ${pct(s.lossRatio)}, ${fmt(s.serverCores, 2)} cores`,
        )
        .join('; ');
      lines.push(`- ${mix.id} / ${label}: ${steps}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
