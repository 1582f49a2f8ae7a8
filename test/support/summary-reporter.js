// Prints one plain closing line ("Summary: N passed, N failed, N skipped") after Jest's own report,
// so tools that read the last line of a test run see the totals. It also accounts for every skip:
// suites skipped on purpose carry "[expected skip: <reason>]" in their title (see
// test/support/test-database.ts) and are counted by reason; in CI (CI=true) any other skip — a missing
// service, a forgotten .skip — fails the run.
const EXPECTED_SKIP = /\[expected skip: ([^\]]+)\]/;

class SummaryReporter {
  constructor() {
    this.error = undefined;
  }

  onRunComplete(_contexts, results) {
    const expected = new Map();
    const unexpected = [];
    for (const file of results.testResults) {
      for (const test of file.testResults) {
        if (test.status !== 'pending' && test.status !== 'skipped' && test.status !== 'todo') continue;
        const reason = [...test.ancestorTitles, test.title].map((title) => EXPECTED_SKIP.exec(title)).find(Boolean);
        if (reason) expected.set(reason[1], (expected.get(reason[1]) ?? 0) + 1);
        else unexpected.push(`${file.testFilePath.replace(process.cwd() + '/', '')}: ${[...test.ancestorTitles, test.title].join(' › ')}`);
      }
    }
    const skipped = results.numPendingTests + results.numTodoTests;
    const reasons = [...expected].map(([reason, count]) => `${count} ${reason}`).join(', ');
    if (expected.size > 0) process.stdout.write(`\nExpected skips: ${reasons}\n`);
    if (unexpected.length > 0) {
      process.stdout.write(`\nUnexpected skips (${unexpected.length}):\n${unexpected.map((name) => `  - ${name}`).join('\n')}\n`);
      if (/^(true|1)$/i.test(process.env.CI ?? '')) {
        this.error = new Error(`${unexpected.length} test(s) skipped without an expected reason; in CI that is a failure`);
        process.stdout.write(`${this.error.message}\n`);
      }
    }
    process.stdout.write(`\nSummary: ${results.numPassedTests} passed, ${results.numFailedTests} failed, ${skipped} skipped\n`);
  }

  /** Jest fails the run (exit code 1) when a reporter reports an error. */
  getLastError() {
    return this.error;
  }
}
module.exports = SummaryReporter;
