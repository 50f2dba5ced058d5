// Counters kept as plain numeric fields (a slice run's, a Hub client's): one way to list them,
// start them at zero and add them up.

/** The keys of T whose values are numbers. */
export type CountKeys<T> = { [K in keyof T]-?: T[K] extends number ? K : never }[keyof T];

/** The keys of a set of counters, given as an object so the compiler checks none is missing. */
export function countKeys<K extends string>(all: Record<K, true>): readonly K[] {
  return Object.keys(all) as K[];
}

export function zeroCounts<K extends string>(keys: readonly K[]): Record<K, number> {
  return Object.fromEntries(keys.map((key) => [key, 0])) as Record<K, number>;
}

/** Adds `from` into `into`, key by key. */
export function addCounts<K extends string>(keys: readonly K[], into: Record<K, number>, from: Readonly<Record<K, number>>): void {
  for (const key of keys) into[key] += from[key];
}

export function sumCounts<K extends string>(keys: readonly K[], all: readonly Readonly<Record<K, number>>[]): Record<K, number> {
  const sum = zeroCounts(keys);
  for (const counts of all) addCounts(keys, sum, counts);
  return sum;
}
