/**
 * The one rule for "does this text hold a secret?", used by every message the configuration and
 * the command line print (and by the logger's scrubbing): a value that looks like a credential is
 * never echoed, wherever it was written (a token given as `secretEnv`, as a username, as a URL).
 * Known shapes are matched exactly; an unknown token is recognised as a long run of mixed-case
 * letters and digits with the variety of a random string, which names, paths and settings lack.
 */

export const REDACTED = '[redacted]';

/** Token shapes with a known prefix or structure; the first group, when present, is kept. */
export const SECRET_VALUE_PATTERNS: readonly RegExp[] = [
  /dckr_(?:pat|oat)_[A-Za-z0-9_-]+/g, // Docker personal / organization access tokens
  /\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{20,}/g, // GitHub tokens
  /\bgithub_pat_[A-Za-z0-9_]{20,}/g,
  /\bglpat-[A-Za-z0-9_-]{20,}/g, // GitLab
  /\bxox[abprs]-[A-Za-z0-9-]{10,}/g, // Slack
  /\bAKIA[0-9A-Z]{16}\b/g, // AWS access key id
  /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g, // JWTs
  /(postgres(?:ql)?:\/\/[^:/@\s]+:)[^@\s]+@/g, // passwords inside database URLs
  /([a-z][a-z0-9+.-]*:\/\/[^:/@\s]+:)[^@\s/]+@/gi, // passwords inside any URL
  /(Bearer\s+)[^\s"']+/gi,
  /(Basic\s+)(?=[A-Za-z]*[0-9+/=])[A-Za-z0-9+/]{8,}={0,2}/g, // base64 user:password (a word such as "authentication" is not)
];

/** Runs of token characters (base64/base64url and the separators tokens use), for the opaque-token check. */
const WORD = /[A-Za-z0-9_+=-]{20,}/g;

function entropyBitsPerChar(text: string): number {
  const counts = new Map<string, number>();
  for (const c of text) counts.set(c, (counts.get(c) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) {
    const p = n / text.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

/**
 * A word that reads like a random credential: at least 20 characters, lower- and upper-case
 * letters and digits all present, and as varied as random text (over 3.5 bits a character).
 * `dockerhub_token_acme`, `DOCKERHUB_TOKEN`, `/run/secrets/hub`, a namespace or a sha256 digest
 * (no upper case) are not; `Zq3xV8...` is.
 */
export function looksLikeOpaqueToken(word: string): boolean {
  if (word.length < 20) return false;
  // Names joined by - or _ (a temporary folder `dhs-config-Ab3dE6`) are not one random run.
  if (Math.max(...word.split(/[-_]/).map((part) => part.length)) < 16) return false;
  if (!/[a-z]/.test(word) || !/[A-Z]/.test(word) || !/[0-9]/.test(word)) return false;
  return entropyBitsPerChar(word) > 3.5;
}

/** Whether `value` holds something that looks like a credential (a whole value or a part of it). */
export function looksLikeSecret(value: string): boolean {
  if (SECRET_VALUE_PATTERNS.some((pattern) => new RegExp(pattern.source, pattern.flags.replace('g', '')).test(value))) return true;
  return maskSecrets(value) !== value;
}

/** Replace the known token shapes in `text` (and the given known secrets) by [redacted]. */
export function maskKnownShapes(text: string, extraSecrets: readonly string[] = []): string {
  let out = text;
  for (const secret of extraSecrets) {
    if (secret && secret.length >= 4) out = out.split(secret).join(REDACTED);
  }
  for (const pattern of SECRET_VALUE_PATTERNS) {
    out = out.replace(pattern, (match, prefix?: unknown) =>
      typeof prefix === 'string' && match.startsWith(prefix) ? `${prefix}${REDACTED}${match.endsWith('@') ? '@' : ''}` : REDACTED,
    );
  }
  return out;
}

/**
 * A message safe to print: every known token shape and every opaque token-like word replaced by
 * [redacted]. Every configuration problem and every error the command line prints goes through it.
 */
export function maskSecrets(text: string, extraSecrets: readonly string[] = []): string {
  return maskKnownShapes(text, extraSecrets).replace(WORD, (word, offset: number, whole: string) =>
    looksLikeOpaqueToken(word) && !inPath(whole, offset, word.length) ? REDACTED : word,
  );
}

/** A word between slashes is a folder or file name (a temporary directory), not a token. */
function inPath(text: string, offset: number, length: number): boolean {
  return /[/\\]/.test(text[offset - 1] ?? '') || /[/\\]/.test(text[offset + length] ?? '');
}

const SECRET_KEY_WORDS = ['token', 'password', 'passwd', 'passphrase', 'secret', 'jwt', 'otp', 'pat', 'apikey', 'bearer', 'authorization', 'privatekey'];

/**
 * A setting name under which people write a secret (`Token`, `password`, `api_key`,
 * `accessToken`, `client-secret`): its "did you mean" points at secretEnv/secretFile, never at a
 * key that would keep the secret in the file.
 */
export function isSecretKeyName(key: string): boolean {
  const k = key.toLowerCase().replace(/[^a-z]/g, '');
  return SECRET_KEY_WORDS.some((word) => k === word || k.endsWith(word) || (word.length >= 6 && k.includes(word)));
}

/** What to write instead of a secret in the config file. */
export const SECRET_KEY_HINT =
  'a secret does not belong in the config file: put it in an environment variable (DOCKERHUB_TOKEN, or any name given as ' +
  'secretEnv: NAME in hub.credentials) or in a file (secretFile: /path), so the file can be shared without it';
