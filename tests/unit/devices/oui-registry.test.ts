import { readFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  compareOuiKeys,
  openOuiRegistry,
  ouiRegistryFile,
  parseOuiLine,
  vendorsFor,
} from '../../../server/devices/oui-registry.js';

const scratch = mkdtempSync(join(tmpdir(), 'tracksink-oui-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('OUI registry on disk', () => {
  it('keeps the order the binary search relies on (length, then key) in the shipped file', () => {
    // Fails when an upgrade of oui-data changes its layout: the search would then miss vendors.
    const lines = readFileSync(ouiRegistryFile(), 'utf8').split('\n');
    const keys = lines.map(parseOuiLine).flatMap((entry) => (entry ? [entry.key] : []));
    expect(keys.length).toBeGreaterThan(40_000);
    const outOfOrder = keys.filter((key, i) => i > 0 && compareOuiKeys(keys[i - 1]!, key) >= 0);
    expect(outOfOrder).toEqual([]);
  });

  it('finds vendors by longest prefix, and none for randomised, private or unknown MACs', async () => {
    const lookup = await openOuiRegistry();
    try {
      expect(await lookup.vendorFor('00:00:00:12:34:56')).toMatch(/XEROX/i); // first entry of the file
      expect(await lookup.vendorFor('3c:22:fb:01:02:03')).toMatch(/Apple/i);
      // 8C:1F:64 is an IEEE block subdivided into 9-digit (MA-S) assignments; the last line of the file.
      expect(await lookup.vendorFor('8c:1f:64:ff:c0:01')).toMatch(/Invendis/);
      expect(await lookup.vendorFor('da:a1:19:00:00:01')).toBeNull(); // locally administered
      expect(await lookup.vendorFor('00:05:5d:00:00:01')).toMatch(/D-LINK/i);
    } finally {
      await lookup.close();
    }
  });

  it('matches every entry of a small registry, and misses between them', async () => {
    const file = join(scratch, 'small.json');
    // In the file's order (length, then key), as oui-data ships it.
    writeFileSync(
      file,
      '{\n "001122": "Alpha\\nStreet 1",\n "3C22FB": "Bravo Ünïcode\\nWeg 2",\n "8C1F64": "IEEE Registration Authority",\n' +
        ' "FCFFFE": "Private",\n "8C1F640": "Echo",\n "8C1F64FFB": "Charlie"\n}',
    );
    const found = await vendorsFor(
      [
        '00:11:22:00:00:01',
        '3c:22:fb:00:00:01',
        '8c:1f:64:ff:b0:01',
        '8c:1f:64:00:00:01',
        '8c:1f:64:12:00:01',
        'fc:ff:fe:00:00:01',
        '00:11:23:00:00:01',
      ],
      () => openOuiRegistry(file),
    );
    expect(Object.fromEntries(found)).toEqual({
      '00:11:22:00:00:01': 'Alpha',
      '3c:22:fb:00:00:01': 'Bravo Ünïcode',
      '8c:1f:64:ff:b0:01': 'Charlie',
      '8c:1f:64:00:00:01': 'Echo',
      '8c:1f:64:12:00:01': 'IEEE Registration Authority',
    });
  });

  it('reads lines longer than its read window', async () => {
    const file = join(scratch, 'long.json');
    const long = 'Long Name Ltd\\n' + 'x'.repeat(3000);
    writeFileSync(file, `{\n "001122": "Alpha",\n "3C22FB": "${long}",\n "A0B1C2": "Omega"\n}`);
    const found = await vendorsFor(['00:11:22:00:00:01', '3c:22:fb:00:00:01', 'a0:b1:c2:00:00:01'], () =>
      openOuiRegistry(file),
    );
    expect([...found.values()]).toEqual(['Alpha', 'Long Name Ltd', 'Omega']);
  });

  it('answers no vendor, without an error, when the registry file is missing', async () => {
    const lookup = await openOuiRegistry(join(scratch, 'missing.json'));
    expect(await lookup.vendorFor('3c:22:fb:01:02:03')).toBeNull();
    await lookup.close();
  });
});
