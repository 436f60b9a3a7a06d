// The floor of any DNS server written on Node.js's dgram: a UDP socket that answers each query with its
// own bytes (QR set) and does nothing else: no decoding, no policy, no logging. The benchmark measures
// it beside tracksink and dnsmasq so the report can tell Node's own cost per packet from tracksink's.
// Usage: node bench/lib/udp-echo.mjs PORT
import { createSocket } from 'node:dgram';

const port = Number(process.argv[2]);
// The same send path as tracksink's UDP server: rinfo addresses are literals, no dns.lookup per send.
const socket = createSocket({
  type: 'udp4',
  lookup: (address, _options, callback) => callback(null, address, 4),
});
socket.on('message', (message, rinfo) => {
  message[2] |= 0x80; // QR: a response
  socket.send(message, rinfo.port, rinfo.address);
});
socket.bind(port, '127.0.0.1', () => {
  socket.setRecvBufferSize(4 * 1024 * 1024);
  process.stdout.write(`echo listening on 127.0.0.1:${port}\n`);
});
process.on('SIGTERM', () => socket.close(() => process.exit(0)));
