// `doctor`'s reads: for each credential, the cheapest request (one item) of every endpoint the
// registry and the config make it serve, once per namespace or organization. Nothing here
// knows a particular endpoint: the slices come from each endpoint's partition (a chained one
// takes the first item of its parent's probe), the request from its definition (or its own
// `probe`), and what a refusal means from its `requires`. No database is opened.

import type { Config } from '../config.js';
import { UsageError } from '../cli-errors.js';
import type { Database } from '../db/client.js';
import type { CredentialClient, HubClientSet } from '../hub/client-set.js';
import { scopeOfSlice } from '../hub/credentials.js';
import { HubNotFoundError } from '../hub/errors.js';
import { extractPage } from '../hub/pagination.js';
import { HUB_PATHS, hubPath } from '../hub/paths.js';
import type { AuthMode, PageShape, Query } from '../hub/types.js';
import type { EndpointDefinition, ProbeAnswer, Slice, SyncDeps, SyncPlan } from '../sync/context.js';
import { sliceOf } from '../sync/partition.js';
import { NOTHING_CONFIGURED, PlanError, planOf } from '../sync/plan.js';
import { credentialLanes } from '../sync/runner.js';
import { cannotRead, kindOf, verdictOf, type Verdict } from './doctor-verdict.js';

export interface DoctorRow extends Verdict {
  /** The credential's username (or `anonymous`), never its secret. */
  credential: string;
  kind: CredentialClient['kind'];
  /** The namespace or organization ('' for an endpoint read once per pass). */
  scope: string;
  endpoint: string;
  /** The URL asked (without credentials), when a request was made. */
  url?: string | undefined;
  /** Whether it makes the exit code 1 (cannotRead). */
  fails: boolean;
}

export interface DoctorWarning {
  credential: string;
  scope: string;
  endpoint: string;
  message: string;
}

export interface DoctorFindings {
  rows: DoctorRow[];
  warnings: DoctorWarning[];
}

interface Probe {
  slice: Slice;
  answer?: ProbeAnswer | undefined;
  verdict: Verdict;
}

interface HubAsk {
  path: string;
  query: Query;
  shape: PageShape | 'object';
  auth?: AuthMode | undefined;
  headers?: Record<string, string> | undefined;
  label: string;
}

/** The database `doctor` does not have: an endpoint whose slices need one says so, nothing is opened. */
const NO_DATABASE = new Proxy({} as Database, {
  get(_target, key) {
    if (key === 'then') return undefined;
    throw new Error('doctor reads no database: this endpoint works out its slices from stored rows');
  },
});

/** One request per credential and URL: the organization check and the member probe share theirs. */
class OnceFetcher {
  private readonly answers = new Map<string, Promise<ProbeAnswer>>();

  hub(credential: CredentialClient, ask: HubAsk): Promise<ProbeAnswer> {
    const key = `${credential.name}\n${ask.auth ?? ''}\n${ask.path}?${JSON.stringify(ask.query)}`;
    return this.remember(key, async () => {
      const response = await credential.client.request<unknown>({
        path: ask.path,
        query: ask.query,
        endpoint: ask.label,
        ...(ask.headers ? { headers: ask.headers } : {}),
        ...(ask.auth ? { auth: ask.auth } : {}),
      });
      const page = ask.shape === 'object' ? { items: [response.body], count: undefined } : extractPage(response.body);
      return { url: response.url, items: page?.items ?? [], count: page?.count };
    });
  }

  remember(key: string, run: () => Promise<ProbeAnswer>): Promise<ProbeAnswer> {
    let answer = this.answers.get(key);
    if (!answer) {
      answer = run();
      this.answers.set(key, answer);
      answer.catch(() => undefined);
    }
    return answer;
  }
}

/** One item of a listing: page_size=1 (SCIM: count=1); a single object or an unpaged list as it is. */
function oneItem(shape: PageShape | 'object', query: Query | undefined): Query {
  if (shape === 'object' || shape === 'data') return { ...query };
  return shape === 'scim' ? { ...query, count: 1 } : { ...query, page_size: 1 };
}

interface Lane {
  credential: CredentialClient;
  plan: SyncPlan;
  deps: SyncDeps;
  owns: (slice: Slice) => boolean;
}

interface Run {
  config: Config;
  clients: HubClientSet;
  registry: readonly EndpointDefinition[];
  once: OnceFetcher;
}

/** Whether a namespace is an organization: a one-item member listing, as a sync pass asks it (sync/plan.ts). */
async function isOrg(run: Run, namespace: string): Promise<boolean> {
  const path = hubPath(HUB_PATHS.orgMembers, { org: namespace });
  try {
    await run.once.hub(run.clients.forScope(namespace), { path, query: { page_size: 1 }, shape: 'results', label: `organization check for ${namespace}` });
    return true;
  } catch (error) {
    // Refused or failed: it may be an organization; its endpoints say what is wrong.
    return !(error instanceof HubNotFoundError);
  }
}

/** Who and what a sync pass would cover (sync/plan.ts), its organization checks asked here, without the database. */
export async function doctorPlan(run: Run): Promise<SyncPlan> {
  const detect = async (namespaces: string[]): Promise<string[]> => {
    const orgs: string[] = [];
    for (const namespace of namespaces) if (await isOrg(run, namespace)) orgs.push(namespace);
    return orgs;
  };
  try {
    return await planOf({ config: run.config, clients: run.clients }, { dryRun: true }, detect);
  } catch (error) {
    if (error instanceof PlanError) throw new UsageError(`nothing to check: ${NOTHING_CONFIGURED}`);
    throw error;
  }
}

/** The pass of each credential, as the runner cuts it (sync/runner.ts credentialLanes). */
function lanesOf(run: Run, plan: SyncPlan, deps: SyncDeps): Lane[] {
  const { clients } = run;
  return credentialLanes({ ...deps, clients }, plan).map((lane) => {
    const credential = clients.credentials.find((c) => c.name === lane.deps.credential) ?? clients.fallback;
    return { credential: { ...credential, kind: kindOf(credential, run.config.hub) }, plan: lane.plan, deps: lane.deps, owns: lane.owns };
  });
}

/** The probe of one slice: the endpoint's own, or its first request with one item asked for. */
async function probeSlice(run: Run, lane: Lane, endpoint: EndpointDefinition, slice: Slice): Promise<Probe> {
  try {
    let answer: ProbeAnswer;
    if (endpoint.probe) {
      const probe = endpoint.probe;
      answer = await run.once.remember(`${lane.credential.name}\n${endpoint.name}\n${slice.key}`, () => probe(slice, lane.plan, lane.deps));
    } else {
      const request = endpoint.request(slice, lane.plan, { config: run.config });
      answer = await run.once.hub(lane.credential, {
        path: request.path,
        query: oneItem(request.shape, request.query),
        shape: request.shape,
        auth: request.auth,
        headers: request.headers,
        label: `doctor: ${endpoint.name}${slice.key ? ` of ${slice.key}` : ''}`,
      });
    }
    return { slice, answer, verdict: { result: 'ok', detail: `${answer.items.length} item(s) read${answer.count !== undefined ? ` of ${answer.count}` : ''}` } };
  } catch (error) {
    return { slice, verdict: verdictOf(error, endpoint.requires, lane.credential.kind) };
  }
}

type Planned = { slice: Slice } | { scope: string; untested: string };

/** A chained endpoint's slices: one per scope, from the first item its parent's probe read there. */
function childSlices(endpoint: EndpointDefinition, parentProbes: Map<string, Probe> | undefined): Planned[] {
  const chain = endpoint.partition && 'parent' in endpoint.partition ? endpoint.partition.parent : undefined;
  if (!chain) return [];
  const out: Planned[] = [];
  for (const [scope, probe] of parentProbes ?? []) {
    const item = probe.answer?.items[0] as Record<string, unknown> | undefined;
    if (probe.verdict.result !== 'ok') {
      out.push({ scope, untested: `not tried: its parent ${chain.endpoint} could not be read` });
      continue;
    }
    const row: Record<string, unknown> = { ...probe.slice.params, ...(item ?? {}) };
    const params = Object.entries(chain.params).map(([param, field]) => [param, row[field]] as const);
    if (!item || params.some(([, value]) => typeof value !== 'string' && typeof value !== 'number')) {
      out.push({ scope, untested: `not tried: ${chain.endpoint} listed no item in ${scope || 'the pass'} to try it on` });
      continue;
    }
    const slice = sliceOf(Object.fromEntries(params.map(([param, value]) => [param, String(value)])));
    out.push({ slice: { ...slice, parent: row } });
  }
  return out;
}

/** The slices to try: the first of each scope the lane owns; and the scopes it leaves out for their credential, untested. */
async function plannedSlices(endpoint: EndpointDefinition, lane: Lane, probes: Map<string, Map<string, Probe>>): Promise<Planned[]> {
  if (endpoint.partition && 'parent' in endpoint.partition) return childSlices(endpoint, probes.get(endpoint.partition.parent.endpoint));
  const slices = (await endpoint.slices(lane.plan, lane.deps)).filter(lane.owns);
  const first = new Map<string, Slice>();
  for (const slice of slices) if (!first.has(scopeOfSlice(slice))) first.set(scopeOfSlice(slice), slice);
  const unserved = endpoint.unserved?.(lane.plan, lane.deps) ?? [];
  return [...[...first.values()].map((slice) => ({ slice })), ...unserved.map(({ scope, reason }) => ({ scope, untested: reason }))];
}

/**
 * An organization access token that reads a listing with a silent scope (the repository list) and
 * saw nothing the scope covers (no private repository on its page): it asks the same page without
 * the token (one request, no credential sent) and warns when the token sees no more than anyone.
 */
async function silentScopeWarning(run: Run, lane: Lane, endpoint: EndpointDefinition, probe: Probe): Promise<DoctorWarning | undefined> {
  const silent = endpoint.requires?.silentWithout;
  const scopeName = endpoint.requires?.oatScope;
  if (!silent || !scopeName || lane.credential.kind !== 'oat' || !probe.answer || endpoint.probe) return undefined;
  if (probe.answer.items.some((item) => (item as Record<string, unknown> | null)?.[silent.field] === true)) return undefined;
  const request = endpoint.request(probe.slice, lane.plan, { config: run.config });
  let publicCount: number | undefined;
  try {
    const anonymous = await run.once.hub(lane.credential, { path: request.path, query: oneItem(request.shape, request.query), shape: request.shape, auth: 'none', label: `doctor: ${endpoint.name} without a credential` });
    publicCount = anonymous.count;
  } catch {
    publicCount = undefined;
  }
  const seen = probe.answer.count;
  if (seen !== undefined && publicCount !== undefined && seen > publicCount) return undefined;
  const scope = scopeOfSlice(probe.slice);
  const counts = seen !== undefined && publicCount !== undefined ? ` (${seen}, as many as without any credential)` : '';
  return {
    credential: lane.credential.name,
    scope,
    endpoint: endpoint.name,
    message:
      `${lane.credential.name} (an organization access token) sees no ${silent.what} of ${scope}${counts}. Without ${scopeName} Docker Hub leaves them out ` +
      `with a normal 200; if ${scope} has ${silent.what}, give the token ${scopeName}.`,
  };
}

/** Every probe of every lane, in registry order (parents before the endpoints chained from them). */
export async function probeAll(run: Run, plan: SyncPlan, deps: Omit<SyncDeps, 'database' | 'client'>): Promise<DoctorFindings> {
  const rows: DoctorRow[] = [];
  const warnings: DoctorWarning[] = [];
  for (const lane of lanesOf(run, plan, { ...deps, database: NO_DATABASE, client: run.clients.fallback.client })) {
    const probes = new Map<string, Map<string, Probe>>();
    for (const endpoint of run.registry) {
      const row = (scope: string, verdict: Verdict, url?: string): DoctorRow => ({
        credential: lane.credential.name,
        kind: lane.credential.kind,
        scope,
        endpoint: endpoint.name,
        ...verdict,
        ...(url ? { url } : {}),
        fails: cannotRead(verdict.result, endpoint.requires),
      });
      let planned: Planned[];
      try {
        planned = await plannedSlices(endpoint, lane, probes);
      } catch (error) {
        rows.push(row('*', { result: 'error', detail: `could not work out what to try: ${(error as Error).message}` }));
        continue;
      }
      const mine = new Map<string, Probe>();
      probes.set(endpoint.name, mine);
      for (const item of planned) {
        if ('untested' in item) {
          rows.push(row(item.scope, { result: 'untested', detail: item.untested }));
          continue;
        }
        const probe = await probeSlice(run, lane, endpoint, item.slice);
        const scope = scopeOfSlice(item.slice);
        mine.set(scope, probe);
        rows.push(row(scope, probe.verdict, probe.answer?.url));
        if (probe.verdict.result === 'ok') {
          const warning = await silentScopeWarning(run, lane, endpoint, probe);
          if (warning) warnings.push(warning);
        }
      }
    }
  }
  return { rows, warnings };
}

export function createRun(config: Config, clients: HubClientSet, registry: readonly EndpointDefinition[]): Run {
  return { config, clients, registry, once: new OnceFetcher() };
}
