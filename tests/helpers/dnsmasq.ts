/**
 * dnsmasq as an independent stub upstream for tests: started on a free random port of 127.0.0.1 with the
 * given extra options (e.g. --address=/#/203.0.113.7), stopped in afterAll.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import dgram from 'node:dgram';

export interface Dnsmasq {
  port: number;
  process: ChildProcess;
  stop(): Promise<void>;
}

async function freeUdpPort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', () => resolve()));
  const port = s.address().port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

function probe(port: number): Promise<boolean> {
  // A query for "probe." A: any answer means dnsmasq is up.
  const q = Buffer.from('abcd010000010000000000000570726f62650000010001', 'hex');
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    const t = setTimeout(() => {
      s.close();
      resolve(false);
    }, 200);
    s.on('message', () => {
      clearTimeout(t);
      s.close();
      resolve(true);
    });
    s.send(q, port, '127.0.0.1');
  });
}

export async function startDnsmasq(options: string[]): Promise<Dnsmasq> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freeUdpPort();
    const child = spawn(
      'dnsmasq',
      [
        '--no-daemon',
        `--port=${port}`,
        '--listen-address=127.0.0.1',
        '--bind-interfaces',
        '--no-resolv',
        '--no-hosts',
        '--user=root',
        '-C',
        '/dev/null',
        ...options,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let exited = false;
    child.on('exit', () => (exited = true));
    for (let i = 0; i < 50 && !exited; i++) {
      if (await probe(port)) {
        return {
          port,
          process: child,
          stop: () =>
            new Promise<void>((resolve) => {
              if (exited) return resolve();
              child.once('exit', () => resolve());
              child.kill('SIGTERM');
            }),
        };
      }
    }
    child.kill('SIGKILL');
  }
  throw new Error('dnsmasq did not start (is it installed? apt-get install dnsmasq)');
}
