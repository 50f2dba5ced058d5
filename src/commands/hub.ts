import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { createHubClient, type HubClient, type HubClientOptions } from '../hub/client.js';

/** A Docker Hub client configured from the parsed config. */
export function hubClientFromConfig(
  config: Config,
  logger: Logger,
  extra: Partial<HubClientOptions> = {},
): HubClient {
  const { hub } = config;
  const options: HubClientOptions = {
    baseUrl: hub.apiUrl,
    logger,
    maxRetryWaitMs: hub.maxRetryWait,
    maxRetries: hub.maxRetries,
    ...extra,
  };
  if (hub.username) options.username = hub.username;
  if (hub.token) options.token = hub.token;
  if (hub.password) options.password = hub.password;
  if (hub.jwt) options.jwt = hub.jwt;
  if (hub.otp) options.otp = hub.otp;
  return createHubClient(options);
}
