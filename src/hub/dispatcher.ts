// The one undici dispatcher for Docker Hub traffic. Created here, passed in everywhere, never set
// as undici's global dispatcher (tests and the emulator run their own HTTP in the same process).

import { Agent } from 'undici';

export interface HubDispatcherOptions {
  /** Open connections per origin. Hub's limit is per IP, so more connections buy little. */
  connections?: number;
  connectTimeoutMs?: number;
  headersTimeoutMs?: number;
  bodyTimeoutMs?: number;
  keepAliveTimeoutMs?: number;
}

export function createHubDispatcher(options: HubDispatcherOptions = {}): Agent {
  return new Agent({
    connections: options.connections ?? 8,
    keepAliveTimeout: options.keepAliveTimeoutMs ?? 10_000,
    keepAliveMaxTimeout: 60_000,
    headersTimeout: options.headersTimeoutMs ?? 30_000,
    bodyTimeout: options.bodyTimeoutMs ?? 60_000,
    connect: { timeout: options.connectTimeoutMs ?? 10_000 },
  });
}
