// Pull-usage reports of the Enterprise Data API, made from the emulator's own pull events: every
// pull (POST /_emulator/repositories/…/pulls) is an event, and a seeded week of pulls before the
// world's epoch gives each organization some history. A daily report exists for each UTC day that
// has ended and has pulls; a weekly one (Monday to Sunday, dated the Monday) for each ended week.
// A report's CSV is computed from the events when asked, so its SizeBytes is that of the file.

import type { Clock } from '../clock.js';
import { prngFor } from '../prng.js';
import type { RepositoryStore } from './repositories.js';

const DAY = 86_400_000;
const HISTORY_DAYS = 7;

export const USAGE_PULLS = 'usage_pulls';
export const USAGE_COLUMNS = [
  { name: 'event_date', type: 'date', description: 'Date the pull occurred (UTC).' },
  { name: 'repository', type: 'string', description: 'Full repository name including namespace.' },
  { name: 'tag', type: 'string', description: 'Image tag that was pulled.' },
  { name: 'pull_count', type: 'integer', description: 'Number of pulls for this repository and tag on this date.' },
] as const;

export interface PullEvent {
  namespace: string;
  repository: string;
  tag: string;
  count: number;
  atMs: number;
}

export interface UsageReport {
  ReportType: string;
  Cadence: string;
  Date: string;
  SizeBytes: number;
  Key: string;
}

/**
 * How a report's CSV is broken on purpose (tests): a column its schema does not list, one it
 * lists left out, or the middle record's pull_count not a number (a bad row mid-file).
 * `repeated-rows` is no breakage but a shape a report may have: every repository and tag is
 * listed twice for its day, its pulls split between the two records (as a report with a finer
 * breakdown than its schema shows would read).
 */
export type ReportCorruption = 'extra-column' | 'missing-column' | 'bad-value' | 'repeated-rows';

const dayOf = (ms: number) => new Date(Math.floor(ms / DAY) * DAY).toISOString().slice(0, 10);
/** The Monday of the ISO week of a day. */
const weekOf = (ms: number) => {
  const day = Math.floor(ms / DAY);
  const monday = day - ((new Date(day * DAY).getUTCDay() + 6) % 7);
  return new Date(monday * DAY).toISOString().slice(0, 10);
};

export class UsageStore {
  readonly events: PullEvent[] = [];
  /** Organizations without Docker Enterprise (the Data API answers them 403). */
  readonly withoutEnterprise = new Set<string>();
  /** Organizations whose report types leave out the weekly cadence. */
  readonly withoutWeekly = new Set<string>();
  private readonly corrupted = new Map<string, ReportCorruption>();
  /** Each report's CSV as last made, and how many events there were then (events are only added). */
  private readonly made = new Map<string, { events: number; text: string }>();

  constructor(
    private readonly clock: Clock,
    seedKey: string,
    epochMs: number,
    orgs: readonly string[],
    repositories: RepositoryStore,
  ) {
    for (const org of orgs) this.seedHistory(seedKey, epochMs, org, repositories);
  }

  /** A week of pulls before the epoch for a few repositories and tags of the organization. */
  private seedHistory(seedKey: string, epochMs: number, org: string, repositories: RepositoryStore): void {
    const rng = prngFor(seedKey, 'usage', org);
    const repos = repositories.hasNamespace(org) ? repositories.sorted(org, 'name').slice(0, 3) : [];
    for (const repo of repos) {
      for (const tag of repositories.tagsPage(repo, 0, 2)) {
        for (let d = HISTORY_DAYS; d >= 1; d--) {
          const count = rng.int(0, 40);
          if (count > 0) this.events.push({ namespace: org, repository: repo.seed.name, tag: tag.name, count, atMs: epochMs - d * DAY + rng.int(0, DAY - 1) });
        }
      }
    }
  }

  record(event: PullEvent): void {
    if (event.count > 0) this.events.push(event);
  }

  /**
   * A large report (tests, benchmarks): pulls of `repositories` × `tags` made-up repositories
   * (`bulk-<n>`) and tags of the organization on one day, seeded; its daily report has that many rows.
   */
  bulk(org: string, options: { date: string; repositories: number; tags: number; seed: string }): void {
    const rng = prngFor(options.seed, 'usage-bulk', org, options.date);
    const dayMs = Date.parse(`${options.date}T00:00:00Z`);
    for (let r = 0; r < options.repositories; r++) {
      for (let t = 0; t < options.tags; t++) {
        this.events.push({ namespace: org, repository: `bulk-${r}`, tag: `t${t}`, count: rng.int(1, 100), atMs: dayMs + rng.int(0, DAY - 1) });
      }
    }
  }

  /** Pulls of an organization's repositories per `namespace/repository` and tag, summed (what a test compares with). */
  totals(org: string, untilMs = Number.POSITIVE_INFINITY): Map<string, number> {
    const out = new Map<string, number>();
    for (const e of this.events) {
      if (e.namespace !== org || e.atMs >= untilMs) continue;
      const key = `${e.namespace}/${e.repository}:${e.tag}`;
      out.set(key, (out.get(key) ?? 0) + e.count);
    }
    return out;
  }

  corrupt(org: string, cadence: string, date: string, how: ReportCorruption): void {
    this.corrupted.set(`${org}/${cadence}/${date}`, how);
    this.made.delete(`${org}/${cadence}/${date}`);
  }

  reportTypes(org: string): { ReportType: string; Cadence: string }[] {
    const types = [{ ReportType: USAGE_PULLS, Cadence: 'daily' }];
    if (!this.withoutWeekly.has(org)) types.push({ ReportType: USAGE_PULLS, Cadence: 'weekly' });
    types.push({ ReportType: 'image_access', Cadence: 'daily' });
    return types;
  }

  /** The reports of a type and cadence, newest first: the days (or weeks) that have ended and had pulls. */
  reports(org: string, type: string, cadence: string): UsageReport[] | undefined {
    if (type !== USAGE_PULLS || (cadence !== 'daily' && (cadence !== 'weekly' || this.withoutWeekly.has(org)))) return undefined;
    const dates = new Set<string>();
    const today = Math.floor(this.clock.now() / DAY) * DAY;
    for (const e of this.events) {
      if (e.namespace !== org) continue;
      const date = cadence === 'daily' ? dayOf(e.atMs) : weekOf(e.atMs);
      const ends = Date.parse(`${date}T00:00:00Z`) + (cadence === 'daily' ? DAY : 7 * DAY);
      if (ends <= today) dates.add(date);
    }
    return [...dates].sort().reverse().map((date) => {
      const key = `${org}/${USAGE_PULLS}/${cadence}/${date}.csv`;
      return { ReportType: USAGE_PULLS, Cadence: cadence, Date: date, SizeBytes: Buffer.byteLength(this.csv(org, cadence, date)), Key: key };
    });
  }

  /** The CSV of one report: per repository and tag (and, daily, per day) the pulls it covers; made again only after new events. */
  csv(org: string, cadence: string, date: string): string {
    const key = `${org}/${cadence}/${date}`;
    const made = this.made.get(key);
    if (made?.events === this.events.length) return made.text;
    const text = this.makeCsv(org, cadence, date);
    this.made.set(key, { events: this.events.length, text });
    return text;
  }

  private makeCsv(org: string, cadence: string, date: string): string {
    const sums = new Map<string, number>();
    for (const e of this.events) {
      if (e.namespace !== org) continue;
      if ((cadence === 'daily' ? dayOf(e.atMs) : weekOf(e.atMs)) !== date) continue;
      const key = `${e.namespace}/${e.repository}\u0000${e.tag}`;
      sums.set(key, (sums.get(key) ?? 0) + e.count);
    }
    const how = this.corrupted.get(`${org}/${cadence}/${date}`);
    const header = USAGE_COLUMNS.map((c) => c.name);
    const lines = [...sums.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).flatMap(([key, count]) => {
      const [repository, tag] = key.split('\u0000') as [string, string];
      if (how !== 'repeated-rows') return [[date, repository, tag, String(count)]];
      const half = Math.floor(count / 2);
      return [[date, repository, tag, String(half)], [date, repository, tag, String(count - half)]];
    });
    const middle = lines[Math.floor(lines.length / 2)];
    if (how === 'bad-value' && middle) middle[3] = 'not-a-number';
    const shaped = (cells: string[], extra: string) =>
      how === 'extra-column' ? [...cells, extra] : how === 'missing-column' ? cells.filter((_, i) => i !== 2) : cells;
    return [shaped(header, 'region'), ...lines.map((cells) => shaped(cells, 'eu-west-1'))].map((cells) => cells.join(',')).join('\n') + '\n';
  }
}
