/**
 * Yields each item together with whether it is the last one, by reading one item ahead. Lets
 * the last page of a listing commit in the same transaction as the cursor that covers it.
 */
export async function* withLast<T>(source: AsyncIterable<T>): AsyncGenerator<{ value: T; last: boolean }> {
  const iterator = source[Symbol.asyncIterator]();
  let current = await iterator.next();
  while (!current.done) {
    const next = await iterator.next();
    yield { value: current.value, last: Boolean(next.done) };
    current = next;
  }
}
