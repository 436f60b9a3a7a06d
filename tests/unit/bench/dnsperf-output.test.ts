import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DnsperfParseError, dnsperfArgs, parseDnsperfOutput } from '../../../bench/lib/dnsperf.js';

// Real dnsperf 2.10.0 outputs, captured against a dnsmasq stub on loopback.
const fixture = (name: string): string => readFileSync(join(import.meta.dirname, 'fixtures', name), 'utf8');

describe('parseDnsperfOutput', () => {
  it('reads counts, response codes, rate and latency of a clean run', () => {
    const result = parseDnsperfOutput(fixture('dnsperf-ok.txt'));
    expect(result).toMatchObject({ sent: 4000, completed: 4000, lost: 0, lossRatio: 0 });
    expect(result.rcodes).toEqual({ NOERROR: 2667, REFUSED: 1333 });
    expect(result.runSeconds).toBeCloseTo(2.000184, 6);
    expect(result.qps).toBeCloseTo(1999.816017, 6);
    expect(result.avgLatencyMs).toBeCloseTo(0.048, 6);
    expect(result.minLatencyMs).toBeCloseTo(0.026, 6);
    expect(result.maxLatencyMs).toBeCloseTo(0.238, 6);
  });

  it('reads a run where every query was lost, past the per-query timeout lines', () => {
    const result = parseDnsperfOutput(fixture('dnsperf-all-lost.txt'));
    expect(result).toMatchObject({ sent: 100, completed: 0, lost: 100, lossRatio: 1, qps: 0 });
    expect(result.rcodes).toEqual({});
  });

  it('names what is missing when the output has no statistics', () => {
    const output = 'DNS Performance Testing Tool\nVersion 2.10.0\n\nError: unable to open datafile: x.txt\n';
    expect(() => parseDnsperfOutput(output)).toThrow(DnsperfParseError);
    expect(() => parseDnsperfOutput(output)).toThrow(/no "Statistics:" block.*\n.*unable to open datafile/s);
  });

  it('rejects a statistics block without the loss line', () => {
    const broken = fixture('dnsperf-ok.txt').replace(/^\s*Queries lost:.*$/m, '');
    expect(() => parseDnsperfOutput(broken)).toThrow(/no "Queries lost" line/);
  });
});

describe('dnsperfArgs', () => {
  it('passes a fixed rate as -Q and leaves it out for closed-loop runs', () => {
    const fixed = dnsperfArgs({ port: 5300, file: 'q.txt', seconds: 8, rate: 40000.4 });
    expect(fixed.join(' ')).toContain('-Q 40000');
    expect(fixed.join(' ')).toContain('-p 5300 -d q.txt -l 8');
    expect(dnsperfArgs({ port: 5300, file: 'q.txt', seconds: 8 })).not.toContain('-Q');
  });
});
