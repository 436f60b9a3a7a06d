// Open-loop UDP DNS load at a fixed rate with per-query latency (dnsperf reports only average and maximum).
// Usage: node latency-load.mjs PORT QUERY_FILE RATE SECONDS  → one JSON line on stdout:
// { sent, answered, p50Us, p90Us, p99Us, maxUs, unanswered: [first, last] seconds after the start at which
// queries that got no answer were sent, or null }. QUERY_FILE has dnsperf's "name TYPE" lines, sent in turn.
// Run pinned to another core than the server (taskset) so the client does not compete with it.
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';

const [port, file, rateText, secondsText] = process.argv.slice(2);
const rate = Number(rateText);
const seconds = Number(secondsText);
const TYPES = { A: 1, AAAA: 28, HTTPS: 65, TXT: 16, MX: 15 };

function query(name, qtype) {
  const labels = name.split('.').filter((l) => l.length > 0);
  const out = Buffer.alloc(12 + labels.reduce((n, l) => n + 1 + l.length, 0) + 5);
  out.writeUInt16BE(0x0100, 2);
  out.writeUInt16BE(1, 4);
  let at = 12;
  for (const label of labels) {
    at = out.writeUInt8(label.length, at);
    at += out.write(label, at, 'latin1');
  }
  at = out.writeUInt8(0, at);
  at = out.writeUInt16BE(qtype, at);
  out.writeUInt16BE(1, at);
  return out;
}

const queries = readFileSync(file, 'utf8')
  .split('\n')
  .filter((line) => line.trim() !== '')
  .slice(0, 200_000)
  .map((line) => {
    const [name, type] = line.trim().split(/\s+/);
    return query(name, TYPES[type] ?? 1);
  });

const sentAt = new Float64Array(65536);
const latencies = [];
let sent = 0;
const socket = createSocket('udp4');
socket.on('message', (message) => {
  const id = message.readUInt16BE(0);
  const at = sentAt[id];
  if (at > 0) {
    latencies.push(performance.now() - at);
    sentAt[id] = 0;
  }
});
let began = 0;
socket.bind(0, '127.0.0.1', () => {
  const total = Math.round(rate * seconds);
  began = performance.now();
  const tick = () => {
    // Catch up to the schedule: the number of queries due by now, sent back to back.
    const due = Math.min(total, Math.floor(((performance.now() - began) / 1000) * rate));
    while (sent < due) {
      const packet = queries[sent % queries.length];
      const id = sent & 0xffff;
      packet.writeUInt16BE(id, 0);
      sentAt[id] = performance.now();
      socket.send(packet, Number(port), '127.0.0.1');
      sent++;
    }
    if (sent < total) setTimeout(tick, 1);
    else setTimeout(finish, 1000);
  };
  tick();
});

function finish() {
  socket.close();
  // Ids still waiting were never answered (ids repeat after 65,536 queries: then only the last round's).
  let first = Infinity;
  let last = -Infinity;
  for (const at of sentAt) {
    if (at === 0) continue;
    first = Math.min(first, at - began);
    last = Math.max(last, at - began);
  }
  latencies.sort((a, b) => a - b);
  const at = (q) =>
    Math.round((latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0) * 1000);
  console.log(
    JSON.stringify({
      sent,
      answered: latencies.length,
      p50Us: at(0.5),
      p90Us: at(0.9),
      p99Us: at(0.99),
      maxUs: Math.round((latencies[latencies.length - 1] ?? 0) * 1000),
      unanswered:
        first === Infinity ? null : [Number((first / 1000).toFixed(2)), Number((last / 1000).toFixed(2))],
    }),
  );
}
