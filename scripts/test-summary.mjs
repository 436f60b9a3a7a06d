// Prints the test counts from Vitest's JSON report as one line CI can read: "N passed, N failed[, N skipped]".
import { existsSync, readFileSync } from 'node:fs';

const file = process.argv[2] ?? 'test-results/report.json';
if (!existsSync(file)) {
  console.log('tests: no report was written (the run failed before any test finished)');
  console.log('0 passed, 1 failed');
  process.exit(0);
}
const report = JSON.parse(readFileSync(file, 'utf8'));
const passed = report.numPassedTests ?? 0;
const failed = report.numFailedTests ?? 0;
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
// A test file that fails to load counts as a failed suite with no failed test: count it so it is never hidden.
const brokenFiles = (report.testResults ?? []).filter(
  (suite) =>
    suite.status === 'failed' && (suite.assertionResults ?? []).every((test) => test.status !== 'failed'),
).length;
const line = `${passed} passed, ${failed + brokenFiles} failed${skipped ? `, ${skipped} skipped` : ''}`;
console.log(line);
