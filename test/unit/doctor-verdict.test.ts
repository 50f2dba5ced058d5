import { describe, expect, it } from 'vitest';
import { cannotRead, kindOf, missingFor, verdictOf } from '../../src/commands/doctor-verdict.js';
import { endpoints } from '../../src/endpoints/index.js';
import { HubAuthError, HubHttpError, HubNetworkError, HubNotFoundError, HubPermissionError, HubRequestRefusedError } from '../../src/hub/errors.js';
import type { EndpointRequirement } from '../../src/sync/context.js';

const audit: EndpointRequirement = { oatScope: 'scope-activity-read', role: 'organization owner' };
const settings: EndpointRequirement = { oatScope: false, role: 'organization owner' };
const reports: EndpointRequirement = { oatScope: 'scope-report-read', role: 'organization owner', plan: 'Docker Enterprise' };

describe('doctor verdicts', () => {
  it.each([
    ['a refused login', new HubAuthError('login refused', 'bad_credentials'), audit, 'oat', { result: '401', missing: 'a secret Docker Hub accepts for this credential' }],
    ['a 403 to an OAT names the scope', new HubPermissionError('denied', 'x', 'acme', { status: 403, detail: 'forbidden' }), audit, 'oat', { result: '403', missing: 'scope-activity-read', detail: '403 forbidden' }],
    ['a 403 to a user names the role', new HubPermissionError('denied', 'x', 'alice', { status: 403 }), audit, 'pat', { result: '403', missing: 'organization owner' }],
    ['an endpoint without the OAT label', new HubPermissionError('denied', 'x', 'acme', { status: 403 }), settings, 'oat', { result: '403', missing: expect.stringContaining('no OAT label') }],
    ['a 403 about the subscription', new HubPermissionError('denied', 'x', 'acme', { status: 403, detail: 'requires a Docker Enterprise subscription' }), reports, 'oat', { result: 'plan-limited', missing: 'Docker Enterprise' }],
    ['a 402', new HubHttpError('payment', { status: 402 }), undefined, 'oat', { result: 'plan-limited', missing: 'a subscription that includes this endpoint' }],
    ['a 404', new HubNotFoundError('gone', { status: 404 }), audit, 'password', { result: '404' }],
    ['a request refused before sending', new HubRequestRefusedError('bad segment'), audit, 'password', { result: 'error', detail: 'not sent: bad segment' }],
    ['a network error', new HubNetworkError('reset', 'ECONNRESET'), audit, 'password', { result: 'error', detail: 'reset' }],
  ] as const)('%s', (_name, error, requires, kind, expected) => {
    expect(verdictOf(error, requires, kind)).toMatchObject(expected);
  });

  it('exit 1 for every verdict but ok and untested', () => {
    expect(['ok', '401', '403', '404', 'plan-limited', 'error', 'untested'].filter((r) => cannotRead(r as never))).toEqual(['401', '403', '404', 'plan-limited', 'error']);
  });

  it('the shorthand credential is an OAT or a PAT by its prefix', () => {
    expect(kindOf({ kind: 'default' }, { token: 'dckr_oat_x' })).toBe('oat');
    expect(kindOf({ kind: 'default' }, { token: 'dckr_pat_x' })).toBe('pat');
    expect(kindOf({ kind: 'default' }, { password: 'p' })).toBe('password');
    expect(kindOf({ kind: 'pat' }, { token: 'dckr_oat_x' })).toBe('pat');
    expect(missingFor(undefined, 'oat')).toBeUndefined();
  });

  it('every built-in endpoint says what it needs of a credential', () => {
    for (const endpoint of endpoints) expect(endpoint.requires, endpoint.name).toBeDefined();
    expect(endpoints.find((e) => e.name === 'repositories')?.requires?.silentWithout?.field).toBe('is_private');
  });
});
