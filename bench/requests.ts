/**
 * Request economy: what each kind of pass costs against what it must cost at least, the minimum
 * computed from the emulator's own data. Repository-scaled requests (list pages, details, tag
 * pages) are compared with the minimum; the fixed per-organization requests (login, member,
 * team, settings, token and invite listings, audit windows) are reported beside them.
 */
import type { Logger } from 'pino';
import type { Config } from '../src/config.js';
import type { Database } from '../src/db/client.js';
import type { RunningEmulator } from '../src/emulator/index.js';
import type { HubClient } from '../src/hub/client.js';
import { runSync } from '../src/sync/runner.js';
import { endpoints } from '../src/endpoints/index.js';

const PAGE = 100;
const REPOSITORY_ROUTES = ['repositories.list', 'repositories.get', 'tags.list'] as const;

export interface PassFigures {
  pass: string;
  /** Requests on the repository routes (list, detail, tag pages). */
  requests: number;
  minimum: number;
  ratio: number;
  /** Everything else the pass asked (fixed per organization: org listings, audit windows, login). */
  other: number;
  byRoute: Record<string, number>;
  seconds: number;
  rowsWritten: number;
  failedSlices: number;
}

interface RepoFacts {
  key: string;
  lastUpdated: string | null;
  changeMarker: string | null;
  pullCount: number;
  tags: number;
}

/** What the emulator holds now, as the minimum needs it: per repository its markers and tag count. */
export function repositoryFacts(emulator: RunningEmulator): { namespaces: Map<string, number>; repos: Map<string, RepoFacts> } {
  const snapshot = emulator.snapshot({ tags: false });
  const namespaces = new Map<string, number>();
  const repos = new Map<string, RepoFacts>();
  for (const [namespace, list] of Object.entries(snapshot.repositories)) {
    namespaces.set(namespace, list.length);
    for (const repo of list) {
      const state = emulator.state.repository(namespace, repo.name);
      repos.set(`${namespace}/${repo.name}`, {
        key: `${namespace}/${repo.name}`,
        lastUpdated: repo.last_updated ?? null,
        changeMarker: repo.last_modified ?? repo.last_updated ?? null,
        pullCount: repo.pull_count,
        tags: emulator.state.repositories.tagCount(state),
      });
    }
  }
  return { namespaces, repos };
}

const pages = (n: number) => Math.max(1, Math.ceil(n / PAGE));

export type Facts = ReturnType<typeof repositoryFacts>;

/** List pages of every namespace. */
export function listPages(facts: Facts): number {
  let n = 0;
  for (const count of facts.namespaces.values()) n += pages(count);
  return n;
}

/** First pass: the list, one detail per repository and its tag pages. */
export function firstPassMinimum(facts: Facts): number {
  let n = listPages(facts);
  for (const repo of facts.repos.values()) n += 1 + pages(repo.tags);
  return n;
}

/**
 * After changes: the list, a detail where the detail marker moved (or the repository is new),
 * tag pages where a push (`last_updated`) or a pull (`pull_count`) moved.
 */
export function changedPassMinimum(before: Facts, after: Facts): number {
  let n = listPages(after);
  for (const repo of after.repos.values()) {
    const old = before.repos.get(repo.key);
    if (!old || old.changeMarker !== repo.changeMarker) n += 1;
    if (!old || old.lastUpdated !== repo.lastUpdated || old.pullCount !== repo.pullCount) n += pages(repo.tags);
  }
  return n;
}

export interface PassContext {
  emulator: RunningEmulator;
  database: Database;
  client: HubClient;
  logger: Logger;
}

export async function measurePass(ctx: PassContext, config: Config, label: string, minimum: number, options: { full?: boolean; dryRun?: boolean } = {}): Promise<PassFigures> {
  ctx.emulator.requests.reset();
  const started = performance.now();
  const summary = await runSync({ database: ctx.database, client: ctx.client, logger: ctx.logger, config, registry: endpoints }, options);
  const seconds = (performance.now() - started) / 1000;
  const byRoute = ctx.emulator.requests.counts;
  const requests = REPOSITORY_ROUTES.reduce((n, route) => n + (byRoute[route] ?? 0), 0);
  return {
    pass: label,
    requests,
    minimum,
    ratio: minimum === 0 ? (requests === 0 ? 1 : Infinity) : requests / minimum,
    other: ctx.emulator.requests.total - requests,
    byRoute,
    seconds,
    rowsWritten: summary.slices.reduce((n, s) => n + s.inserted + s.updated + s.deleted, 0),
    failedSlices: summary.failed,
  };
}

/** A day's worth of activity on a few repositories: pushes, pulls, a description edit, a deletion. */
export function mutate(emulator: RunningEmulator, facts: Facts, counts: { pushed: number; pulled: number }): string {
  const keys = [...facts.repos.keys()].sort();
  const step = Math.max(1, Math.floor(keys.length / (counts.pushed + counts.pulled + 3)));
  const pick = (i: number) => keys[(i * step) % keys.length]!.split('/') as [string, string];
  let i = 0;
  for (let p = 0; p < counts.pushed; p++) {
    const [namespace, name] = pick(i++);
    emulator.state.addTag(namespace, name, `bench-${p}`);
  }
  for (let p = 0; p < counts.pulled; p++) {
    const [namespace, name] = pick(i++);
    emulator.state.bumpPulls(namespace, name, 3 + p);
  }
  const [editNs, editName] = pick(i++);
  emulator.state.updateRepository(editNs, editName, { description: 'edited by the benchmark' }, emulator.state.user);
  const [goneNs, goneName] = pick(i++);
  emulator.state.deleteRepository(goneNs, goneName);
  return `${counts.pushed} pushed, ${counts.pulled} pulled, 1 edited, 1 deleted`;
}
