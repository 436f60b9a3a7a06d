/**
 * Names to offer for a device, best first, each with where it came from in a household's words: the
 * name the device gave the router for its DHCP lease, the router's own name for the address (reverse
 * DNS), the name the device announces on the local network (mDNS, *.local), what the device's maker and
 * kind say ("Samsung TV", "iPhone"), and what its lookups give away when its MAC is private (a device
 * that asks Apple's servers is an Apple device). Pure: the registry gathers the inputs.
 */

export const NAME_SOURCES = ['leases', 'reverse-dns', 'mdns', 'maker', 'lookups'] as const;
export type NameSource = (typeof NAME_SOURCES)[number];

export interface NameSuggestion {
  name: string;
  source: NameSource;
  /** Why this name, for the household: "from your router's list of devices (janes-iphone)". */
  why: string;
}

export interface SuggestionInput {
  vendor: string | null;
  macRandom: boolean;
  type: string;
  /** Host names from DHCP leases for this device's MAC or addresses. */
  leaseNames: string[];
  /** The router's PTR name for one of its addresses. */
  reverseName: string | null;
  /** The name it answers to over mDNS (without .local). */
  mdnsName: string | null;
  /** Names it looked up recently (most asked first). */
  lookedUp: string[];
}

/** How many suggestions to show (chips beside a text box). */
const MAX_SUGGESTIONS = 5;

const TYPE_WORDS: Record<string, string> = {
  phone: 'phone',
  tablet: 'tablet',
  laptop: 'laptop',
  desktop: 'computer',
  tv: 'TV',
  speaker: 'speaker',
  console: 'games console',
  camera: 'camera',
  iot: 'smart-home device',
  router: 'router',
};

/** Apple sells its kinds of device under their own names. */
const APPLE_KINDS: Record<string, string> = {
  phone: 'iPhone',
  tablet: 'iPad',
  laptop: 'MacBook',
  desktop: 'Mac',
  tv: 'Apple TV',
  speaker: 'HomePod',
};

/** Words of an OUI vendor string that are the company's form, not its brand. */
const COMPANY_WORDS =
  /^(inc|incorporated|ltd|limited|co|corp|corporation|corporate|company|gmbh|ag|sa|llc|plc|bv|technologies|technology|electronics|electro-mechanics|communications|trading|international|manufacturing|interactive|entertainment|precision|industrial|industry|mobile|systems|network|networks|devices|group|holdings|&)$/i;

/** The brand in an OUI vendor string: "Samsung Electronics Co.,Ltd" → "Samsung", "Apple, Inc." → "Apple". */
export function brandOf(vendor: string | null): string | null {
  if (vendor === null) return null;
  const head = vendor.split(/[,(]/)[0] ?? '';
  const words: string[] = [];
  for (const word of head.trim().split(/\s+/)) {
    const bare = word.replace(/\.+$/, '');
    if (bare === '' || COMPANY_WORDS.test(bare) || /^co\./i.test(word)) break;
    words.push(bare);
    if (words.length === 2) break;
  }
  if (words.length === 0) return null;
  if (/^hon hai$/i.test(words.join(' '))) return 'Foxconn';
  // SHOUTING vendor names read as brands: "SAMSUNG" → "Samsung"; short acronyms (LG, HP) stay.
  return words.map((w) => (w.length > 3 && w === w.toUpperCase() ? titleCase(w) : w)).join(' ');
}

function titleCase(word: string): string {
  return word
    .toLowerCase()
    .replace(/(^|[-_])([a-z])/g, (_, sep: string, letter: string) => sep + letter.toUpperCase());
}

/** Host names that carry no meaning for a person (generated ids, placeholders). */
function meaningless(label: string): boolean {
  return (
    /^(localhost|unknown|android|espressif|esp|dhcp|host|client|device|none|\*)$/i.test(label) ||
    /^(android|esp|dhcp|host|client|ip)[-_]?[0-9a-f]{4,}$/i.test(label) ||
    /^[0-9a-f]{8,}$/i.test(label.replace(/[-_:]/g, '')) ||
    /^\d+([-.]\d+){3}$/.test(label)
  );
}

/** Brand spellings people know, wherever they appear in a host name. */
const KNOWN_SPELLINGS: Array<[RegExp, string]> = [
  [/^iphone$/i, 'iPhone'],
  [/^ipad$/i, 'iPad'],
  [/^ipod$/i, 'iPod'],
  [/^macbook$/i, 'MacBook'],
  [/^imac$/i, 'iMac'],
  [/^tv$/i, 'TV'],
  [/^pc$/i, 'PC'],
  [/^hp$/i, 'HP'],
  [/^lg$/i, 'LG'],
];

/**
 * A host name as a name people would give: the first label, dashes and underscores as spaces, each word
 * capitalised ("janes-iphone.lan" → "Janes iPhone", "Galaxy-S21" → "Galaxy S21"). Null when it means
 * nothing (android-3f2a9c…, an address).
 */
export function readableHostName(raw: string | null): string | null {
  if (raw === null) return null;
  const label = raw.trim().replace(/\.$/, '').split('.')[0] ?? '';
  if (label === '' || meaningless(label)) return null;
  const words = label
    .replace(/['’]s(?=[-_ ]|$)/gi, 's')
    .split(/[-_\s]+/)
    .filter((w) => w !== '');
  if (words.length === 0) return null;
  const name = words
    .map((word) => {
      const known = KNOWN_SPELLINGS.find(([pattern]) => pattern.test(word));
      if (known) return known[1];
      return word === word.toLowerCase() ? word.charAt(0).toUpperCase() + word.slice(1) : word;
    })
    .join(' ');
  return name.slice(0, 64);
}

/** What a device's lookups say about it: a handful of platforms whose devices ask their maker daily. */
const PLATFORM_HINTS: Array<{ pattern: RegExp; brand: string; type?: string; label: string }> = [
  {
    pattern: /(^|\.)(samsungcloudsolution\.(com|net)|samsungacr\.com|samsungotn\.net)$/,
    brand: 'Samsung',
    type: 'tv',
    label: 'Samsung TV',
  },
  { pattern: /(^|\.)(lgtvsdp\.com|lgappstv\.com|lgsmartad\.com)$/, brand: 'LG', type: 'tv', label: 'LG TV' },
  { pattern: /(^|\.)roku\.com$/, brand: 'Roku', type: 'tv', label: 'Roku' },
  {
    pattern: /(^|\.)(playstation\.(net|com)|sonyentertainmentnetwork\.com)$/,
    brand: 'Sony',
    type: 'console',
    label: 'PlayStation',
  },
  { pattern: /(^|\.)(xboxlive\.com|xboxab\.com)$/, brand: 'Microsoft', type: 'console', label: 'Xbox' },
  { pattern: /(^|\.)nintendo\.net$/, brand: 'Nintendo', type: 'console', label: 'Nintendo Switch' },
  { pattern: /(^|\.)sonos\.com$/, brand: 'Sonos', type: 'speaker', label: 'Sonos speaker' },
  {
    pattern: /(^|\.)(msftconnecttest\.com|windowsupdate\.com|msftncsi\.com)$/,
    brand: 'Microsoft',
    type: 'desktop',
    label: 'Windows computer',
  },
  {
    pattern:
      /(^|\.)(connectivitycheck\.(gstatic|android)\.com|android\.clients\.google\.com|android\.googleapis\.com)$/,
    brand: 'Android',
    type: 'phone',
    label: 'Android phone',
  },
  {
    pattern: /(^|\.)(icloud\.com|apple-dns\.net|mzstatic\.com|push\.apple\.com|apple\.com)$/,
    brand: 'Apple',
    label: 'Apple device',
  },
];

/** The platform its lookups point to (the first hint, in the table's order, that any name matches). */
export function platformOf(
  lookedUp: readonly string[],
): { brand: string; type?: string; label: string } | null {
  for (const hint of PLATFORM_HINTS) {
    if (lookedUp.some((name) => hint.pattern.test(name.toLowerCase()))) return hint;
  }
  return null;
}

/** "Samsung TV", "iPhone", "Sonos speaker", or "Apple device" when the kind is not known. */
export function makerName(brand: string, type: string): string {
  if (brand === 'Apple' && APPLE_KINDS[type]) return APPLE_KINDS[type];
  return `${brand} ${TYPE_WORDS[type] ?? 'device'}`;
}

export function suggestNames(input: SuggestionInput): NameSuggestion[] {
  const out: NameSuggestion[] = [];
  const add = (name: string | null, source: NameSource, why: string): void => {
    if (name === null || name.trim() === '') return;
    if (out.some((s) => s.name.toLowerCase() === name.toLowerCase())) return;
    out.push({ name, source, why });
  };
  for (const raw of input.leaseNames) {
    add(readableHostName(raw), 'leases', `the name it gave your router when it joined (${raw})`);
  }
  if (input.mdnsName !== null) {
    add(
      readableHostName(input.mdnsName),
      'mdns',
      `the name it announces on your network (${input.mdnsName}.local)`,
    );
  }
  if (input.reverseName !== null) {
    add(
      readableHostName(input.reverseName),
      'reverse-dns',
      `your router’s name for its address (${input.reverseName})`,
    );
  }
  const brand = input.macRandom ? null : brandOf(input.vendor);
  const platform = platformOf(input.lookedUp);
  if (brand !== null) {
    const type =
      input.type !== 'unknown' ? input.type : platform?.brand === brand ? platform.type : undefined;
    add(
      makerName(brand, type ?? 'unknown'),
      'maker',
      `made by ${brand}${type ? `, a ${TYPE_WORDS[type] ?? type}` : ''}`,
    );
  }
  if (platform !== null) {
    const label =
      platform.brand === 'Apple' && input.type !== 'unknown'
        ? makerName('Apple', input.type)
        : platform.label;
    add(
      label,
      'lookups',
      `it talks to ${platform.brand === 'Android' ? 'Google’s Android' : platform.brand} servers`,
    );
  }
  if (out.length === 0 && input.type !== 'unknown') {
    const word = TYPE_WORDS[input.type] ?? 'device';
    add(word.charAt(0).toUpperCase() + word.slice(1), 'maker', 'the kind of device you chose');
  }
  return out.slice(0, MAX_SUGGESTIONS);
}
