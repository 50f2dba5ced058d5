import { describe, expect, it } from 'vitest';
import { cannotRead, kindOf, missingFor, verdictOf } from '../../src/commands/doctor-verdict.js';
import { endpoints } from '../../src/endpoints/index.js';
import { HubAuthError, HubHttpError, HubNetworkError, HubNotFoundError, HubPermissionError, HubRequestRefusedError } from '../../src/hub/errors.js';
import type { EndpointDefinition, EndpointRequirement } from '../../src/sync/context.js';
import { pino } from 'pino';
import { z } from 'zod';
import { loadConfig } from '../../src/config.js';
import { createRun, doctorPlan, probeAll } from '../../src/commands/doctor-probe.js';
import { createHubClientSet } from '../../src/hub/client-set.js';
import { fakeToken } from '../support/seed.js';
import type { HubClient } from '../../src/hub/client.js';
import { DataApiRefusedError } from '../../src/hub/data-api.js';

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
    ['a 403 of the Enterprise Data API (plan or scope: it does not say)', new DataApiRefusedError('acme', { status: 403, detail: 'permission denied' }), reports, 'oat', { result: 'plan-limited', missing: 'Docker Enterprise', detail: expect.stringMatching(/^403 permission denied: .*without Docker Enterprise, and a token without scope-report-read; the sync skips it$/) }],
    ['a 402', new HubHttpError('payment', { status: 402 }), undefined, 'oat', { result: 'plan-limited', missing: 'a subscription that includes this endpoint' }],
    ['a 404', new HubNotFoundError('gone', { status: 404 }), audit, 'password', { result: '404' }],
    ['a request refused before sending', new HubRequestRefusedError('bad segment'), audit, 'password', { result: 'error', detail: 'not sent: bad segment' }],
    ['a network error', new HubNetworkError('reset', 'ECONNRESET'), audit, 'password', { result: 'error', detail: 'reset' }],
  ] as const)('%s', (_name, error, requires, kind, expected) => {
    expect(verdictOf(error, requires, kind)).toMatchObject(expected);
  });

  it('exit 1 for every verdict but ok and untested', () => {
    expect(['ok', '401', '403', '404', 'plan-limited', 'error', 'untested'].filter((r) => cannotRead(r as never))).toEqual(['401', '403', '404', 'plan-limited', 'error']);
    // An endpoint that declares its plan is skipped by the sync where the plan lacks it: no failure.
    expect(['ok', '401', '403', '404', 'plan-limited', 'error', 'untested'].filter((r) => cannotRead(r as never, reports))).toEqual(['401', '403', '404', 'error']);
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
    for (const name of ['pull_usage_reports', 'pull_usage']) {
      expect(endpoints.find((e) => e.name === name)).toMatchObject({ requires: { oatScope: 'scope-report-read', plan: 'Docker Enterprise' }, probe: expect.any(Function) });
    }
  });
});

describe('doctor reads the registry', () => {
  it('an endpoint family with a probe of its own and a plan plugs in without a change to doctor', async () => {
    const config = loadConfig({ env: { DOCKERHUB_USERNAME: 'acme', DOCKERHUB_TOKEN: fakeToken('oat'), DOCKERHUB_NAMESPACES: 'acme', DOCKERHUB_ORGS: 'acme' } });
    const client = { request: () => Promise.reject(new Error('no Hub request expected')), stats: { requests: 0 }, close: async () => {} } as unknown as HubClient;
    const clients = createHubClientSet([], { name: 'acme', kind: 'default', client, scopes: [], namespaces: [], knownOrgs: undefined });
    const probed: string[] = [];
    const reports: EndpointDefinition = {
      name: 'pull_usage_reports',
      title: 'reports on another host',
      reference: 'https://docs.docker.com/',
      tables: [],
      schedule: '0 3 * * *',
      partition: { per: 'org', param: 'org' },
      requires: { oatScope: 'scope-report-read', role: 'organization owner', plan: 'Docker Enterprise' },
      slices: async (plan) => plan.orgs.map((org) => ({ key: org, params: { org } })),
      run: async () => {},
      request: () => ({ path: '/unused', shape: 'object', schema: z.unknown() }),
      probe: async (slice) => {
        probed.push(slice.key);
        throw new HubPermissionError('denied', 'x', 'acme', { status: 403, detail: 'the organization needs a Docker Enterprise subscription' });
      },
    };
    const run = createRun(config, clients, [reports]);
    const plan = await doctorPlan(run);
    const found = await probeAll(run, plan, { clients, logger: pino({ level: 'silent' }), config, registry: [reports] });
    expect(probed).toEqual(['acme']);
    expect(found.rows).toEqual([
      expect.objectContaining({ credential: 'acme', kind: 'oat', scope: 'acme', endpoint: 'pull_usage_reports', result: 'plan-limited', missing: 'Docker Enterprise' }),
    ]);
  });
});
