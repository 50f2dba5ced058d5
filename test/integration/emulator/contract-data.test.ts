// Contract test of the emulator's Enterprise Data API against enterprise-data-c95ded2.yaml: every
// answer (report types, the cursor-paged report list, a report's schema, the 302 download, the
// `{error}` answers) is checked against what the document says of its operation and status, every
// operation is answered with a success, and the CSV behind the 302 has the columns its schema lists.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningEmulator, startEmulator } from '../../../src/emulator/index.js';
import { ENTERPRISE_DATA_SPEC, findSpecs, SpecChecker } from './openapi.js';

const file = findSpecs().enterpriseData;
const spec = file ? new SpecChecker(file) : undefined;
const checked = new Set<string>();

interface DataReply {
  status: number;
  headers: Record<string, string>;
  body: any;
}

let emu: RunningEmulator;
let org: string;
let oat: string;

/** One request to the Data API (redirects not followed), its answer checked against the document. */
/** `token` null: no Authorization header. */
async function data(path: string, token: string | null = oat): Promise<DataReply> {
  const response = await fetch(`${emu.dataApiUrl}${path}`, { redirect: 'manual', headers: token ? { authorization: `Bearer ${token}` } : {} });
  const text = await response.text();
  const reply = { status: response.status, headers: Object.fromEntries(response.headers), body: text && (response.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : text };
  if (spec) {
    const result = spec.checkReply({ method: 'GET', path: new URL(`${emu.dataApiUrl}${path}`).pathname, status: reply.status, body: reply.body, headers: reply.headers });
    expect(result?.operation, `GET ${path} ${reply.status}: the document describes this answer`).toBeDefined();
    checked.add(result?.operation ?? '');
    expect(result?.problems, `GET ${path} ${reply.status}`).toEqual([]);
  }
  return reply;
}

beforeAll(async () => {
  emu = await startEmulator({ port: 0, seed: 1 });
  org = emu.state.orgNames[0] as string;
  oat = emu.credentials.oat.find((o) => o.org === org)?.token as string;
});

afterAll(async () => {
  await emu.close();
});

describe('the Enterprise Data API against its document', () => {
  it.skipIf(spec !== undefined)(`${ENTERPRISE_DATA_SPEC} not found: put it in docs/hub-api or ../shared/hub-api (or beside $HUB_OPENAPI_SPEC) to run these checks`, () => {});

  it.runIf(spec !== undefined)('has the components the checks use', () => {
    for (const name of ['ReportTypeInfo', 'Report', 'ReportSchema', 'SchemaField', 'Error']) expect(spec?.has(name), name).toBe(true);
    expect(spec?.basePath).toBe('/enterprise-data/v1');
    expect(emu.dataApiUrl.endsWith(spec?.basePath ?? '')).toBe(true);
  });

  it('report types, then every usage_pulls report page by page with page_token / next_page_token', async () => {
    const types = await data(`/orgs/${org}/reports`);
    expect(types.status).toBe(200);
    expect(types.body.report_types).toEqual(expect.arrayContaining([{ ReportType: 'usage_pulls', Cadence: 'daily' }]));
    for (const cadence of ['daily', 'weekly']) {
      const whole = await data(`/orgs/${org}/reports/usage_pulls/${cadence}?page_size=100`);
      expect(whole.body.next_page_token).toBe('');
      expect(whole.body.reports.length, cadence).toBeGreaterThan(1);
      const paged: unknown[] = [];
      let token = '';
      for (let pages = 0; ; pages++) {
        expect(pages).toBeLessThan(100);
        const page = await data(`/orgs/${org}/reports/usage_pulls/${cadence}?page_size=1${token ? `&page_token=${encodeURIComponent(token)}` : ''}`);
        expect(page.body.reports).toHaveLength(1);
        paged.push(...page.body.reports);
        token = page.body.next_page_token;
        if (token === '') break;
      }
      expect(paged).toEqual(whole.body.reports);
      const dates = (whole.body.reports as { Date: string }[]).map((r) => r.Date);
      expect(dates, 'newest first').toEqual([...dates].sort().reverse());
    }
    expect((await data(`/orgs/${org}/reports/usage_pulls/daily`)).status).toBe(200);
  });

  it("a report's schema, and its download: a 302 to another origin whose CSV has the schema's columns", async () => {
    const [report] = (await data(`/orgs/${org}/reports/usage_pulls/daily?page_size=1`)).body.reports as { Date: string; SizeBytes: number }[];
    const schema = await data(`/orgs/${org}/reports/usage_pulls/daily/${report?.Date}/schema`);
    expect(schema.status).toBe(200);
    expect(schema.body.category).toBe('usage_pulls');
    const download = await data(`/orgs/${org}/reports/usage_pulls/daily/${report?.Date}/download`);
    expect(download.status).toBe(302);
    const location = new URL(download.headers.location as string);
    expect(location.origin).not.toBe(new URL(emu.url).origin);
    const csv = await fetch(location);
    expect(csv.status).toBe(200);
    const text = await csv.text();
    expect(Buffer.byteLength(text)).toBe(report?.SizeBytes);
    expect(text.split(/\r?\n/)[0]?.split(',')).toEqual((schema.body.fields as { name: string }[]).map((f) => f.name));
    expect(emu.storage.violations).toEqual([]);
  });

  it('errors in the {error} shape: 400 for a bad segment, date or page token, 401, 403, 404', async () => {
    const other = emu.credentials.oat.find((o) => o.org !== org)?.token as string;
    const cases: [string, string | null, number][] = [
      [`/orgs/${org}/reports/Usage!/daily`, oat, 400],
      [`/orgs/${org}/reports/usage_pulls/daily/2026-13-45/schema`, oat, 400],
      [`/orgs/${org}/reports/usage_pulls/daily?page_token=not-a-token`, oat, 400],
      [`/orgs/${org}/reports/usage_pulls/daily?page_size=101`, oat, 400],
      [`/orgs/${org}/reports`, null, 401],
      [`/orgs/${org}/reports`, 'not-a-token', 401],
      [`/orgs/${org}/reports`, other, 403],
      [`/orgs/${org}/reports/usage_pulls/hourly`, oat, 404],
      [`/orgs/${org}/reports/usage_pulls/daily/1999-01-01/download`, oat, 404],
    ];
    for (const [path, token, status] of cases) {
      const reply = await data(path, token);
      expect(reply.status, path).toBe(status);
      expect(Object.keys(reply.body), path).toEqual(['error']);
    }
    emu.state.usage.withoutEnterprise.add(org);
    const noEnterprise = await data(`/orgs/${org}/reports`);
    expect(noEnterprise.status).toBe(403);
    emu.state.usage.withoutEnterprise.delete(org);
  });

  it.runIf(spec !== undefined)('every operation of the document was answered with a success and checked', () => {
    const operations = (spec as SpecChecker).operations();
    expect(operations).toHaveLength(4);
    expect(operations.filter((op) => ![...checked].some((c) => c.startsWith(`${op} 2`) || c.startsWith(`${op} 3`)))).toEqual([]);
  });

  it.runIf(spec !== undefined)('the checker reports a deliberately wrong value', () => {
    const c = spec as SpecChecker;
    const report = { ReportType: 'usage_pulls', Cadence: 'daily', Date: '2026-13-45', SizeBytes: 1.5 };
    expect(c.check('Report', report)).toEqual([
      'Report.Key: required by the spec, missing',
      'Report.Date: "2026-13-45" is not a date',
      'Report.SizeBytes: expected integer, got number',
    ]);
    const path = `/enterprise-data/v1/orgs/${org}/reports/usage_pulls/daily`;
    expect(c.checkReply({ method: 'GET', path, status: 200, body: { reports: [] } })?.problems).toEqual([
      'GET /orgs/{org_name}/reports/{type}/{cadence} 200.next_page_token: required by the spec, missing',
    ]);
    expect(c.checkReply({ method: 'GET', path: `${path}/2026-06-16/download`, status: 302, body: '', headers: {} })?.problems).toEqual([
      'GET /orgs/{org_name}/reports/{type}/{cadence}/{date}/download 302: header Location missing',
    ]);
    expect(c.checkReply({ method: 'GET', path, status: 403, body: { detail: 'x' } })?.problems).toEqual([
      'GET /orgs/{org_name}/reports/{type}/{cadence} 403.error: required by the spec, missing',
    ]);
    expect(c.checkReply({ method: 'GET', path: `/v2/orgs/${org}/reports`, status: 200, body: {} })).toBeUndefined();
  });
});
