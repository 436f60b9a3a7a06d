/**
 * Vendor names from the IEEE OUI registry without loading it. The `oui-data` package (BSD-2-Clause,
 * data from the IEEE Registration Authority) ships one JSON line per prefix — `"PREFIX": "Name\nAddress…",`
 * — ordered by key length, then key: MA-L (6 hex digits), MA-M (7), MA-S (9). A look-up binary-searches
 * that file with small positional reads (about 23 reads of 1 KiB), so nothing of the 5.6 MB file stays in
 * memory and no thread ever parses it. Parsing it whole (the earlier way) blocked the DNS thread for
 * 0.75 s on a loaded machine and kept 27 MB of heap for a look-up made once per new device.
 */
import { type FileHandle, open } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { isRandomizedMac } from './mac-address.js';

/** Finds vendors for MACs; close() when done (it holds the registry file open). */
export interface VendorLookup {
  /** Vendor for a canonical MAC (aa:bb:cc:dd:ee:ff), or null (unknown, private, randomised). */
  vendorFor(mac: string): Promise<string | null>;
  close(): Promise<void>;
}

/** Opens a VendorLookup (the registry DeviceRegistry uses by default). */
export type VendorLookupFactory = () => Promise<VendorLookup>;

/** Holds a split line and a whole one of today's registry (the longest line is 341 bytes). */
const WINDOW = 1024;
/** MA-M and MA-S blocks sit inside MA-L prefixes registered to the IEEE itself. */
const SUBDIVIDED = 'IEEE Registration Authority';
const NO_VENDOR = new Set(['', 'Private']);

export function ouiRegistryFile(): string {
  return createRequire(import.meta.url).resolve('oui-data');
}

/** The file's order: shorter keys first, then by text (upper-case hex). */
export function compareOuiKeys(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

interface Entry {
  key: string;
  /** First line of the registrant's text (the name); '' when the line holds no entry. */
  vendor: string;
}

const LINE = /^\s*"([0-9A-F]+)":\s*("(?:[^"\\]|\\.)*")/;

/** Key and vendor of one line of the file, or null for the braces around the entries. */
export function parseOuiLine(line: string): Entry | null {
  const match = LINE.exec(line);
  if (match === null) return null;
  const text = JSON.parse(match[2]!) as string;
  return { key: match[1]!, vendor: text.split('\n')[0]!.trim() };
}

class FileVendorLookup implements VendorLookup {
  constructor(
    private readonly file: FileHandle,
    private readonly size: number,
  ) {}

  async vendorFor(mac: string): Promise<string | null> {
    if (isRandomizedMac(mac)) return null;
    const hex = mac.replace(/:/g, '').toUpperCase();
    let vendor = await this.find(hex.slice(0, 6));
    // Longest prefix wins: a block subdivided by the IEEE names its owner in the 9- or 7-digit registry.
    if (vendor === SUBDIVIDED)
      vendor = (await this.find(hex.slice(0, 9))) ?? (await this.find(hex.slice(0, 7))) ?? vendor;
    return vendor === null || NO_VENDOR.has(vendor) ? null : vendor;
  }

  close(): Promise<void> {
    return this.file.close();
  }

  /** The vendor of exactly `key`, or null. */
  private async find(key: string): Promise<string | null> {
    // Find the first line at or after `key`: `after(pos)` (the first line starting after byte pos) only
    // moves forward as pos grows, so a binary search over byte offsets finds it.
    const atOrAfter = async (pos: number): Promise<boolean> => {
      const entry = await this.entryAfter(pos);
      return entry === undefined || entry === null || compareOuiKeys(entry.key, key) >= 0;
    };
    let low = 0;
    if (!(await atOrAfter(0))) {
      let high = this.size;
      while (high - low > 1) {
        const mid = Math.floor((low + high) / 2);
        if (await atOrAfter(mid)) high = mid;
        else low = mid;
      }
      low = high;
    }
    const entry = await this.entryAfter(low);
    return entry?.key === key ? entry.vendor : null;
  }

  /**
   * The entry on the first line that starts after byte `pos`: undefined past the last line, null for a
   * line without an entry (the closing brace, which sorts after every key).
   */
  private async entryAfter(pos: number, size = WINDOW): Promise<Entry | null | undefined> {
    const window = Buffer.allocUnsafe(size); // one per read: look-ups may run side by side
    const { bytesRead } = await this.file.read(window, 0, size, pos);
    const bytes = window.subarray(0, bytesRead);
    const start = bytes.indexOf(0x0a);
    let end = start < 0 ? -1 : bytes.indexOf(0x0a, start + 1);
    // A line longer than the window (none today): read again with a larger one.
    if (end < 0 && bytesRead === size && size < this.size) return this.entryAfter(pos, size * 4);
    if (start < 0) return undefined;
    if (end < 0) end = bytes.length;
    if (end === start + 1 && start + 1 >= bytes.length) return undefined;
    return parseOuiLine(bytes.toString('utf8', start + 1, end));
  }
}

/** Opens the registry file for look-ups. A missing file means no vendors, never an error. */
export async function openOuiRegistry(file = ouiRegistryFile()): Promise<VendorLookup> {
  try {
    const handle = await open(file, 'r');
    const { size } = await handle.stat();
    return new FileVendorLookup(handle, size);
  } catch {
    return { vendorFor: async () => null, close: async () => {} };
  }
}

/** Vendors of several MACs with one opening of the registry: MAC → vendor, for those that have one. */
export async function vendorsFor(
  macs: readonly string[],
  openLookup: VendorLookupFactory = openOuiRegistry,
): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  if (macs.length === 0) return found;
  const lookup = await openLookup();
  try {
    for (const mac of macs) {
      const vendor = await lookup.vendorFor(mac);
      if (vendor !== null) found.set(mac, vendor);
    }
  } finally {
    await lookup.close();
  }
  return found;
}
