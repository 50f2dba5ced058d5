import type { Slice, SyncDeps, SyncPlan } from './context.js';
import { parentSlices, type ParentPartition } from './chaining.js';
import { renderTemplate, valuesResolver } from '../templating/template.js';

/**
 * How an endpoint's work is cut into slices: the one model the built-in definitions
 * (endpoints/define.ts) and the config's endpoints (custom/compile.ts) both compile to, and that
 * `test-endpoint`, `endpoints show` and the job plan read.
 *
 * - `per`: one slice per organization, namespace, or the authenticated user of the pass, its
 *   value under the parameter `param`; `per: 'pass'`: one slice, without parameters;
 * - `list`: the slices a function of the pass and its settings lists (configured values,
 *   conditions on the credential); `needs` says what a configuration without any lacks;
 * - `parent`: one slice per live row of a parent endpoint (lookup chaining), due again when the
 *   row moved (sync/chaining.ts).
 */
export type Partition =
  | { per: 'org' | 'namespace' | 'user'; param: string }
  | { per: 'pass' }
  | {
      list: (plan: SyncPlan, deps: SyncDeps) => Promise<Record<string, string>[]>;
      params: readonly string[];
      /** The slice key, `{param}` placeholders (default: the values joined by `/`). */
      sliceKey?: string | undefined;
      /** What to set when the list is empty, for `test-endpoint` (`DOCKERHUB_WATCHED_TAGS`). */
      needs?: string | undefined;
      /**
       * How `endpoints show` writes a copy that reads the same requests from the parent's rows
       * (watched tags read one tag of a repository): the parent, the field of it each parameter is,
       * and literals for the others.
       */
      copyAs?: { parent: string; params: Readonly<Record<string, string>>; literals?: Readonly<Record<string, string>> } | undefined;
    }
  | { parent: ParentPartition };

/** The names of a partition's slice parameters. */
export function partitionParams(partition: Partition): string[] {
  if ('parent' in partition) return Object.keys(partition.parent.params);
  if ('list' in partition) return [...partition.params];
  return partition.per === 'pass' ? [] : [partition.param];
}

/** A slice of plain values: its key is the values joined by `/` (or the partition's template). */
export function sliceOf(values: Readonly<Record<string, string>>, template?: string): Slice {
  const key = template ? renderTemplate(template, valuesResolver(values)) : Object.values(values).join('/');
  return { key, params: { ...values } };
}

/** The values of the pass a `per` partition takes. */
export function perValues(per: 'org' | 'namespace' | 'user', plan: SyncPlan): string[] {
  if (per === 'org') return plan.orgs;
  if (per === 'namespace') return plan.namespaces;
  return plan.user ? [plan.user] : [];
}

/** The slices of one endpoint (`endpoint`: its name, whose state a parent partition reads) in a pass. */
export async function partitionSlices(partition: Partition, endpoint: string, plan: SyncPlan, deps: SyncDeps): Promise<Slice[]> {
  if ('parent' in partition) return parentSlices(partition.parent, endpoint, plan, deps);
  if ('list' in partition) return (await partition.list(plan, deps)).map((values) => sliceOf(values, partition.sliceKey));
  if (partition.per === 'pass') return [{ key: '', params: {} }];
  const { param } = partition;
  return perValues(partition.per, plan).map((value) => sliceOf({ [param]: value }));
}
