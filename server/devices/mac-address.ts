/**
 * MAC address helpers: one canonical text form (aa:bb:cc:dd:ee:ff), the locally administered bit that
 * phones set on randomised "private" addresses. Vendors come from oui-registry.ts.
 */

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
