// Several Docker Hub credentials in one process: an organization access token belongs to one
// organization, so a deployment that reads several organizations needs one credential each.
// Everything here is pure: which credential serves which namespace, and what is wrong with a
// credentials list. Secrets are read from the environment or a file, never from the config file.

import { readFileSync } from 'node:fs';
import { looksLikeSecret } from '../secret-text.js';

export const CREDENTIAL_KINDS = ['pat', 'password', 'oat', 'jwt'] as const;
export type CredentialKindName = (typeof CREDENTIAL_KINDS)[number];

/** One entry of `hub.credentials` as the config file gives it (validated by the config schema). */
export interface CredentialEntry {
  username: string;
  kind: CredentialKindName;
  secretEnv?: string | undefined;
  secretFile?: string | undefined;
  namespaces: string[];
  orgs?: string[] | undefined;
}

/** Keys that would put a secret into the config file itself. */
export const FORBIDDEN_SECRET_KEYS = ['secret', 'token', 'password', 'jwt', 'otp'] as const;

/** The namespaces a credential reads repositories and audit logs of (its own namespace when none is listed). */
export function namespacesOf(entry: Pick<CredentialEntry, 'username' | 'namespaces' | 'orgs'>): string[] {
  if (entry.namespaces.length > 0) return entry.namespaces;
  return entry.orgs && entry.orgs.length > 0 ? [] : [entry.username];
}

/**
 * The organizations a credential reads members, teams, settings, tokens and invites of, when
 * known without asking Docker Hub: its `orgs`, or for an organization access token every
 * namespace it serves (such a token belongs to one organization). Undefined: ask Docker Hub.
 */
export function knownOrgsOf(entry: Pick<CredentialEntry, 'username' | 'kind' | 'namespaces' | 'orgs'>): string[] | undefined {
  if (entry.orgs) return entry.orgs;
  return entry.kind === 'oat' ? namespacesOf(entry) : undefined;
}

/** Every namespace and organization a credential serves. */
export function scopesOf(entry: Pick<CredentialEntry, 'username' | 'kind' | 'namespaces' | 'orgs'>): string[] {
  return [...new Set([...namespacesOf(entry), ...(entry.orgs ?? [])])];
}

/** namespace or organization → the username of the credential that serves it. */
export function scopeMap(entries: readonly Pick<CredentialEntry, 'username' | 'kind' | 'namespaces' | 'orgs'>[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const entry of entries) for (const scope of scopesOf(entry)) if (!out.has(scope)) out.set(scope, entry.username);
  return out;
}

/**
 * The namespace or organization a slice works on, from its parameters (`namespace`, `org` or
 * `account`), or from its key (`namespace`, `namespace/repository`, `namespace/repository:tag`).
 */
export function scopeOfSlice(slice: { key: string; params?: Record<string, string> }): string {
  const params = slice.params ?? {};
  return params.namespace ?? params.org ?? params.account ?? slice.key.split(/[/:]/)[0] ?? '';
}

export interface CredentialCheck {
  entries: readonly CredentialEntry[];
  /** Raw entries as written (to find secrets written into the file). */
  raw: readonly unknown[];
  env: NodeJS.ProcessEnv;
  /** Namespaces and organizations listed outside the credentials (DOCKERHUB_NAMESPACES, DOCKERHUB_ORGS). */
  listed: { namespaces: readonly string[]; orgs: readonly string[] };
  /** DOCKERHUB_USERNAME with a token, password or jwt: serves whatever no listed credential serves. */
  hasDefaultCredential: boolean;
  readFile?: (file: string) => string;
}

/** Every problem with a credentials list, each naming the credential and what to do. */
export function credentialProblems(check: CredentialCheck): string[] {
  const problems: string[] = [];
  const readFile = check.readFile ?? ((file: string) => readFileSync(file, 'utf8'));
  const label = (i: number) => {
    const name = check.entries[i]?.username ?? (check.raw[i] as { username?: unknown } | undefined)?.username;
    return `hub.credentials[${i}]${typeof name === 'string' ? ` (${name})` : ''}`;
  };
  check.raw.forEach((raw, i) => {
    if (!raw || typeof raw !== 'object') return;
    for (const key of FORBIDDEN_SECRET_KEYS) {
      if (key in raw) {
        problems.push(
          `${label(i)}: "${key}" does not belong in the config file; secrets are read from an environment variable (secretEnv: NAME) or a file (secretFile: /path), so the file can be shared without them`,
        );
      }
    }
  });
  const seenUser = new Map<string, number>();
  check.entries.forEach((entry, i) => {
    const where = label(i);
    if (seenUser.has(entry.username)) problems.push(`${where}: username "${entry.username}" is already used by ${label(seenUser.get(entry.username)!)}; list each credential once`);
    else seenUser.set(entry.username, i);
    if (entry.secretEnv && entry.secretFile) problems.push(`${where}: give secretEnv or secretFile, not both`);
    else if (!entry.secretEnv && !entry.secretFile) problems.push(`${where}: needs secretEnv (an environment variable name) or secretFile (a file path) holding its ${kindWord(entry.kind)}`);
    else {
      const found = readSecret(entry, check.env, readFile);
      if (!found.ok) problems.push(`${where}: ${found.problem}`);
    }
    if (entry.kind === 'oat' && entry.orgs && entry.orgs.some((org) => org !== entry.username)) {
      problems.push(`${where}: an organization access token reaches only its own organization "${entry.username}"; orgs lists ${entry.orgs.filter((o) => o !== entry.username).join(', ')}`);
    }
  });
  const servedBy = new Map<string, string[]>();
  for (const entry of check.entries) {
    for (const scope of scopesOf(entry)) servedBy.set(scope, [...(servedBy.get(scope) ?? []), entry.username]);
  }
  for (const [scope, users] of servedBy) {
    if (users.length > 1) problems.push(`hub.credentials: namespace "${scope}" is served by ${users.length} credentials (${users.join(', ')}); give it to exactly one`);
  }
  if (check.entries.length > 0 && !check.hasDefaultCredential) {
    const unserved = [...new Set([...check.listed.namespaces, ...check.listed.orgs])].filter((scope) => !servedBy.has(scope));
    for (const scope of unserved) {
      problems.push(
        `namespace "${scope}" is listed (DOCKERHUB_NAMESPACES / DOCKERHUB_ORGS) but no credential in hub.credentials serves it: add it to one credential's namespaces, or set DOCKERHUB_USERNAME and DOCKERHUB_TOKEN as the credential for the rest`,
      );
    }
  }
  return problems;
}

function kindWord(kind: CredentialKindName): string {
  return { pat: 'personal access token', password: 'password', oat: 'organization access token', jwt: 'bearer token' }[kind];
}

/** The secret of a credential from its environment variable or file (trailing newline removed). */
export function readSecret(
  entry: Pick<CredentialEntry, 'secretEnv' | 'secretFile'>,
  env: NodeJS.ProcessEnv,
  readFile: (file: string) => string = (file) => readFileSync(file, 'utf8'),
): { ok: true; secret: string } | { ok: false; problem: string } {
  // The secret itself written where its variable name or file path belongs: say so, never echo it.
  for (const [key, value, what] of [['secretEnv', entry.secretEnv, 'the name of an environment variable'], ['secretFile', entry.secretFile, 'a file path']] as const) {
    if (value && looksLikeSecret(value)) {
      return {
        ok: false,
        problem: `${key} holds what looks like the secret itself, not ${what}: put the secret in ${key === 'secretEnv' ? 'an environment variable and write its name' : 'a file and write its path'} here (the value is not shown)`,
      };
    }
  }
  if (entry.secretEnv) {
    const value = env[entry.secretEnv]?.trim();
    return value ? { ok: true, secret: value } : { ok: false, problem: `environment variable ${entry.secretEnv} (secretEnv) is not set or empty` };
  }
  if (entry.secretFile) {
    let text: string;
    try {
      text = readFile(entry.secretFile);
    } catch (error) {
      return { ok: false, problem: `secretFile ${entry.secretFile} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})` };
    }
    const value = text.trim();
    return value ? { ok: true, secret: value } : { ok: false, problem: `secretFile ${entry.secretFile} is empty` };
  }
  return { ok: false, problem: 'needs secretEnv or secretFile' };
}
