/**
 * The local records the dashboard lists: names tracksink answers itself from a list (a hosts line with a
 * real address, a `$dnsrewrite` rule), each with its list and line, and the same answer over real DNS.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dig } from '../../helpers/dns-clients.js';
import type { Session } from './harness.js';
import { startStack, type Stack } from './stack.js';

describe('local records: listed with their source, answered over DNS', () => {
  let s: Stack;
  let session: Session;

  beforeAll(async () => {
    s = await startStack();
    session = await s.login();
    const path = join(s.dir, 'home-names.txt');
    writeFileSync(
      path,
      [
        '# names of things at home',
        '192.168.1.10 nas.home',
        '||router.home^$dnsrewrite=NOERROR;A;192.168.1.1',
        '||printer.home^$dnsrewrite=NXDOMAIN',
        '0.0.0.0 blocked.example.com',
      ].join('\n') + '\n',
    );
    await s.lists.add({ source: path, name: 'Home names', format: 'adblock' });
  }, 60_000);
  afterAll(async () => {
    await s?.close();
  });

  it('lists each record with what it answers, its list and its line; blocking lines are not records', async () => {
    const response = await session.request({ method: 'GET', url: '/api/local-records' });
    expect(response.statusCode).toBe(200);
    const items = response.json().items as Array<{
      name: string;
      answer: string;
      list: { name: string; line: number };
    }>;
    const byName = new Map(items.map((item) => [item.name, item]));
    expect(byName.get('nas.home')).toMatchObject({
      answer: 'A 192.168.1.10',
      list: { name: 'Home names', line: 2 },
    });
    expect(byName.get('router.home')).toMatchObject({ answer: 'A 192.168.1.1', list: { line: 3 } });
    expect(byName.get('printer.home')).toMatchObject({ answer: 'NXDOMAIN', list: { line: 4 } });
    expect(byName.has('blocked.example.com')).toBe(false);
    const anonymous = await s.app.inject({ method: 'GET', url: '/api/local-records' });
    expect(anonymous.statusCode).toBe(401);
  });

  it('answers them over DNS as listed', async () => {
    expect((await dig(s.dnsPort, 'nas.home', 'A')).answers.map((a) => a.data)).toEqual(['192.168.1.10']);
    expect((await dig(s.dnsPort, 'router.home', 'A')).answers.map((a) => a.data)).toEqual(['192.168.1.1']);
    expect((await dig(s.dnsPort, 'printer.home', 'A')).status).toBe('NXDOMAIN');
  });
});
