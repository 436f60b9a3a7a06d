/**
 * Runs inside the test's server namespace: a UDP socket that answers every DNS query with an empty
 * response and asks the real DeviceRegistry (reading this namespace's kernel neighbour table) who sent
 * it. On stdin, `list` refreshes the registry and prints `devices <json>`.
 */
import { createSocket } from 'node:dgram';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { DeviceRegistry } from '../../../server/devices/registry.js';
import { silentLogger } from '../../../server/logger.js';
import { openConfigDb } from '../../../server/store/sqlite.js';

const [dataDir, bind, port] = process.argv.slice(2);
if (dataDir === undefined || bind === undefined || port === undefined)
  throw new Error('usage: DATA_DIR BIND PORT');
const db = openConfigDb(join(dataDir, 'tracksink.db'));
const registry = new DeviceRegistry({ db, logger: silentLogger });
const socket = createSocket('udp4');
socket.on('message', (message, remote) => {
  registry.deviceIdFor(remote.address);
  if (message.length < 12) return;
  const reply = Buffer.from(message);
  reply[2] = (reply[2] as number) | 0x80; // QR: this is a response (NOERROR, no answers)
  socket.send(reply, remote.port, remote.address);
});
socket.bind(Number(port), bind, () => process.stdout.write('ready\n'));
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() !== 'list') return;
  void registry.refresh().then(() => {
    process.stdout.write(`devices ${JSON.stringify(registry.list())}\n`);
  });
});
