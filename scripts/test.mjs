#!/usr/bin/env node
// The project's one test command (`npm test`): type check, lint, format check, build, the unit, namespace and podman
// suites on this kernel, then the full-kernel suite inside user-mode-linux. Prints per-stage results
// and a final plain "N passed, N failed" line that CI reads. Exit status 0 only if all passed.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const results = path.join(root, '.test-results');
fs.rmSync(results, { recursive: true, force: true });
fs.mkdirSync(results, { recursive: true });

let passed = 0;
let failed = 0;
const lines = [];

function run(cmd, args, opts = {}) {
  console.log(`\n==> ${[cmd, ...args].join(' ')}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...opts });
  return r.status ?? 1;
}

function step(name, cmd, args) {
  const ok = run(cmd, args) === 0;
  if (ok) passed++;
  else failed++;
  lines.push(`${ok ? 'ok  ' : 'FAIL'} ${name}`);
  return ok;
}

// A suite counts its tests; a suite that could not run at all (crash, UML that does not boot,
// a test file that fails to load) counts as one failure so it can never pass silently.
// Skipped and todo tests count as failures: a skipped test proves nothing.
function suite(name, cmd, args, jsonFile) {
  const status = run(cmd, args);
  let report;
  try {
    report = JSON.parse(fs.readFileSync(jsonFile, 'utf8'));
  } catch {
    failed++;
    lines.push(`FAIL ${name}: no test report (exit status ${status})`);
    return;
  }
  const skipped = report.numPendingTests + report.numTodoTests;
  const broken = report.numRuntimeErrorTestSuites;
  passed += report.numPassedTests;
  failed += report.numFailedTests + skipped + broken;
  const bad = report.numFailedTests + skipped + broken;
  lines.push(
    `${bad === 0 && status === 0 ? 'ok  ' : 'FAIL'} ${name}: ${report.numPassedTests} passed, ${report.numFailedTests} failed` +
      (skipped ? `, ${skipped} skipped (counted as failed)` : '') +
      (broken ? `, ${broken} suites failed to run` : ''),
  );
  if (status !== 0 && bad === 0) {
    failed++;
    lines.push(`FAIL ${name}: runner exited with status ${status}`);
  }
}

const jest = path.join(root, 'node_modules', '.bin', 'jest');
step('typecheck (tsc --noEmit)', path.join(root, 'node_modules', '.bin', 'tsc'), ['--noEmit', '-p', '.']);
// The layering rules of DESIGN.md are lint rules (eslint.config.mjs).
step('lint (eslint)', path.join(root, 'node_modules', '.bin', 'eslint'), ['--max-warnings=0', '.']);
step('format (prettier --check)', path.join(root, 'node_modules', '.bin', 'prettier'), ['--check', '--log-level=warn', '.']);
const built = step('build (npm run build)', 'npm', ['run', '--silent', 'build']);
const unitJson = path.join(results, 'unit.json');
suite('unit', jest, ['--selectProjects', 'unit', '--json', `--outputFile=${unitJson}`], unitJson);
if (built) {
  const netnsJson = path.join(results, 'netns.json');
  suite(
    'netns (real kernel, throwaway namespaces)',
    jest,
    ['--selectProjects', 'netns', '--runInBand', '--json', `--outputFile=${netnsJson}`],
    netnsJson,
  );
  const e2eJson = path.join(results, 'e2e.json');
  suite('e2e (podman)', jest, ['--selectProjects', 'e2e', '--runInBand', '--json', `--outputFile=${e2eJson}`], e2eJson);
  const kernelJson = path.join(results, 'kernel.json');
  suite(
    'kernel (user-mode-linux)',
    'bash',
    [
      path.join(root, 'scripts', 'kernel-test.sh'),
      'node',
      jest,
      '--selectProjects',
      'kernel',
      '--runInBand',
      '--json',
      `--outputFile=${kernelJson}`,
    ],
    kernelJson,
  );
} else {
  failed += 3;
  lines.push('FAIL netns, e2e and kernel suites: not run because the build failed');
}

console.log('\nSummary');
for (const l of lines) console.log(`  ${l}`);
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed === 0 ? 0 : 1;
