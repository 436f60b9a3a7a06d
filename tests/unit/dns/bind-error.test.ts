import dgram from 'node:dgram';
import { afterAll, describe, expect, it } from 'vitest';
import { startDnsServer } from '../../../server/dns/dns-server.js';
import { describeBindError } from '../../../server/dns/bind-error.js';
import { noDevices } from '../../../server/events/device-resolver.js';
import { nullQueryLogSink } from '../../../server/events/query-event.js';
import { silentLogger } from '../../../server/logger.js';
import { SetPolicy } from '../../helpers/dns-test-policy.js';
import { testDnsConfig } from '../../helpers/dns-harness.js';
import { createSimpleUpstreamPool } from '../../helpers/simple-upstream-pool.js';

const holder = dgram.createSocket('udp4');
afterAll(() => holder.close());

describe('bind errors', () => {
  it('says which port is taken and how to free it', async () => {
    await new Promise<void>((resolve) => holder.bind(0, '127.0.0.1', () => resolve()));
    const port = holder.address().port;
    const start = startDnsServer({
      config: testDnsConfig((c) => (c.port = port)),
      policy: new SetPolicy(),
      devices: noDevices,
      log: nullQueryLogSink,
      upstreams: createSimpleUpstreamPool('127.0.0.1', 9),
      logger: silentLogger,
    });
    await expect(start).rejects.toThrow(
      new RegExp(`UDP 127\\.0\\.0\\.1:${port}.*already in use.*systemd-resolved.*TRACKSINK_DNS_PORT`),
    );
  });

  it('explains privileged ports', () => {
    const error = describeBindError(Object.assign(new Error('x'), { code: 'EACCES' }), 'TCP', '0.0.0.0', 53);
    expect(error.message).toMatch(/TCP 0\.0\.0\.0:53: permission denied.*setcap cap_net_bind_service=\+ep/);
  });
});
