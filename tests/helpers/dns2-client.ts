/** dns2 (an independent JS DNS implementation) as a test client, with the timeout its client lacks. */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export interface Dns2Record {
  name: string;
  type: number;
  ttl: number;
  address?: string;
  data?: string | string[];
  exchange?: string;
}
export interface Dns2Response {
  header: { id: number; rcode: number; tc: number; qr: number };
  answers: Dns2Record[];
  authorities: Dns2Record[];
}
type Dns2Resolve = (name: string, type: string) => Promise<Dns2Response>;

const dns2 = require('dns2') as {
  UDPClient: (opts: { dns: string; port: number }) => Dns2Resolve;
  TCPClient: (opts: { dns: string; port: number }) => Dns2Resolve;
};

export async function dns2Query(
  port: number,
  name: string,
  type: string,
  tcp = false,
): Promise<Dns2Response> {
  const resolve = (tcp ? dns2.TCPClient : dns2.UDPClient)({ dns: '127.0.0.1', port });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`dns2 query ${name} ${type} timed out`)), 3000);
  });
  try {
    return await Promise.race([resolve(name, type), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
