import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { createHubClient, type HubClient, type HubClientOptions, type HubRequestEvent } from '../hub/client.js';
import { createHubClientSet, type CredentialClient, type HubClientSet } from '../hub/client-set.js';
import { knownOrgsOf, namespacesOf, readSecret, scopesOf } from '../hub/credentials.js';
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

/**
 * One client per credential of `hub.credentials`, plus the shorthand DOCKERHUB_USERNAME/TOKEN
 * credential (or anonymous access) for whatever no listed credential serves. All share one
 * dispatcher (connections); each keeps its own login, cache and pacing. `onRequest` learns which
 * credential sent each attempt.
 */
export function hubClientsFromConfig(
  config: Config,
  env: NodeJS.ProcessEnv,
  logger: Logger,
  extra: Omit<Partial<HubClientOptions>, 'onRequest'> & { onRequest?: (event: HubRequestEvent, credential: string) => void } = {},
): HubClientSet {
  const { hub } = config;
  const dispatcher = extra.dispatcher ?? createHubDispatcher({ headersTimeoutMs: hub.timeout, bodyTimeoutMs: hub.timeout });
  const { onRequest, ...rest } = extra;
  const observed = (name: string) => (onRequest ? { onRequest: (event: HubRequestEvent) => onRequest(event, name) } : {});
  const credentials: CredentialClient[] = hub.credentials.map((entry) => {
    const found = readSecret(entry, env);
    // loadConfig has checked every secret; a file changed since is reported at first use.
    const secret = found.ok ? found.secret : undefined;
    const name = entry.username;
    const child = logger.child({ credential: name });
    const noDefault: Config = { ...config, hub: { ...hub, username: entry.username, token: undefined, password: undefined, jwt: undefined, otp: undefined } };
    const options: Partial<HubClientOptions> = { ...rest, dispatcher, ...observed(name) };
    if (entry.kind === 'password') options.password = secret;
    else if (entry.kind === 'jwt') options.jwt = secret;
    else options.token = secret;
    const client = hubClientFromConfig(noDefault, child, options);
    return { name, kind: entry.kind, client, scopes: scopesOf(entry), namespaces: namespacesOf(entry), knownOrgs: knownOrgsOf(entry) };
  });
  const fallbackName = hub.username ?? 'anonymous';
  const fallback: CredentialClient = {
    name: fallbackName,
    kind: 'default',
    client: hubClientFromConfig(config, credentials.length > 0 ? logger.child({ credential: fallbackName }) : logger, { ...rest, dispatcher, ...observed(fallbackName) }),
    scopes: [],
    namespaces: [],
    knownOrgs: undefined,
  };
  return createHubClientSet(credentials, fallback, {
    secrets: configuredSecrets(config, env),
    onClose: async () => {
      if (!extra.dispatcher) await dispatcher.close();
    },
  });
}

/** Every secret of the configuration (the credentials, the webhook secret), for log and message redaction. */
export function configuredSecrets(config: Config, env: NodeJS.ProcessEnv): string[] {
  const out = [config.hub.token, config.hub.password, config.hub.jwt, config.webhookSecret];
  for (const entry of config.hub.credentials) {
    const found = readSecret(entry, env);
    if (found.ok) out.push(found.secret);
  }
  return out.filter((s): s is string => Boolean(s));
}
