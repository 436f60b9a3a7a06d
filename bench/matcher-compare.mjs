// Two builds' list matchers side by side (issue 16, "million pass" in bench/GAP.md): the same lists (a large hosts
// file, every 7th name as an adblock subdomain rule, every 11th in an allow list), the table's bytes, every
// look-up compared (exact, subdomain, miss, upper case; explain's hits for 2,000), and CPU per look-up.
// Usage: node bench/matcher-compare.mjs <old checkout> <new checkout> <hosts file> (each built: dist/server)
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
const [oldRoot, newRoot, file] = process.argv.slice(2);
const load = async (root) => ({
  parseList: (await import(join(root, 'dist/server/filter/parse.js'))).parseList,
  buildMatcher: (await import(join(root, 'dist/server/filter/matcher.js'))).buildMatcher,
  emptyListMatch: (await import(join(root, 'dist/server/filter/matcher.js'))).emptyListMatch,
});
const O = await load(oldRoot);
const N = await load(newRoot);
const text = readFileSync(file, 'utf8');
const names = text
  .split('\n')
  .filter((l) => l.startsWith('0.0.0.0 '))
  .map((l) => l.slice(8));
const mk = (M) => {
  const a = M.parseList(text, { listId: 1, format: 'hosts' });
  // a second list: every 7th name as an adblock subdomain rule, an allow list with every 11th
  const b = M.parseList(
    names
      .filter((_, i) => i % 7 === 0)
      .map((n) => `||${n}^`)
      .join('\n'),
    { listId: 2, format: 'adblock' },
  );
  const c = M.parseList(names.filter((_, i) => i % 11 === 0).join('\n'), { listId: 3, format: 'domains' });
  return M.buildMatcher([
    { id: 1, name: 'a', kind: 'block', parsed: a },
    { id: 2, name: 'b', kind: 'block', parsed: b },
    { id: 3, name: 'c', kind: 'allow', parsed: c },
  ]);
};
const ctx = { deviceId: 1, qtype: 1, groups: undefined, clientAllows: () => true };
const mo = mk(O);
const mn = mk(N);
console.log('entries', mo.entries, mn.entries, 'unique', mo.uniqueNames, mn.uniqueNames);
const bytes = (t) => Object.values(t).reduce((s, v) => s + (v?.byteLength ?? 0), 0);
console.log(
  'table bytes old',
  (bytes(mo.table) / 1048576).toFixed(2),
  'MB new',
  (bytes(mn.table) / 1048576).toFixed(2),
  'MB',
);
const queries = [];
for (let i = 0; i < 400000; i++) {
  const n = names[(i * 7919) % names.length];
  const r = i % 4;
  queries.push(r === 0 ? n : r === 1 ? `sub${i}.${n}` : r === 2 ? `miss${i}.example.org` : n.toUpperCase());
}
const oo = O.emptyListMatch(),
  on = N.emptyListMatch();
let diff = 0;
const keys = ['block', 'blockLine', 'exception', 'exceptionLine', 'importantBlock', 'importantException'];
for (const q of queries) {
  mo.match(q, ctx, oo);
  mn.match(q, ctx, on);
  for (const k of keys)
    if (oo[k] !== on[k]) {
      if (diff++ < 5) console.log('DIFF', q, k, oo[k], on[k]);
    }
}
for (const q of queries.slice(0, 2000)) {
  const a = JSON.stringify(mo.collect(q, ctx)),
    b = JSON.stringify(mn.collect(q, ctx));
  if (a !== b && diff++ < 10) console.log('COLLECT DIFF', q, a, b);
}
console.log('differences', diff);
const time = (m, out) => {
  const t0 = process.cpuUsage();
  for (let r = 0; r < 5; r++) for (const q of queries) m.match(q, ctx, out);
  const t = process.cpuUsage(t0);
  return ((t.user + t.system) / (5 * queries.length)) * 1000; // ns per lookup
};
for (let round = 0; round < 3; round++)
  console.log(`round ${round}: ns/lookup old ${time(mo, oo).toFixed(0)} new ${time(mn, on).toFixed(0)}`);
