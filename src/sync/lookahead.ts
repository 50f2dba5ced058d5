/**
 * Yields each item together with whether it is the last one, by reading one item ahead. Lets
 * the last page of a listing commit in the same transaction as the cursor that covers it. The
 * last item also carries the source's return value (for `paginate`: whether the listing is
 * complete).
 */
export async function* withLast<T, R = unknown>(
  source: AsyncIterable<T, R> | AsyncIterator<T, R>,
): AsyncGenerator<{ value: T; last: boolean; end: R | undefined }> {
  const iterator = Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : source;
  let current = await iterator.next();
  while (!current.done) {
    const next = await iterator.next();
    yield { value: current.value, last: Boolean(next.done), end: next.done ? next.value : undefined };
    current = next;
  }
}
