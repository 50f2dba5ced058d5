#!/usr/bin/env node
// The published entry point runs the compiled CLI (built by `npm run build`, run on `npm ci`).
import { main } from '../dist/cli.js';

main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env }).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`dockerhub-sync: ${error?.message ?? error}\n`);
    process.exitCode = 1;
  },
);
