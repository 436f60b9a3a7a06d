/**
 * Reads a process's CPU time and resident memory from /proc (Linux). CPU time is utime + stime in
 * clock ticks; the comm field may hold spaces and parentheses, so fields are counted from the last ')'.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcStat {
  pid: number;
  comm: string;
  state: string;
  utimeTicks: number;
  stimeTicks: number;
}

export function parseProcStat(text: string): ProcStat {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open)
    throw new Error(`/proc/PID/stat: no "(comm)" field in "${text.slice(0, 80)}"`);
  // After ")": state(3) ppid(4) pgrp(5) session(6) tty_nr(7) tpgid(8) flags(9) minflt(10) cminflt(11)
  // majflt(12) cmajflt(13) utime(14) stime(15) — so utime is index 11 and stime 12 of the rest.
  const rest = text
    .slice(close + 2)
    .trim()
    .split(/\s+/);
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) {
    throw new Error(`/proc/PID/stat: utime/stime are not numbers in "${text.slice(0, 120)}"`);
  }
  return {
    pid: Number(text.slice(0, open).trim()),
    comm: text.slice(open + 1, close),
    state: rest[0] ?? '?',
    utimeTicks: utime,
    stimeTicks: stime,
  };
}

/** VmRSS in kB from /proc/PID/status text. */
export function parseVmRssKb(statusText: string): number {
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(statusText);
  if (!match) throw new Error('/proc/PID/status: no VmRSS line (has the process exited?)');
  return Number(match[1]);
}

let ticksPerSecond: number | undefined;

/** The kernel's USER_HZ (getconf CLK_TCK), 100 on practically every Linux. */
export function clockTicksPerSecond(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** CPU seconds (user + system, all threads) the process has used so far. */
export function cpuSeconds(pid: number): number {
  const stat = parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  return (stat.utimeTicks + stat.stimeTicks) / clockTicksPerSecond();
}

/**
 * CPU seconds of the process's main thread (tid = pid: tracksink's DNS thread) and of all its other
 * threads together (the log writer, V8's GC helpers, libuv's pool). A thread that ended is missing
 * from both, so compare two readings of a long-lived server only.
 */
export function threadCpuSeconds(pid: number): { main: number; others: number } {
  let main = 0;
  let others = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let stat: ProcStat;
    try {
      stat = parseProcStat(readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8'));
    } catch {
      continue; // the thread ended between the listing and the read
    }
    const seconds = (stat.utimeTicks + stat.stimeTicks) / clockTicksPerSecond();
    if (Number(tid) === pid) main += seconds;
    else others += seconds;
  }
  return { main, others };
}

export function rssKb(pid: number): number {
  return parseVmRssKb(readFileSync(`/proc/${pid}/status`, 'utf8'));
}
