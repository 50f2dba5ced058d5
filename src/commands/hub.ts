import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { createHubClient, type HubClient, type HubClientOptions } from '../hub/client.js';
import { createHubDispatcher } from '../hub/dispatcher.js';
import { attributeRequest } from '../sync/attribution.js';

/** A Docker Hub client configured from the parsed config; closing it closes its dispatcher. */
export function hubClientFromConfig(
  config: Config,
  logger: Logger,
  extra: Partial<HubClientOptions> = {},
): HubClient {
  const { hub } = config;
  const dispatcher =
    extra.dispatcher ?? createHubDispatcher({ headersTimeoutMs: hub.timeout, bodyTimeoutMs: hub.timeout });
  const options: HubClientOptions = {
    baseUrl: hub.apiUrl,
    logger,
    maxRetryWaitMs: hub.maxRetryWait,
    maxRetries: hub.maxRetries,
    requestDeadlineMs: hub.requestDeadline,
    maxResponseBytes: hub.maxResponseBytes,
    ...extra,
    dispatcher,
    // Per-slice request counts in sync_runs, plus whatever the caller observes (metrics).
    onRequest: (event) => {
      attributeRequest(event);
      extra.onRequest?.(event);
    },
  };
  if (hub.username) options.username = hub.username;
  if (hub.token) options.token = hub.token;
  if (hub.password) options.password = hub.password;
  if (hub.jwt) options.jwt = hub.jwt;
  if (hub.otp) options.otp = hub.otp;
  const client = createHubClient(options);
  if (extra.dispatcher) return client;
  const close = client.close.bind(client);
  return Object.assign(client, {
    close: async () => {
      await close();
      await dispatcher.close();
    },
  });
}
