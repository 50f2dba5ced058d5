import type { Logger } from 'pino';
import { dataApiUrlOf, type Config } from '../config.js';
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
    const data = entry.kind === 'oat' && secret ? dataApiClient(noDefault, child, secret, { ...rest, dispatcher, ...observed(name) }) : undefined;
    return { name, kind: entry.kind, client, scopes: scopesOf(entry), namespaces: namespacesOf(entry), knownOrgs: knownOrgsOf(entry), ...(data ? { data } : {}) };
  });
  const fallbackName = hub.username ?? 'anonymous';
  const fallbackLogger = credentials.length > 0 ? logger.child({ credential: fallbackName }) : logger;
  // DOCKERHUB_TOKEN=dckr_oat_…: the shorthand credential is an organization access token.
  const fallbackData = hub.token?.startsWith('dckr_oat_') ? dataApiClient(config, fallbackLogger, hub.token, { ...rest, dispatcher, ...observed(fallbackName) }) : undefined;
  const fallback: CredentialClient = {
    name: fallbackName,
    kind: 'default',
    client: hubClientFromConfig(config, fallbackLogger, { ...rest, dispatcher, ...observed(fallbackName) }),
    scopes: [],
    namespaces: [],
    knownOrgs: undefined,
    ...(fallbackData ? { data: fallbackData } : {}),
  };
  return createHubClientSet(credentials, fallback, {
    secrets: configuredSecrets(config, env),
    onClose: async () => {
      if (!extra.dispatcher) await dispatcher.close();
    },
  });
}

/**
 * The Enterprise Data API client of an organization access token: the token is its bearer as is
 * (the API takes no JWT exchange; a static bearer is never used to log in), bound to the Data
 * API's origin like every credential.
 */
function dataApiClient(config: Config, logger: Logger, oat: string, extra: Partial<HubClientOptions>): HubClient {
  const hub = { ...config.hub, apiUrl: dataApiUrlOf(config.hub), username: undefined, token: undefined, password: undefined, jwt: oat, otp: undefined };
  return hubClientFromConfig({ ...config, hub }, logger.child({ api: 'enterprise-data' }), extra);
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
