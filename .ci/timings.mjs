// Prints where a test run's time went, from vitest's JSON report: each project's span (first
// file started to last file finished) and the ten slowest files. Usage: node .ci/timings.mjs <report.json>
import { readFileSync } from 'node:fs';

const report = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const files = report.testResults.map((result) => ({
  name: result.name.slice(result.name.indexOf('/test/') + 1),
  project: /\/test\/([^/]+)\//.exec(result.name)?.[1] ?? '?',
  start: result.startTime,
  end: result.endTime,
}));
if (files.length === 0) process.exit(0);
const origin = Math.min(...files.map((file) => file.start));
const seconds = (ms) => `${Math.round(ms / 1000)} s`.padStart(6);
for (const project of [...new Set(files.map((file) => file.project))].sort()) {
  const own = files.filter((file) => file.project === project);
  const start = Math.min(...own.map((file) => file.start));
  const end = Math.max(...own.map((file) => file.end));
  console.log(`${project.padEnd(12)} ${String(own.length).padStart(3)} files, from ${seconds(start - origin)} to ${seconds(end - origin)}`);
}
console.log('slowest files:');
for (const file of files.sort((a, b) => b.end - b.start - (a.end - a.start)).slice(0, 10)) {
  console.log(`  ${seconds(file.end - file.start)}  ${file.name}`);
}
