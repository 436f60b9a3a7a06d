// The dashboard's route table (web/src/lib/api-schema.ts) is generated from the server's route schemas;
// this fails when a route or schema changed and `npm run gen:api` was not run, so the compiler's view of
// the API in the web never drifts from what the server validates.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { API_SCHEMA_FILE, generateApiSchema } from '../../../scripts/gen-api.js';

describe('generated API types for the dashboard', () => {
  it('web/src/lib/api-schema.ts matches the server routes (else run npm run gen:api)', async () => {
    const generated = await generateApiSchema();
    const committed = readFileSync(API_SCHEMA_FILE, 'utf8');
    expect(committed === generated, 'web/src/lib/api-schema.ts is out of date: run npm run gen:api').toBe(
      true,
    );
  });

  it('lists the routes the dashboard calls, with their parameters and answers by name', async () => {
    const generated = await generateApiSchema();
    expect(generated).toContain(
      `'GET /api/devices/{id}': { params: IdParams; query?: PeriodQuery; response: Device };`,
    );
    expect(generated).toMatch(/export type Device = \{[^]*?\n {2}addresses: /);
    expect(generated).toContain(`export const StatusNameValues = [`);
    // Hidden routes (the OpenAPI document itself) and non-API routes (DoH) are not the dashboard's.
    expect(generated).not.toContain('/api/docs/json');
    expect(generated).not.toContain('/dns-query');
  });
});
