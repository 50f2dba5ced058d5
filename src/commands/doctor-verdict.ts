// What `doctor` says about one probe: a pure function of the error (or answer), the endpoint's
// requirement and the credential's kind. Table-tested in test/unit/commands/doctor-verdict.test.ts.

import { UsageError } from '../cli-errors.js';
import { HubAuthError, HubError, HubNotFoundError, HubPermissionError, HubRequestRefusedError } from '../hub/errors.js';
import type { CredentialClient } from '../hub/client-set.js';
import { DataApiRefusedError } from '../hub/data-api.js';
import type { EndpointRequirement } from '../sync/context.js';

const DOCTOR_RESULTS = ['ok', '401', '403', '404', 'plan-limited', 'error', 'untested'] as const;
export type DoctorResult = (typeof DOCTOR_RESULTS)[number];

export interface Verdict {
  result: DoctorResult;
  /** For a refusal: the scope or role the credential lacks. */
  missing?: string | undefined;
  /** One line: what Hub said, or why nothing was tried. */
  detail?: string | undefined;
}

/** Words of a 403 (or 402) that is about the subscription, not the credential. */
const PLAN_WORDS = /\b(plan|subscription|upgrade|enterprise|business plan|team plan|payment)\b/i;

/**
 * The kind of a credential as far as Docker Hub is concerned: the shorthand DOCKERHUB_USERNAME /
 * DOCKERHUB_TOKEN credential is an OAT or a PAT by its prefix, a password without a token.
 */
export function kindOf(credential: Pick<CredentialClient, 'kind'>, hub: { token?: string | undefined; password?: string | undefined }): CredentialClient['kind'] {
  if (credential.kind !== 'default') return credential.kind;
  if (hub.token?.startsWith('dckr_oat_')) return 'oat';
  if (hub.token?.startsWith('dckr_pat_')) return 'pat';
  return hub.password && !hub.token ? 'password' : 'default';
}

/** What the credential lacks for this endpoint, by its kind. */
export function missingFor(requires: EndpointRequirement | undefined, kind: CredentialClient['kind']): string | undefined {
  if (!requires) return undefined;
  if (kind !== 'oat') return requires.role;
  if (requires.oatScope === false) return `an organization access token is not accepted here (no OAT label in the spec): ${requires.role}`;
  return requires.oatScope;
}

function firstLine(text: string): string {
  const line = text.split('\n')[0] ?? text;
  return line.length > 240 ? `${line.slice(0, 237)}...` : line;
}

/** The verdict on a probe that threw. */
export function verdictOf(error: unknown, requires: EndpointRequirement | undefined, kind: CredentialClient['kind']): Verdict {
  // Hub's own words when it gave some (the client's message adds a generic hint of its own).
  const said0 = error instanceof HubError && error.detail ? `${error.status ?? ''} ${error.detail}`.trim() : undefined;
  const detail = firstLine(said0 ?? (error instanceof Error ? error.message : String(error)));
  if (error instanceof HubAuthError) {
    const missing = error.reason === 'authentication_required' ? 'a login (configure a credential for this namespace)' : 'a secret Docker Hub accepts for this credential';
    return { result: '401', missing, detail };
  }
  if (error instanceof DataApiRefusedError) {
    // The Data API's 403 says neither which: the sync skips the organization either way.
    return { result: 'plan-limited', missing: requires?.plan ?? 'Docker Enterprise', detail: `${detail}: the Enterprise Data API refuses an organization without Docker Enterprise, and a token without ${requires?.oatScope || 'Report Read'}; the sync skips it` };
  }
  const status = error instanceof HubError ? error.status : undefined;
  const said = error instanceof HubError ? `${error.detail ?? ''} ${error.message}` : detail;
  if (status === 402 || (status === 403 && PLAN_WORDS.test(said))) {
    return { result: 'plan-limited', missing: requires?.plan ?? 'a subscription that includes this endpoint', detail };
  }
  if (error instanceof HubPermissionError || status === 403) return { result: '403', missing: missingFor(requires, kind), detail };
  if (error instanceof HubNotFoundError || status === 404) return { result: '404', detail };
  if (error instanceof HubRequestRefusedError || error instanceof UsageError) return { result: 'error', detail: `not sent: ${detail}` };
  return { result: 'error', detail };
}

/**
 * Whether a verdict means the endpoint cannot be read (exit code 1). A plan limit of an endpoint
 * that declares its plan is not: its sync skips such an organization with a warning.
 */
export function cannotRead(result: DoctorResult, requires?: EndpointRequirement): boolean {
  if (result === 'plan-limited' && requires?.plan) return false;
  return result !== 'ok' && result !== 'untested';
}
