/**
 * CSV that is safe to open in a spreadsheet: every field quoted, quotes doubled, and a field that a
 * spreadsheet would run as a formula (starting with = + - @, or a tab/CR that hides one) gets a leading
 * apostrophe (OWASP "CSV injection"). Names from DNS traffic are untrusted, so this applies to all fields.
 */
export function csvField(value: unknown): string {
  let text = value === null || value === undefined ? '' : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return `"${text.replace(/"/g, '""')}"`;
}

export function csvLine(values: unknown[]): string {
  return `${values.map(csvField).join(',')}\r\n`;
}
