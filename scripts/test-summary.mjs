// Prints the test counts from Vitest's JSON reports (one per Node version CI runs), one line per report
// and then the sum alone on the last line, which CI reads: "N passed, N failed[, N skipped]".
import { existsSync, readFileSync } from 'node:fs';

const files = process.argv.length > 2 ? process.argv.slice(2) : ['test-results/report.json'];

function countsOf(file) {
  if (!existsSync(file)) {
    console.log(`${file}: no report was written (the run failed before any test finished)`);
    return { passed: 0, failed: 1, skipped: 0 };
  }
  const report = JSON.parse(readFileSync(file, 'utf8'));
  // A test file that fails to load counts as a failed suite with no failed test: count it so it is never hidden.
  const brokenFiles = (report.testResults ?? []).filter(
    (suite) =>
      suite.status === 'failed' && (suite.assertionResults ?? []).every((test) => test.status !== 'failed'),
  ).length;
  return {
    passed: report.numPassedTests ?? 0,
    failed: (report.numFailedTests ?? 0) + brokenFiles,
    skipped: (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0),
  };
}

const line = ({ passed, failed, skipped }) =>
  `${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`;

const total = { passed: 0, failed: 0, skipped: 0 };
for (const file of files) {
  const counts = countsOf(file);
  if (files.length > 1) console.log(`${file}: ${line(counts)}`);
  for (const key of Object.keys(total)) total[key] += counts[key];
}
console.log(line(total));
