import { describe, expect, it } from 'vitest';
import { loadConfig, serveConfig, SERVE_REPOSITORY_LIST_INTERVAL_MS } from '../../../src/config.js';
import { completeListingDue } from '../../../src/endpoints/repositories.js';

// When the repository list is read completely (the only read that may delete) and when newest
// first. Ticks come each minute; a listing ends some seconds after its tick began.

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const T = Date.parse('2025-01-15T13:00:04Z'); // the 13:00 complete listing ended here

const rows: [name: string, input: Parameters<typeof completeListingDue>[0], due: boolean][] = [
  ['no complete listing yet', { intervalMs: HOUR, full: false, lastCompleteMs: null, nowMs: T }, true],
  ['interval 0: every pass', { intervalMs: 0, full: false, lastCompleteMs: T, nowMs: T + MINUTE }, true],
  ['--full', { intervalMs: HOUR, full: true, lastCompleteMs: T, nowMs: T + MINUTE }, true],
  ['the next minute', { intervalMs: HOUR, full: false, lastCompleteMs: T, nowMs: T - 4_000 + MINUTE }, false],
  ['13:59, more than a minute left', { intervalMs: HOUR, full: false, lastCompleteMs: T, nowMs: T - 4_000 + 59 * MINUTE }, false],
  ['14:00, seconds short of the hour: complete, so the hour does not creep', { intervalMs: HOUR, full: false, lastCompleteMs: T, nowMs: T - 4_000 + HOUR }, true],
  ['long after (serve was stopped)', { intervalMs: HOUR, full: false, lastCompleteMs: T, nowMs: T + 5 * HOUR }, true],
  ['a short interval keeps half of itself', { intervalMs: MINUTE, full: false, lastCompleteMs: T, nowMs: T + 20_000 }, false],
];

describe('completeListingDue', () => {
  it.each(rows)('%s', (_name, input, due) => {
    expect(completeListingDue(input)).toBe(due);
  });
});

describe('serve lists completely hourly by default, a sync every pass', () => {
  it('leaves an explicit interval alone and gives serve one hour when unset', () => {
    const unset = loadConfig({ env: {} });
    expect(unset.sync.repositoryListInterval).toBeUndefined();
    expect(serveConfig(unset).sync.repositoryListInterval).toBe(SERVE_REPOSITORY_LIST_INTERVAL_MS);
    expect(serveConfig(loadConfig({ env: { REPOSITORY_LIST_INTERVAL: '0s' } })).sync.repositoryListInterval).toBe(0);
    expect(serveConfig(loadConfig({ env: { REPOSITORY_LIST_INTERVAL: '6h' } })).sync.repositoryListInterval).toBe(6 * HOUR);
  });
});
