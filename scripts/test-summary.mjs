// Sums the Vitest and Playwright JSON reports into one closing line: "tests: N passed, N failed".
import * as fs from 'node:fs';
import * as path from 'node:path';

const dir = process.argv[2];
let passed = 0;
let failed = 0;
let skipped = 0;

for (const name of ['vitest.json', 'vitest-boot.json']) {
  const file = path.join(dir, name);
  if (fs.existsSync(file)) {
    const r = JSON.parse(fs.readFileSync(file, 'utf8'));
    passed += r.numPassedTests ?? 0;
    failed += (r.numFailedTests ?? 0) + (r.numFailedTestSuites ?? 0);
    skipped += (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  } else {
    failed += 1;
    console.error(`test-summary: no report ${name}`);
  }
}

const pw = path.join(dir, 'playwright.json');
if (fs.existsSync(pw)) {
  const r = JSON.parse(fs.readFileSync(pw, 'utf8'));
  passed += r.stats?.expected ?? 0;
  failed += r.stats?.unexpected ?? 0;
  passed += r.stats?.flaky ?? 0; // passed on retry (Playwright exits 0 for these too)
  skipped += r.stats?.skipped ?? 0;
}

console.log(`tests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
