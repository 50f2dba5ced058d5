// Personal access tokens of the emulated user. Secrets are only ever returned at creation.

import type { Clock } from '../clock.js';
import { hubTime, nullableTime, uuid } from '../format.js';
import type { World } from '../generator/world.js';
import type { AccessToken, PatRecord } from '../model.js';
import type { Prng } from '../prng.js';
import { StateError } from './errors.js';
import { optionalTime } from './orgs.js';

export const PAT_SCOPES = ['repo:admin', 'repo:write', 'repo:read', 'repo:public_read'] as const;

export class TokenStore {
  private pats: PatRecord[];

  constructor(
    world: World,
    private readonly clock: Clock,
    private readonly rng: Prng,
  ) {
    this.pats = world.pats;
  }

  shape(pat: PatRecord, revealSecret = false): AccessToken {
    return {
      uuid: pat.uuid,
      client_id: pat.clientId,
      creator_ip: pat.creatorIp,
      creator_ua: pat.creatorUa,
      created_at: hubTime(pat.createdMs, true),
      last_used: nullableTime(pat.lastUsedMs, true),
      generated_by: pat.generatedBy,
      is_active: pat.isActive,
      token: revealSecret ? pat.secret : '',
      token_label: pat.label,
      scopes: [...pat.scopes],
      ...(pat.expiresMs === null ? {} : { expires_at: hubTime(pat.expiresMs, true) }),
    };
  }

  /** Newest first, like Hub's token page. */
  list(): PatRecord[] {
    return this.pats.slice().sort((a, b) => b.createdMs - a.createdMs);
  }

  get(id: string): PatRecord {
    const pat = this.pats.find((p) => p.uuid === id);
    if (!pat) throw new StateError('not_found', `access token ${id} not found`);
    return pat;
  }

  /** The token a secret belongs to, if it can be used now (active, not expired). */
  findUsable(secret: string): PatRecord | undefined {
    const pat = this.pats.find((p) => p.secret === secret);
    if (!pat || !pat.isActive || (pat.expiresMs !== null && pat.expiresMs <= this.clock.now())) return undefined;
    return pat;
  }

  touch(pat: PatRecord): void {
    pat.lastUsedMs = this.clock.now();
  }

  create(body: Record<string, unknown>, client: { ip: string; userAgent: string }): PatRecord {
    const label = body.token_label;
    const fields: Record<string, string[]> = {};
    if (typeof label !== 'string' || label.length < 1 || label.length > 100) fields.token_label = ['Ensure this field has 1 to 100 characters.'];
    const scopes = body.scopes;
    if (!Array.isArray(scopes) || scopes.length === 0 || !scopes.every((s) => (PAT_SCOPES as readonly unknown[]).includes(s))) {
      fields.scopes = [`Valid scopes: ${PAT_SCOPES.join(', ')}`];
    }
    if (Object.keys(fields).length > 0) throw new StateError('invalid', 'invalid access token request', fields);
    const pat: PatRecord = {
      uuid: uuid(this.rng),
      label: label as string,
      scopes: (scopes as string[]).slice(),
      clientId: 'HUB',
      creatorIp: client.ip,
      creatorUa: client.userAgent,
      generatedBy: 'manual',
      createdMs: this.clock.now(),
      lastUsedMs: null,
      expiresMs: optionalTime(body.expires_at, 'expires_at'),
      isActive: true,
      secret: `dckr_pat_${this.rng.alnum(27)}`,
    };
    this.pats.push(pat);
    return pat;
  }

  update(id: string, body: Record<string, unknown>): PatRecord {
    const pat = this.get(id);
    if (body.token_label !== undefined) {
      if (typeof body.token_label !== 'string' || body.token_label.length < 1 || body.token_label.length > 100) {
        throw new StateError('invalid', 'invalid token_label', { token_label: ['Ensure this field has 1 to 100 characters.'] });
      }
      pat.label = body.token_label;
    }
    if (body.is_active !== undefined) {
      if (typeof body.is_active !== 'boolean') throw new StateError('invalid', 'is_active must be a boolean', { is_active: ['Must be a valid boolean.'] });
      pat.isActive = body.is_active;
    }
    return pat;
  }

  delete(id: string): void {
    const pat = this.get(id);
    this.pats = this.pats.filter((p) => p !== pat);
  }
}
