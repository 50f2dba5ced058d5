import { systemClock } from '../hub/clock.js';
import { configuredNamespaces } from '../sync/plan.js';
import type { SyncDeps } from '../sync/context.js';
import { runSync, type SyncSummary } from '../sync/runner.js';

/**
 * Webhook hints: "this repository was pushed to". Docker Hub signs no delivery, so a hint is never
 * data: it makes the repository's detail and tags due and reads them at once through the
 * authenticated API, like a pass would (each slice under its lease, so a replica or a scheduled
 * tick running the same slice is never doubled), and stores only what the API answered.
 *
 * A hinted read records no cursor (sync/slice-run.ts) and counts as no run of a job
 * (scheduler/runs.ts): the scheduled passes decide, and read, exactly what they would have
 * without it. A hint can make a read come earlier; it can never make one be skipped.
 *
 * Coalescing: a hint waits `delayMs` before its read starts; hints for the same repository that
 * arrive meanwhile merge into it (a CI job pushing `latest`, `1.2` and `1.2.3` costs one read).
 * A hint that arrives while that repository's read runs queues exactly one more read after it
 * (the running read may have listed the tags before the push); any further hints merge into that
 * one. Reads run one at a time. A slice held by someone else (a tick or a replica reading it now)
 * is tried again after a back-off, a few times.
 */

export interface RepositoryHint {
  namespace: string;
  repository: string;
}

/** queued: a read will run for it; merged: into a read already waiting; ignored: not a configured namespace; busy: too many waiting. */
export type HintAnswer = 'queued' | 'merged' | 'ignored' | 'busy';

/** How a hinted read ended: the worst of its slices (held: another process had a slice, tried again). */
export type HintReadOutcome = 'succeeded' | 'failed' | 'held' | 'aborted' | 'error';

export interface HintQueueOptions {
  /** The same dependencies as the scheduled ticks (database, clients, registry, config, logger). */
  deps: SyncDeps;
  /** Time a hint waits for others of its repository before its read starts (default 1 s). */
  delayMs?: number;
  /** Repositories waiting at most; a hint beyond is answered `busy` (default 1000). */
  maxPending?: number;
  /** Attempts of a read whose slices another process held (default 5), `retryMs` apart, doubling. */
  attempts?: number;
  retryMs?: number;
  /** Waits `ms` unless the signal aborts first. Tests replace it to decide when a read starts. */
  wait?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** A hinted read finished. */
  onRead?: (hint: RepositoryHint, outcome: HintReadOutcome, summary: SyncSummary | undefined) => void;
}

export interface HintQueue {
  offer(hint: RepositoryHint): HintAnswer;
  /** Repositories with a read waiting or running. */
  pending(): number;
  /** No new reads; the running one stops after its current page. Resolves when it has. */
  stop(timeoutMs: number): Promise<void>;
}

/** The endpoints a hint reads: a repository's detail and its tags (those of the registry). */
export const HINTED_ENDPOINTS = ['repository_details', 'tags'] as const;

interface Entry {
  hint: RepositoryHint;
  running: boolean;
  /** A hint came while the read ran: one more read after it. */
  again: boolean;
  attempt: number;
}

const keyOf = (hint: RepositoryHint) => `${hint.namespace}/${hint.repository}`;

/** Waits `ms`, or less when the signal aborts first (the hub clock's sleep, which rejects then). */
const sleepUnlessAborted = (ms: number, signal: AbortSignal): Promise<void> => systemClock.sleep(ms, signal).catch(() => undefined);

export function createHintQueue(options: HintQueueOptions): HintQueue {
  const { deps } = options;
  const delayMs = options.delayMs ?? 1000;
  const maxPending = options.maxPending ?? 1000;
  const wait = options.wait ?? sleepUnlessAborted;
  const namespaces = new Set(configuredNamespaces(deps.config, deps.clients?.credentials ?? []));
  const only = HINTED_ENDPOINTS.filter((name) => deps.registry.some((endpoint) => endpoint.name === name));
  const entries = new Map<string, Entry>();
  /** Keys whose read waits to start, in arrival order. */
  const queue: string[] = [];
  const controller = new AbortController();
  let worker: Promise<void> | undefined;

  const readOnce = async (entry: Entry): Promise<HintReadOutcome> => {
    const { namespace, repository } = entry.hint;
    let summary: SyncSummary | undefined;
    let outcome: HintReadOutcome;
    try {
      summary = await runSync(deps, { only, namespaces: [namespace], hints: [{ namespace, name: repository }], signal: controller.signal });
      outcome = readOutcome(summary, controller.signal.aborted);
    } catch (error) {
      outcome = controller.signal.aborted ? 'aborted' : 'error';
      deps.logger.error({ err: error, namespace, repository }, `the read of ${namespace}/${repository} a webhook asked for could not run`);
    }
    deps.logger.info({ namespace, repository, outcome, requests: summary?.requests, attempt: entry.attempt }, 'webhook hint read');
    options.onRead?.(entry.hint, outcome, summary);
    return outcome;
  };

  const next = async (key: string): Promise<void> => {
    const entry = entries.get(key)!;
    await wait(entry.attempt === 0 ? delayMs : (options.retryMs ?? 2000) * 2 ** (entry.attempt - 1), controller.signal);
    if (controller.signal.aborted) return;
    entry.running = true;
    const outcome = await readOnce(entry);
    entry.running = false;
    if (outcome === 'held' && entry.attempt + 1 < (options.attempts ?? 5)) {
      entry.attempt++;
      queue.push(key);
    } else if (entry.again) {
      entry.again = false;
      entry.attempt = 0;
      queue.push(key);
    } else entries.delete(key);
  };

  const drain = async (): Promise<void> => {
    while (queue.length > 0 && !controller.signal.aborted) await next(queue.shift()!);
    worker = undefined;
  };

  return {
    offer(hint) {
      if (!namespaces.has(hint.namespace)) return 'ignored';
      const key = keyOf(hint);
      const entry = entries.get(key);
      if (entry) {
        if (!entry.running || entry.again) return 'merged';
        entry.again = true;
        return 'queued';
      }
      if (entries.size >= maxPending || controller.signal.aborted) return 'busy';
      entries.set(key, { hint, running: false, again: false, attempt: 0 });
      queue.push(key);
      worker ??= drain();
      return 'queued';
    },
    pending: () => entries.size,
    async stop(timeoutMs) {
      controller.abort();
      if (!worker) return;
      await Promise.race([worker, new Promise((resolve) => setTimeout(resolve, timeoutMs).unref())]);
    },
  };
}

/** The worst of the slices: a failure, else a slice another process held, else done. */
function readOutcome(summary: SyncSummary, aborted: boolean): HintReadOutcome {
  if (aborted || summary.slices.some((slice) => slice.status === 'aborted')) return 'aborted';
  if (summary.failed > 0) return 'failed';
  if (summary.held > 0) return 'held';
  return 'succeeded';
}
