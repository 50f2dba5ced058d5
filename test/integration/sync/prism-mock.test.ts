// Opt-in (PRISM_MOCK=1): sync against Prism's dynamic mock of the official spec, which answers
// every request with random payloads that are valid for the spec: ids and counters anywhere in
// the `number` range, random strings for `next`, random dates. Whatever comes back, a slice must
// end succeeded, or failed for a Hub reason (404, 403, a page of the wrong shape), never on a
// database error. Prism is fetched from the npm registry by npx, never added to package.json.
//
//   PRISM_MOCK=1 [PRISM_PASSES=20] [PRISM_SPEC=../shared/hub-api/spec-2beta-c95ded2.yaml] \
//   TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npx vitest run test/integration/sync/prism-mock.test.ts

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hubClientFromConfig } from '../../../src/commands/hub.js';
import { loadConfig } from '../../../src/config.js';
import type { Database } from '../../../src/db/client.js';
import { runSync, type SliceReport } from '../../../src/sync/runner.js';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';
import { freePort } from '../../support/tcp.js';
import { endpoints } from '../../../src/endpoints/index.js';

const enabled = process.env.PRISM_MOCK === '1';
const passes = Number(process.env.PRISM_PASSES ?? 20);
const spec = path.resolve(process.env.PRISM_SPEC ?? path.join(process.cwd(), '..', 'shared', 'hub-api', 'spec-2beta-c95ded2.yaml'));

/** Why a slice may fail against random, spec-valid answers: the Hub said no, or the page was unusable. */
const HUB_REASONS: [string, RegExp][] = [
  ['404', /\b404\b|not found|no longer exists/i],
  ['403', /\b403\b|forbidden|permission|not allowed/i],
  ['401', /\b401\b|authenticat/i],
  ['page shape', /is not a \w+ page|does not match the expected shape|expected|invalid/i],
  ['pagination', /links to a page already read|after \d+ pages/],
];
const DATABASE_ERROR = /^database error|Failed query|invalid input syntax|out of range|violates|invalid byte sequence|index row size/i;

/** Starts `prism mock -d`; resolves its URL, or a reason it could not start. */
async function startPrism(port: number): Promise<{ url: string; child: ChildProcess } | { reason: string }> {
  if (!existsSync(spec)) return { reason: `the spec ${spec} is not there (set PRISM_SPEC)` };
  const child = spawn('npx', ['--yes', '@stoplight/prism-cli@5', 'mock', '-d', '-h', '127.0.0.1', '-p', String(port), spec], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      stopPrism(child);
      resolve({ reason: `prism did not start within 180 s: ${output.slice(-500)}` });
    }, 180_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Prism is listening')) {
        clearTimeout(timer);
        resolve({ url: `http://127.0.0.1:${port}`, child });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ reason: `prism exited with ${String(code)}: ${output.slice(-500)}` });
    });
  });
}

function stopPrism(child: ChildProcess): void {
  // npx runs prism as a child of its own: end the whole group we started.
  if (child.pid !== undefined && child.exitCode === null) {
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
}

let prism: { url: string; child: ChildProcess } | { reason: string } | undefined;
let target: TestDatabase | undefined;
let database: Database | undefined;

beforeAll(async () => {
  if (!enabled) return;
  prism = await startPrism(await freePort());
  if ('reason' in prism) return;
  target = await createTestDatabase();
  database = await target.open();
}, 240_000);

afterAll(async () => {
  await database?.close();
  await target?.destroy();
  if (prism && 'child' in prism) stopPrism(prism.child);
});

describe('sync against the dynamic mock of the official spec (opt-in: PRISM_MOCK=1)', () => {
  it(`${passes} passes: every slice succeeds or fails for a Hub reason, never on the database`, { timeout: 1_800_000 }, async (ctx) => {
    if (!enabled) {
      ctx.skip('opt-in: set PRISM_MOCK=1 (needs npx to fetch @stoplight/prism-cli@5 from the npm registry)');
      return;
    }
    if (!prism || 'reason' in prism || !database) {
      ctx.skip(`prism could not start: ${prism && 'reason' in prism ? prism.reason : 'unknown'}`);
      return;
    }
    const config = loadConfig({
      env: {
        DOCKERHUB_API_URL: prism.url,
        DOCKERHUB_USERNAME: 'prism-user',
        DOCKERHUB_PASSWORD: 'prism-password',
        DOCKERHUB_NAMESPACES: 'acme',
        DOCKERHUB_ORGS: 'acme',
        DOCKERHUB_WATCHED_TAGS: 'acme/web:latest',
        DOCKERHUB_MAX_RETRIES: '1',
        AUDIT_INITIAL_LOOKBACK: '2d',
        AUDIT_WINDOW: '1d',
        LOG_LEVEL: 'silent',
      },
    });
    const logger = pino({ level: 'silent' });
    const all: (SliceReport & { pass: number })[] = [];
    for (let pass = 1; pass <= passes; pass++) {
      const client = hubClientFromConfig(config, logger);
      try {
        const summary = await runSync({ database, client, logger, config, registry: endpoints }, { full: pass % 2 === 1 });
        all.push(...summary.slices.map((slice) => ({ ...slice, pass })));
      } finally {
        await client.close();
      }
    }

    const tally = new Map<string, number>();
    const invalid = new Map<string, number>();
    for (const slice of all) invalid.set(slice.endpoint, (invalid.get(slice.endpoint) ?? 0) + slice.invalid);
    const unexplained: string[] = [];
    for (const slice of all) {
      let key: string = slice.status;
      if (slice.status === 'failed') {
        const error = slice.error ?? '';
        expect(error, `pass ${slice.pass} ${slice.endpoint} ${slice.slice} failed on the database`).not.toMatch(DATABASE_ERROR);
        const reason = HUB_REASONS.find(([, pattern]) => pattern.test(error))?.[0];
        if (!reason) unexplained.push(`pass ${slice.pass} ${slice.endpoint} ${slice.slice}: ${error}`);
        key = `failed (${reason ?? 'other'})`;
      }
      const label = `${slice.endpoint}: ${key}`;
      tally.set(label, (tally.get(label) ?? 0) + 1);
    }
    console.log(
      `prism mock, ${passes} passes, ${all.length} slice runs:\n${[...tally.entries()]
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([label, n]) => `  ${label}: ${n}`)
        .join('\n')}\nitems refused into sync_errors: ${[...invalid.entries()].map(([endpoint, n]) => `${endpoint} ${n}`).join(', ')}`,
    );
    expect(unexplained).toEqual([]);
    expect(all.some((slice) => slice.status === 'succeeded')).toBe(true);
  });
});
