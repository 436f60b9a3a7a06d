/**
 * Where lists may come from. A list source is chosen in the dashboard (or brought by a backup), so it must
 * not turn tracksink into a reader of the server's files or a probe of the home network:
 *
 * - local list files must sit in one directory (`lists.fileDir`, default `<dataDir>/lists-local`),
 *   symlinks followed before the check;
 * - an http(s) list whose host resolves to a loopback, private, link-local or otherwise local address is
 *   refused (each redirect hop too) unless `lists.allowPrivateUrls` is on.
 *
 * Sources named in the config file or the environment (`lists.extra`, TRACKSINK_BLOCKLISTS) were chosen by
 * the machine's owner, who can read its files anyway: they are trusted as they are.
 */
import { lookup } from 'node:dns/promises';
import { realpath } from 'node:fs/promises';
import { BlockList, isIP } from 'node:net';
import { join, relative, resolve, isAbsolute } from 'node:path';
import { DownloadError } from '../net/download.js';
import { normaliseSource, sourceKind } from './list-source.js';

export interface ListSourcePolicy {
  /** Absolute directory that local list files must be in. */
  fileDir: string;
  /** Allow http(s) lists on loopback / private / link-local addresses (tests, a LAN list server). */
  allowPrivateUrls: boolean;
  /** Normalised sources from the config file and environment: allowed whatever they are. */
  trusted: ReadonlySet<string>;
}

export interface SourcePolicyConfig {
  dataDir: string;
  lists: { fileDir: string; allowPrivateUrls: boolean; extra: readonly string[] };
}

/** The default directory for local list files, inside the data directory. */
export function defaultListFileDir(dataDir: string): string {
  return join(resolve(dataDir), 'lists-local');
}

export function sourcePolicyFor(config: SourcePolicyConfig): ListSourcePolicy {
  const trusted = new Set<string>();
  for (const source of config.lists.extra) {
    try {
      trusted.add(normaliseSource(source));
    } catch {
      // ensureDefaults reports a bad lists.extra entry; it is simply not trusted here.
    }
  }
  return {
    fileDir: config.lists.fileDir ? resolve(config.lists.fileDir) : defaultListFileDir(config.dataDir),
    allowPrivateUrls: config.lists.allowPrivateUrls,
    trusted,
  };
}

/** The default directory, no private URLs, nothing trusted: the policy when none is given. */
export function strictSourcePolicy(dataDir: string): ListSourcePolicy {
  return sourcePolicyFor({ dataDir, lists: { fileDir: '', allowPrivateUrls: false, extra: [] } });
}

/** The policy with more trusted sources (e.g. those subscribed before lists.fileDir existed). */
export function trustingAlso(policy: ListSourcePolicy, sources: readonly string[]): ListSourcePolicy {
  if (sources.length === 0) return policy;
  return { ...policy, trusted: new Set([...policy.trusted, ...sources]) };
}

function isInside(path: string, dir: string): boolean {
  const rel = relative(dir, path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}

function outsideMessage(policy: ListSourcePolicy): string {
  return `local list files must be in the list directory ${policy.fileDir} (lists.fileDir)`;
}

function privateMessage(host: string): string {
  return `refused: ${host} is a local or private network address (lists.allowPrivateUrls allows it)`;
}

/**
 * What is wrong with a (normalised) source under the policy, without touching the disk or the network:
 * a file outside the list directory, or a URL whose host is written as a local address. Null when fine.
 */
export function sourceProblem(policy: ListSourcePolicy, source: string): string | null {
  if (policy.trusted.has(source)) return null;
  const kind = sourceKind(source);
  if (kind === 'file') return isInside(resolve(source), policy.fileDir) ? null : outsideMessage(policy);
  if (kind === 'url' && !policy.allowPrivateUrls) {
    const host = hostOf(new URL(source));
    if (isIP(host) !== 0 && isLocalAddress(host)) return privateMessage(host);
  }
  return null;
}

/** At read time: the file, symlinks resolved, must still be inside the list directory. */
export async function checkFileSource(policy: ListSourcePolicy, source: string): Promise<void> {
  if (policy.trusted.has(source)) return;
  if (!isInside(resolve(source), policy.fileDir)) throw new DownloadError(outsideMessage(policy));
  let real: string;
  let dir: string;
  try {
    [real, dir] = await Promise.all([realpath(source), realpath(policy.fileDir)]);
  } catch (error) {
    throw new DownloadError(`cannot read ${source}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  if (!isInside(real, dir)) throw new DownloadError(outsideMessage(policy));
}

/**
 * Before each request (the first and every redirect): the URL's host must not resolve to a local
 * address. `trustedStart` is the source the download began with (a trusted source may go anywhere).
 */
export async function checkUrlTarget(
  policy: ListSourcePolicy,
  url: URL,
  trustedStart: boolean,
): Promise<void> {
  if (policy.allowPrivateUrls || trustedStart) return;
  const host = hostOf(url);
  let addresses: string[];
  if (isIP(host) !== 0) {
    addresses = [host];
  } else {
    try {
      addresses = (await lookup(host, { all: true, verbatim: true })).map((entry) => entry.address);
    } catch (error) {
      throw new DownloadError(
        `could not resolve ${host}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`,
      );
    }
  }
  if (addresses.length === 0 || addresses.some(isLocalAddress)) throw new DownloadError(privateMessage(host));
}

function hostOf(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}

const LOCAL_V4 = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local (cloud metadata lives here)
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15], // benchmarking
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
] as const) {
  LOCAL_V4.addSubnet(network, prefix, 'ipv4');
}
const LOCAL_V6 = new BlockList();
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['fec0::', 10], // old site-local
  ['ff00::', 8], // multicast
] as const) {
  LOCAL_V6.addSubnet(network, prefix, 'ipv6');
}

/** Loopback, private, link-local, CGNAT, multicast, unspecified (IPv4-mapped IPv6 judged as IPv4). */
export function isLocalAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return LOCAL_V4.check(address, 'ipv4');
  if (family !== 6) return true;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return LOCAL_V4.check(mapped[1] as string, 'ipv4');
  const hexMapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(address);
  if (hexMapped) {
    const high = parseInt(hexMapped[1] as string, 16);
    const low = parseInt(hexMapped[2] as string, 16);
    return LOCAL_V4.check(`${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`, 'ipv4');
  }
  return LOCAL_V6.check(address, 'ipv6');
}
