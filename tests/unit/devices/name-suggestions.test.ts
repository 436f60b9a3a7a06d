import { describe, expect, it } from 'vitest';
import {
  brandOf,
  platformOf,
  readableHostName,
  suggestNames,
  type SuggestionInput,
} from '../../../server/devices/name-suggestions.js';

const none: SuggestionInput = {
  vendor: null,
  macRandom: false,
  type: 'unknown',
  leaseNames: [],
  reverseName: null,
  mdnsName: null,
  lookedUp: [],
};

describe('name suggestions', () => {
  it('reads host names as names people give, and drops the meaningless ones', () => {
    expect(readableHostName('janes-iphone.lan')).toBe('Janes iPhone');
    expect(readableHostName('Galaxy-S21')).toBe('Galaxy S21');
    expect(readableHostName('living_room_tv.fritz.box.')).toBe('Living Room TV');
    expect(readableHostName('MacBook-Pro')).toBe('MacBook Pro');
    expect(readableHostName('android-3f2a9c11d0e4b7a2')).toBeNull();
    expect(readableHostName('ESP_1A2B3C')).toBeNull();
    expect(readableHostName('192-168-1-20')).toBeNull();
    expect(readableHostName('localhost')).toBeNull();
    expect(readableHostName('')).toBeNull();
  });

  it('takes the brand out of an OUI vendor string', () => {
    expect(brandOf('Samsung Electronics Co.,Ltd')).toBe('Samsung');
    expect(brandOf('Apple, Inc.')).toBe('Apple');
    expect(brandOf('SAMSUNG ELECTRO-MECHANICS(THAILAND)')).toBe('Samsung');
    expect(brandOf('LG Electronics (Mobile Communications)')).toBe('LG');
    expect(brandOf('Raspberry Pi Trading Ltd')).toBe('Raspberry Pi');
    expect(brandOf('Hon Hai Precision Ind. Co.,Ltd.')).toBe('Foxconn');
    expect(brandOf(null)).toBeNull();
  });

  it('ranks the router’s lease name first, then the device’s own name, the router’s PTR, its maker and kind', () => {
    const names = suggestNames({
      ...none,
      vendor: 'Samsung Electronics Co.,Ltd',
      type: 'tv',
      leaseNames: ['living-room-tv'],
      mdnsName: 'Samsung-QE55',
      reverseName: 'living-room-tv.lan',
    });
    expect(names.map((s) => [s.name, s.source])).toEqual([
      ['Living Room TV', 'leases'],
      ['Samsung QE55', 'mdns'],
      ['Samsung TV', 'maker'],
    ]);
    expect(names[0]?.why).toContain('living-room-tv');
  });

  it('names Apple devices as Apple does, and a private-MAC phone from its lookups', () => {
    expect(suggestNames({ ...none, vendor: 'Apple, Inc.', type: 'phone' })[0]?.name).toBe('iPhone');
    // A private MAC hides the maker: the lookups still tell an Android phone from an Apple one.
    const android = suggestNames({
      ...none,
      macRandom: true,
      vendor: null,
      lookedUp: ['www.example.org', 'connectivitycheck.gstatic.com'],
    });
    expect(android).toEqual([
      { name: 'Android phone', source: 'lookups', why: 'it talks to Google’s Android servers' },
    ]);
    expect(platformOf(['gateway.icloud.com'])?.brand).toBe('Apple');
    expect(
      suggestNames({ ...none, macRandom: true, type: 'tablet', lookedUp: ['p12-caldav.icloud.com'] })[0]
        ?.name,
    ).toBe('iPad');
    expect(platformOf(['example.org'])).toBeNull();
  });

  it('offers nothing it cannot back, and at most five', () => {
    expect(suggestNames(none)).toEqual([]);
    const many = suggestNames({
      ...none,
      vendor: 'Sonos, Inc.',
      type: 'speaker',
      leaseNames: ['kitchen', 'Kitchen', 'hall', 'bath', 'den', 'attic'],
    });
    expect(many).toHaveLength(5);
    expect(many.filter((s) => s.name.toLowerCase() === 'kitchen')).toHaveLength(1);
  });
});
