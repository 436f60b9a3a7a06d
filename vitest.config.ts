import { defineConfig } from 'vitest/config';

// Integration tests start real servers on random ports: run files in parallel (2 cores) but keep each
// test's timeouts generous for a shared, noisy machine. The JSON report feeds .ci/run's summary line.
export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    exclude: ['node_modules/**', 'dist/**', 'web/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // expect.poll's default second is a loaded machine's page load: a browser test polling the dashboard then
    // fails on time, not on what it checks. Tests that need a tighter bound pass their own timeout.
    expect: { poll: { timeout: 10_000 } },
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default', ['json', { outputFile: 'test-results/report.json' }]],
  },
});
