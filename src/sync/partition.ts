import type { Slice, SyncDeps, SyncPlan } from './context.js';
import { parentSlices } from './chaining.js';
import { renderTemplate, valuesResolver } from '../templating/template.js';

export type { Partition } from './context.js';
import type { Partition } from './context.js';

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
