/**
 * Renders config/tracksink.example.yaml from the schema, so the documented defaults can never drift from
 * the real ones. `npm run config:example` rewrites the file; a unit test checks the committed copy.
 */
import { stringify } from 'yaml';
import { type KeySpec, type SchemaNode, isKeySpec, schema } from './schema.js';

function renderValue(spec: KeySpec): string {
  const value = spec.default;
  if (Array.isArray(value) && value.length === 0) return '[]';
  if (
    value !== null &&
    typeof value === 'object' &&
    !Array.isArray(value) &&
    Object.keys(value).length === 0
  ) {
    return '{}';
  }
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((item) => JSON.stringify(item)).join(', ')}]`;
  return stringify(value).trim();
}

function renderNode(node: SchemaNode, indent: string, lines: string[]): void {
  for (const [key, child] of Object.entries(node)) {
    if (isKeySpec(child)) {
      const notes = [child.why];
      if (child.kind === 'string' && child.oneOf) notes.push(`One of: ${child.oneOf.join(', ')}.`);
      if (child.env) notes.push(`Env: ${child.env}.`);
      for (const note of notes) lines.push(`${indent}# ${note}`);
      lines.push(`${indent}${key}: ${renderValue(child)}`);
    } else {
      lines.push(`${indent}${key}:`);
      renderNode(child, `${indent}  `, lines);
    }
  }
}

export function renderExampleConfig(): string {
  const lines = [
    '# tracksink configuration: every key with its built-in default and why.',
    '# Copy to config/tracksink.yaml (or point TRACKSINK_CONFIG at a file) and keep only what you change.',
    '# Unknown keys and wrong types stop start-up with a message naming the key.',
    '',
  ];
  renderNode(schema, '', lines);
  return `${lines.join('\n')}\n`;
}
