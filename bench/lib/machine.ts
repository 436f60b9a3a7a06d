/** What the results were measured on: CPU, memory and the versions of every program involved. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';

export interface MachineInfo {
  date: string;
  cores: number;
  cpuModel: string;
  memoryMb: number;
  kernel: string;
  versions: { node: string; dnsmasq: string; dnsperf: string; tracksink: string };
}

function firstMatch(command: string, args: string[], pattern: RegExp): string {
  try {
    const output = execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return pattern.exec(output)?.[1] ?? 'unknown';
  } catch (error) {
    const output = `${(error as { stdout?: string }).stdout ?? ''}${(error as { stderr?: string }).stderr ?? ''}`;
    return pattern.exec(output)?.[1] ?? 'unknown';
  }
}

export function describeMachine(repoRoot: string): MachineInfo {
  let tracksink = 'unknown';
  try {
    tracksink = (JSON.parse(readFileSync(`${repoRoot}/package.json`, 'utf8')) as { version: string }).version;
  } catch {
    // leave unknown
  }
  let kernel = 'unknown';
  try {
    kernel = readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim();
  } catch {
    // not Linux
  }
  return {
    date: new Date().toISOString(),
    cores: cpus().length,
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    memoryMb: Math.round(totalmem() / 1048576),
    kernel,
    versions: {
      node: process.version,
      dnsmasq: firstMatch('dnsmasq', ['--version'], /Dnsmasq version (\S+)/),
      dnsperf: firstMatch('dnsperf', ['-h'], /Version (\S+)/),
      tracksink,
    },
  };
}
