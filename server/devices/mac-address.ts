/**
 * MAC address helpers: one canonical text form (aa:bb:cc:dd:ee:ff), the locally administered bit that
 * phones set on randomised "private" addresses, and the vendor from the IEEE OUI registry (the
 * `oui-data` package ships it; loaded once, on first use, because it is a 5 MB JSON file).
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';

/** Canonical lower-case colon form, or null for anything that is not a usable unicast MAC. */
export function normalizeMac(text: string): string | null {
  const hex = text
    .trim()
    .toLowerCase()
    .replace(/[:\-.]/g, '');
  if (!/^[0-9a-f]{12}$/.test(hex)) return null;
  if (hex === '000000000000' || hex === 'ffffffffffff') return null;
  return hex.match(/../g)!.join(':');
}

/** Locally administered (bit 1 of the first octet): randomised per network by modern phones and PCs. */
export function isRandomizedMac(mac: string): boolean {
  const first = Number.parseInt(mac.slice(0, 2), 16);
  return (first & 0x02) !== 0;
}

let ouiTable: Map<string, string> | null = null;

function buildTable(json: string): Map<string, string> {
  const table = new Map<string, string>();
  const data = JSON.parse(json) as Record<string, string>;
  // Each value is the registrant's name and postal address, one per line: keep the name.
  for (const [prefix, text] of Object.entries(data))
    table.set(prefix.toLowerCase(), text.split('\n')[0]!.trim());
  return table;
}

function ouiFile(): string {
  return createRequire(import.meta.url).resolve('oui-data');
}

function loadOui(): Map<string, string> {
  if (ouiTable !== null) return ouiTable;
  try {
    ouiTable = buildTable(readFileSync(ouiFile(), 'utf8'));
  } catch {
    ouiTable = new Map(); // without the registry a device simply has no vendor
  }
  return ouiTable;
}

/**
 * Loads the registry with asynchronous file I/O (only the parse is synchronous), so the first vendor
 * look-up does not stall the DNS thread on disk. The registry calls this off the hot path.
 */
export async function preloadOui(): Promise<void> {
  if (ouiTable !== null) return;
  try {
    const json = await readFile(ouiFile(), 'utf8');
    ouiTable ??= buildTable(json);
  } catch {
    ouiTable ??= new Map();
  }
}

/** Vendor name for a MAC from its OUI, or null (also for randomised MACs, which have no vendor). */
export function vendorForMac(mac: string): string | null {
  if (isRandomizedMac(mac)) return null;
  const vendor = loadOui().get(mac.replace(/:/g, '').slice(0, 6));
  return vendor === undefined || vendor === '' || vendor === 'Private' ? null : vendor;
}
