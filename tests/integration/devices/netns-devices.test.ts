import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Device } from '../../../server/devices/registry.js';

// Three network namespaces made and deleted here: a "server" namespace with a bridge at 198.18.0.1, and
// two client namespaces joined to it by veth pairs with their own MACs (IANA documentation OUI).
const tag = `${process.pid % 10000}${Math.floor(Math.random() * 1000)}`;
const NS = { server: `tsh4s${tag}`, a: `tsh4a${tag}`, b: `tsh4b${tag}` };
const MAC_A = '00:00:5e:00:53:0a';
const MAC_B = '00:00:5e:00:53:0b';
const PORT = '5300';

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 10_000 });
}

function namespacesAvailable(): boolean {
  try {
    ip('netns', 'add', NS.server);
    return true;
  } catch {
    return false;
  }
}
const available = namespacesAvailable();
const dataDir = mkdtempSync(join(tmpdir(), 'tracksink-netns-'));
let child: ChildProcessWithoutNullStreams | null = null;
let output = '';

function waitFor(pattern: RegExp, from: number): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`timed out waiting for ${pattern}; output: ${output}`)),
      20_000,
    );
    const check = (): void => {
      const match = pattern.exec(output.slice(from));
      if (match) {
        clearTimeout(timer);
        child?.stdout.off('data', check);
        resolve(match);
      }
    };
    child?.stdout.on('data', check);
    check();
  });
}

async function listDevices(): Promise<Device[]> {
  const from = output.length;
  child?.stdin.write('list\n');
  const match = await waitFor(/devices (.*)\n/, from);
  return JSON.parse(match[1] as string) as Device[];
}

function query(ns: string, name: string): void {
  // dig exits non-zero on a timeout; the packet was still sent, which is all the registry needs.
  try {
    execFileSync('ip', ['netns', 'exec', ns, 'dig', '@198.18.0.1', '-p', PORT, '+tries=1', '+time=2', name], {
      stdio: 'ignore',
      timeout: 10_000,
    });
  } catch {
    // ignored: asserted through the registry
  }
}

beforeAll(async () => {
  if (!available) return;
  ip('netns', 'add', NS.a);
  ip('netns', 'add', NS.b);
  ip('-n', NS.server, 'link', 'set', 'lo', 'up');
  ip('-n', NS.server, 'link', 'add', 'br0', 'type', 'bridge');
  ip('-n', NS.server, 'addr', 'add', '198.18.0.1/24', 'dev', 'br0');
  ip('-n', NS.server, 'link', 'set', 'br0', 'up');
  for (const [ns, mac, address, port] of [
    [NS.a, MAC_A, '198.18.0.10/24', 'pa'],
    [NS.b, MAC_B, '198.18.0.20/24', 'pb'],
  ] as const) {
    ip('-n', NS.server, 'link', 'add', port, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns);
    ip('-n', NS.server, 'link', 'set', port, 'master', 'br0');
    ip('-n', NS.server, 'link', 'set', port, 'up');
    ip('-n', ns, 'link', 'set', 'eth0', 'address', mac);
    ip('-n', ns, 'addr', 'add', address, 'dev', 'eth0');
    ip('-n', ns, 'link', 'set', 'lo', 'up');
    ip('-n', ns, 'link', 'set', 'eth0', 'up');
  }
  const script = fileURLToPath(new URL('./netns-server-child.ts', import.meta.url));
  child = spawn('ip', [
    'netns',
    'exec',
    NS.server,
    process.execPath,
    '--import',
    'tsx',
    script,
    dataDir,
    '198.18.0.1',
    PORT,
  ]);
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await waitFor(/ready\n/, 0);
});

afterAll(async () => {
  if (child !== null) {
    child.kill('SIGKILL');
    await new Promise((resolve) =>
      child?.exitCode !== null || child?.signalCode !== null ? resolve(null) : child?.once('exit', resolve),
    );
  }
  for (const ns of Object.values(NS)) {
    try {
      ip('netns', 'del', ns);
    } catch {
      // not created
    }
  }
  rmSync(dataDir, { recursive: true, force: true });
});

describe.skipIf(!available)('devices on a real segment (network namespaces)', () => {
  it('shows two hosts as two devices with their MACs; a host that changes its IP stays the same device', async () => {
    query(NS.a, 'tracker.example');
    query(NS.b, 'ads.example');
    let devices = await listDevices();
    const byMac = (list: Device[], mac: string) => list.find((d) => d.mac === mac);
    expect(devices).toHaveLength(2);
    const a = byMac(devices, MAC_A);
    const b = byMac(devices, MAC_B);
    expect(a?.addresses).toEqual(['198.18.0.10']);
    expect(b?.addresses).toEqual(['198.18.0.20']);
    expect(a?.macRandom).toBe(false);

    // DHCP hands host A a new address.
    ip('-n', NS.a, 'addr', 'del', '198.18.0.10/24', 'dev', 'eth0');
    ip('-n', NS.a, 'addr', 'add', '198.18.0.11/24', 'dev', 'eth0');
    query(NS.a, 'again.example');
    devices = await listDevices();
    expect(devices).toHaveLength(2);
    const moved = byMac(devices, MAC_A);
    expect(moved?.id).toBe(a?.id);
    expect(moved?.addresses.sort()).toEqual(['198.18.0.10', '198.18.0.11']);
    expect(byMac(devices, MAC_B)?.id).toBe(b?.id);
  }, 60_000);
});
