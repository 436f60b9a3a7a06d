/**
 * A prom-client metric whose values are read from a module's plain counters at scrape time. The DNS hot
 * path only increments numbers in its own stats object; nothing Prometheus-related runs per query.
 */
import type { Metric, Registry } from 'prom-client';

export type LabelValues = Record<string, string | number>;
export interface SampleValue {
  value: number;
  labels?: LabelValues;
  /** For histograms: `<name>_bucket`, `<name>_sum`, `<name>_count`. */
  metricName?: string;
}

export type MetricType = 'counter' | 'gauge' | 'histogram';

export function registerSnapshotMetric(
  registry: Registry,
  options: { name: string; help: string; type: MetricType; collect: () => SampleValue[] },
): void {
  const metric = {
    name: options.name,
    help: options.help,
    type: options.type,
    aggregator: 'sum',
    get: async () => ({
      name: options.name,
      help: options.help,
      type: options.type,
      aggregator: 'sum',
      values: options.collect(),
    }),
    reset: () => {},
  };
  registry.registerMetric(metric as unknown as Metric);
}

/**
 * Non-cumulative bucket counts (one per upper bound, plus +Inf) → Prometheus histogram samples
 * (cumulative `_bucket{le}`, `_sum`, `_count`), with bounds divided by `divisor` (1e6: µs → s; dividing
 * keeps 50 µs as 0.00005 where multiplying by 1e-6 would print 0.000049999…).
 */
export function histogramSamples(
  name: string,
  bounds: readonly number[],
  counts: ArrayLike<number>,
  sum: number,
  divisor: number,
  labels: LabelValues = {},
): SampleValue[] {
  const out: SampleValue[] = [];
  let cumulative = 0;
  bounds.forEach((bound, i) => {
    cumulative += counts[i] ?? 0;
    out.push({ metricName: `${name}_bucket`, labels: { ...labels, le: bound / divisor }, value: cumulative });
  });
  cumulative += counts[bounds.length] ?? 0;
  out.push({ metricName: `${name}_bucket`, labels: { ...labels, le: '+Inf' }, value: cumulative });
  out.push({ metricName: `${name}_sum`, labels, value: sum / divisor });
  out.push({ metricName: `${name}_count`, labels, value: cumulative });
  return out;
}
