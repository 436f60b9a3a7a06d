// Prints the test counts from Vitest's JSON reports (one per Node version CI runs), one line per report
// and then the sum alone on the last line, which CI reads: "N passed, N failed[, N skipped]".
// Each failed test is named just above the counts (file, test and the first line of its error), because a
// CI log is often read from its end only: the names must not be thousands of lines above.
import { existsSync, readFileSync } from 'node:fs';
import { relative } from 'node:path';

/** The first non-empty line of an error, without terminal colours, at most 300 characters. */
function firstLine(text) {
  // eslint-disable-next-line no-control-regex
  const plain = String(text ?? '').replace(/\u001b\[[0-9;]*m/g, '');
  const line = plain.split('\n').find((part) => part.trim() !== '') ?? '(no message)';
  return line.trim().slice(0, 300);
}

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
  for (const suite of report.testResults ?? []) {
    const where = relative(process.cwd(), suite.name ?? '?');
    const failedTests = (suite.assertionResults ?? []).filter((test) => test.status === 'failed');
    if (suite.status === 'failed' && failedTests.length === 0) {
      console.log(`FAILED ${file}: ${where} did not load: ${firstLine(suite.message)}`);
    }
    for (const test of failedTests) {
      console.log(
        `FAILED ${file}: ${where} > ${test.fullName ?? test.title}: ${firstLine(test.failureMessages?.[0])}`,
      );
    }
  }
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
