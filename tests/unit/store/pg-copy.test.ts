import { describe, expect, it } from 'vitest';
import { CopyRows, copyTextField } from '../../../server/store/pg/pg-copy.js';

describe('COPY text rows for PostgreSQL', () => {
  it('writes integers of every size, text and row ends in COPY text format', () => {
    const rows = new CopyRows(8);
    for (const [n, text] of [
      [0, 'a'],
      [-7, ''],
      [1_733_123_456_789, 'ünï'],
      [9, 'x'],
      [10, 'y'],
      [Number.NaN, 'z'],
    ] as const) {
      rows.reserve(text.length, 2);
      rows.int(n);
      rows.text(text);
      rows.int(42);
      rows.endRow();
    }
    expect(rows.rows).toBe(6);
    expect(rows.data().toString('utf8')).toBe(
      '0\ta\t42\n-7\t\t42\n1733123456789\tünï\t42\n9\tx\t42\n10\ty\t42\n0\tz\t42\n',
    );
  });

  it('escapes what would split a row or a field, and drops NUL', () => {
    expect(copyTextField('plain.example')).toBe('plain.example');
    expect(copyTextField('a\tb\nc\rd\\e\u0000f')).toBe('a\\tb\\nc\\rd\\\\ef');
    expect(copyTextField('\\.')).toBe('\\\\.');
  });
});
