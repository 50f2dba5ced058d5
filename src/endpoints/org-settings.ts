import { HubNotFoundError, HubPermissionError } from '../hub/errors.js';
import { orgSettingsSchema } from '../hub/schemas.js';
import type { Row, SliceRun } from '../sync/context.js';
import { entities } from '../sync/entities.js';
import { json, obj } from './map.js';
import { enc, type EndpointDefinition } from './types.js';

export function orgSettingsRow(org: string, raw: Record<string, unknown>): Row {
  return {
    org,
    restricted_images: json(raw.restricted_images),
    registry_access_management: json(raw.registry_access_management),
    raw,
  };
}

async function run(run: SliceRun): Promise<void> {
  const org = run.slice.params.org!;
  const { client } = run.deps;
  const settings = await client.request<unknown>({ path: `/v2/orgs/${enc(org)}/settings`, endpoint: `settings of ${org}` });
  run.pageFetched();
  // Registry access management has its own call, outside the spec; plans without it answer
  // 403/404, which only means there is nothing to store.
  let registryAccess: unknown;
  try {
    const ram = await client.request<unknown>({
      path: `/v2/orgs/${enc(org)}/settings/registry-access-management`,
      endpoint: `registry access management of ${org}`,
    });
    run.pageFetched();
    registryAccess = ram.body;
  } catch (error) {
    if (!(error instanceof HubNotFoundError || error instanceof HubPermissionError)) throw error;
    run.logger.debug({ org }, 'registry access management not available');
  }
  await run.transaction(async (tx) => {
    const checked = await run.validate(tx, orgSettingsSchema, [settings.body], settings.url);
    const item = checked.valid[0];
    if (!item) return;
    const raw = registryAccess === undefined ? item.raw : { ...item.raw, registry_access_management: obj(registryAccess) };
    await run.upsert(tx, entities.orgSettings, [orgSettingsRow(org, raw)]);
    await run.setCursor(tx, null, { complete: true });
  });
}

export const orgSettingsEndpoint: EndpointDefinition = {
  name: 'org_settings',
  title: 'Organization settings',
  reference: 'https://docs.docker.com/reference/api/hub/latest/#tag/org-settings',
  tables: ['org_settings'],
  schedule: '20 * * * *',
  async slices(plan) {
    return plan.orgs.map((org) => ({ key: org, params: { org } }));
  },
  run,
  request(slice) {
    return { path: `/v2/orgs/${enc(slice.params.org!)}/settings`, shape: 'object', schema: orgSettingsSchema };
  },
};
