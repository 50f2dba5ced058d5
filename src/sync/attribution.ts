import { AsyncLocalStorage } from 'node:async_hooks';
import type { HubRequestEvent } from '../hub/types.js';

/**
 * Which slice a Docker Hub request belongs to. Several jobs share one client (and so one
 * rate-limit budget) in `serve`; counting a slice's requests by the async context they were
 * made in keeps each slice's numbers its own.
 */
export interface RequestTally {
  requests: number;
  bytes: number;
}

const current = new AsyncLocalStorage<RequestTally>();

export function withRequestTally<T>(tally: RequestTally, fn: () => Promise<T>): Promise<T> {
  return current.run(tally, fn);
}

/** The client's onRequest hook: adds the attempt to the tally of the slice that made it. */
export function attributeRequest(event: HubRequestEvent): void {
  const tally = current.getStore();
  if (!tally) return;
  tally.requests++;
  tally.bytes += event.bytes;
}
