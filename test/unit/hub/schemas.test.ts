// Realistic payloads: the spec's own examples (latest-0073bb6.yaml and 2-beta) plus the quirks
// docs/hub-quirks.md lists for real answers.
import { describe, expect, it } from 'vitest';
import {
  accessTokenPageSchema,
  arrayPageSchema,
  auditActionsResponseSchema,
  auditLogEventSchema,
  bulkInviteResponseSchema,
  dataPageSchema,
  groupMemberSchema,
  inviteSchema,
  logsPageSchema,
  orgAccessTokenSchema,
  orgGroupSchema,
  orgMemberSchema,
  orgSettingsSchema,
  parseHubTimestamp,
  repositoryGroupSchema,
  repositoryInfoSchema,
  repositoryListEntrySchema,
  resultsPageSchema,
  tagSchema,
  totalPageSchema,
  validateItems,
  formatIssues,
} from '../../../src/hub/schemas.js';

// 2-beta, GET /v2/namespaces/{namespace}/repositories example
const repositoriesListExample = {
  count: 287,
  next: 'https://hub.docker.com/v2/namespaces/docker/repositories?page=2&page_size=2',
  previous: null,
  results: [
    {
      name: 'highland_builder',
      namespace: 'docker',
      repository_type: 'image',
      status: 1,
      status_description: 'active',
      description: 'Image for performing Docker build requests',
      is_private: false,
      star_count: 7,
      pull_count: 15722123,
      last_updated: '2023-06-20T10:44:45.459826Z',
      last_modified: '2024-10-16T13:48:34.145251Z',
      date_registered: '2015-05-19T21:13:35.937763Z',
      affiliation: '',
      media_types: [
        'application/octet-stream',
        'application/vnd.docker.container.image.v1+json',
        'application/vnd.docker.distribution.manifest.v1+prettyjws',
      ],
      content_types: ['unrecognized', 'image'],
      categories: [
        { name: 'Languages & frameworks', slug: 'languages-and-frameworks' },
        { name: 'Integration & delivery', slug: 'integration-and-delivery' },
        { name: 'Operating systems', slug: 'operating-systems' },
      ],
      storage_size: 488723114800,
    },
    {
      name: 'whalesay',
      namespace: 'docker',
      repository_type: null,
      status: 1,
      status_description: 'active',
      description: 'An image for use in the Docker demo tutorial',
      is_private: false,
      star_count: 757,
      pull_count: 130737682,
      last_updated: '2015-06-19T19:06:27.388123Z',
      last_modified: '2024-10-16T13:48:34.145251Z',
      date_registered: '2015-06-09T18:16:36.527329Z',
      affiliation: '',
      media_types: ['application/vnd.docker.distribution.manifest.v1+prettyjws'],
      content_types: ['image'],
      categories: [{ name: 'Languages & frameworks', slug: 'languages-and-frameworks' }],
      storage_size: 103666708,
    },
  ],
};

// 2-beta, GET /v2/namespaces/{namespace}/repositories/{repository} example (no user, no permissions, "Active")
const repositoryInfoExample = {
  name: 'my-app',
  namespace: 'myorganization',
  repository_type: 'image',
  status: 1,
  status_description: 'Active',
  description: 'A sample application repository',
  is_private: false,
  is_automated: false,
  star_count: 0,
  pull_count: 0,
  last_updated: '2025-01-20T10:30:00Z',
  date_registered: '2025-01-20T10:30:00Z',
  collaborator_count: 0,
  hub_user: 'myorganization',
  has_starred: false,
  full_description: 'This is a comprehensive description of my application repository that contains additional details about the project.',
  media_types: [],
  content_types: [],
  categories: [],
  immutable_tags_settings: { enabled: false, rules: [] },
  storage_size: null,
  source: null,
};

// A real-world tag: images array, tag_status, nulls, fractionless timestamps, os "".
const realTag = {
  creator: 7,
  id: 2343,
  images: [
    {
      architecture: 'amd64',
      features: '',
      variant: null,
      digest: 'sha256:0b1a',
      os: 'linux',
      os_features: '',
      os_version: null,
      size: 3_622_892,
      status: 'active',
      last_pulled: '2025-01-10T08:00:01.123456Z',
      last_pushed: '2024-12-01T10:00:00Z',
    },
    {
      architecture: 'unknown',
      features: '',
      variant: null,
      digest: 'sha256:9f2c',
      os: '',
      os_features: '',
      os_version: null,
      size: 0,
      status: 'inactive',
      last_pulled: null,
      last_pushed: '2024-12-01T10:00:00Z',
    },
  ],
  last_updated: '2024-12-01T10:00:00Z',
  last_updater: 7,
  last_updater_username: 'doijanky',
  name: 'latest',
  repository: 12,
  full_size: 3_622_892,
  v2: true,
  tag_status: 'active',
  tag_last_pulled: '2025-01-10T08:00:01Z',
  tag_last_pushed: '2024-12-01T10:00:00Z',
  media_type: 'application/vnd.oci.image.index.v1+json',
  content_type: 'image',
  digest: 'sha256:abcd',
};

const oldTag = { id: 1, name: '0.1', images: [], last_updated: null, tag_last_pushed: null, tag_last_pulled: null, full_size: 0, v2: true, tag_status: 'inactive' };

describe('repositories', () => {
  it('parses the spec list example, including repository_type null', () => {
    const page = resultsPageSchema(repositoryListEntrySchema).parse(repositoriesListExample);
    expect(page.results).toHaveLength(2);
    expect(page.results[1]?.repository_type).toBeNull();
  });

  it('parses the spec detail example (no user/permissions, status_description "Active")', () => {
    const info = repositoryInfoSchema.parse(repositoryInfoExample);
    expect(info.immutable_tags_settings?.enabled).toBe(false);
    expect(info.storage_size).toBeNull();
  });

  it('media_types may contain null; last_updated may be null', () => {
    const r = repositoryListEntrySchema.parse({ name: 'x', namespace: 'y', media_types: ['application/vnd.oci.image.index.v1+json', null], last_updated: null });
    expect(r.media_types).toEqual(['application/vnd.oci.image.index.v1+json', null]);
  });

  it('keeps unknown fields (schema drift is stored, not dropped)', () => {
    const r = repositoryInfoSchema.parse({ ...repositoryInfoExample, brand_new_field: { nested: 1 } });
    expect((r as Record<string, unknown>).brand_new_field).toEqual({ nested: 1 });
  });

  it('rejects an entry without a name and a pull_count that is not a number', () => {
    expect(repositoryListEntrySchema.safeParse({ namespace: 'x' }).success).toBe(false);
    expect(repositoryListEntrySchema.safeParse({ name: 'a', namespace: 'x', pull_count: '12' }).success).toBe(false);
  });

  it('team access grant answer', () => {
    expect(repositoryGroupSchema.parse({ group_name: 'developers', permission: 'write', group_id: 12345 })).toMatchObject({ group_id: 12345 });
  });
});

describe('tags', () => {
  it('parses a real tag with an images array, os "", null variant/os_version/last_pulled', () => {
    const tag = tagSchema.parse(realTag);
    expect(tag.images).toHaveLength(2);
    expect(tag.images?.[1]?.os).toBe('');
    expect(tag.images?.[0]?.variant).toBeNull();
  });

  it('parses an old tag with null last_updated and tag_last_pushed', () => {
    expect(tagSchema.parse(oldTag).last_updated).toBeNull();
  });

  it('accepts the spec\'s single image object as a one-element array', () => {
    const tag = tagSchema.parse({ name: 'latest', images: { architecture: 'arm64', digest: null, os: 'linux' }, v2: 'true', status: 'active' });
    expect(tag.images).toEqual([{ architecture: 'arm64', digest: null, os: 'linux' }]);
  });

  it('timestamps with and without fractions; garbage is rejected', () => {
    for (const t of ['2021-01-05T21:06:53.506400Z', '2021-01-05T21:06:53Z', '2021-01-05T21:06:53+00:00', '2021-01-05T21:06:53']) {
      expect(tagSchema.safeParse({ name: 'a', last_updated: t }).success, t).toBe(true);
    }
    expect(tagSchema.safeParse({ name: 'a', last_updated: 'yesterday' }).success).toBe(false);
  });

  it('parseHubTimestamp', () => {
    expect(parseHubTimestamp('2021-01-05T21:06:53.506400Z')?.toISOString()).toBe('2021-01-05T21:06:53.506Z');
    expect(parseHubTimestamp('2021-01-05T21:06:53')?.toISOString()).toBe('2021-01-05T21:06:53.000Z');
    expect(parseHubTimestamp('2021-01-05T21:06:53+02:00')?.toISOString()).toBe('2021-01-05T19:06:53.000Z');
    expect(parseHubTimestamp(null)).toBeNull();
    expect(parseHubTimestamp('')).toBeNull();
  });
});

describe('audit logs', () => {
  it('parses the spec example', () => {
    const page = logsPageSchema(auditLogEventSchema).parse({
      logs: [
        {
          account: 'docker',
          action: 'repo.tag.push',
          name: 'docker/example',
          actor: 'docker',
          data: { digest: 'sha256:c1ae9c435032a276f80220c7d9b40f76266bbe79243d34f9cda30b76fe114dfa', tag: 'latest' },
          timestamp: '2021-02-19T01:34:35Z',
          action_description: 'pushed the tag latest with the digest sha256:c1ae9c435032a to the repository docker/example\n',
        },
      ],
    });
    expect(page.logs[0]?.data).toMatchObject({ tag: 'latest' });
  });

  it('parses the actions catalogue', () => {
    const r = auditActionsResponseSchema.parse({
      actions: {
        org: { label: 'Organization', actions: [{ name: 'team.create', description: 'contains team create events', label: 'Team Created' }] },
        repo: { label: 'Repository', actions: [{ name: 'tag.push', description: 'Activities related to the tags pushed', label: 'Tag Pushed' }] },
      },
    });
    expect(Object.keys(r.actions)).toEqual(['org', 'repo']);
  });
});

describe('organizations', () => {
  const member = {
    id: '0ab70deb065a43fcacd55d48caa945d8',
    company: 'Docker Inc',
    date_joined: '2021-01-05T21:06:53.506400Z',
    full_name: 'Jon Snow',
    gravatar_email: '',
    gravatar_url: '',
    location: '',
    profile_url: '',
    type: 'User',
    username: 'dockeruser',
    email: 'example@docker.com',
    role: 'Owner',
    groups: ['developers', 'owners'],
    is_guest: false,
    primary_email: 'example@docker.com',
  };

  it('members with and without the insights fields', () => {
    expect(orgMemberSchema.parse(member).last_logged_in_at).toBeUndefined();
    expect(orgMemberSchema.parse({ ...member, last_logged_in_at: '2021-01-05T21:06:53.506400Z', last_seen_at: '2021-01-05T21:06:53Z', last_desktop_version: '4.29.0' }).last_desktop_version).toBe('4.29.0');
  });

  it('teams, team members (results or bare array), settings', () => {
    expect(resultsPageSchema(orgGroupSchema).parse({ count: 1, next: null, previous: null, results: [{ id: 10, uuid: 'u', name: 'mygroup', description: 'Groups description', member_count: 10 }] }).results).toHaveLength(1);
    const gm = { id: '0ab7', username: 'dockeruser', email: 'dockeruser@docker.com', date_joined: '2021-01-05T21:06:53.506400Z', type: 'User' };
    expect(arrayPageSchema(groupMemberSchema).parse([gm])).toHaveLength(1);
    expect(orgSettingsSchema.parse({ restricted_images: { enabled: true, allow_official_images: true, allow_verified_publishers: true } }).restricted_images.enabled).toBe(true);
  });

  it('invites and the bulk invite answer in both nestings', () => {
    const invite = { id: 'e36eca69-4cc8-4f17-9845-ae8c2b832691', inviter_username: 'moby', invitee: 'invitee@docker.com', org: 'docker', team: 'owners', created_at: '2021-10-28T18:30:19.520861Z' };
    expect(dataPageSchema(inviteSchema).parse({ data: [invite] }).data[0]?.id).toBe(invite.id);
    const flat = { invitees: [{ invitee: 'invitee@docker.com', status: 'invited', invite }, { invitee: 'invitee2@docker.com', status: 'existing_org_member' }] };
    expect(bulkInviteResponseSchema.parse(flat).invitees).toHaveLength(2);
    expect(bulkInviteResponseSchema.parse({ invitees: flat }).invitees).toHaveLength(2);
  });
});

describe('tokens', () => {
  it('personal access token page with active_count and token ""', () => {
    const page = accessTokenPageSchema.parse({
      count: 1,
      next: null,
      previous: null,
      active_count: 1,
      results: [
        {
          uuid: 'b30bbf97-506c-4ecd-aabc-842f3cb484fb',
          client_id: 'HUB',
          creator_ip: '127.0.0.1',
          creator_ua: 'some user agent',
          created_at: '2021-07-20T12:00:00.000000Z',
          last_used: null,
          generated_by: 'manual',
          is_active: true,
          token: '',
          token_label: 'My read only token',
          scopes: ['repo:read'],
          expires_at: '2021-10-28T18:30:19.520861Z',
        },
      ],
    });
    expect(page.active_count).toBe(1);
  });

  it('organization access tokens: total page, and the create answer with resources and secret', () => {
    const oat = { id: 'a7a5ef25-8889-43a0-8cc7-f2a94268e861', label: 'My organization token', created_by: 'johndoe', is_active: true, created_at: '2022-05-20T00:54:18Z', expires_at: null, last_used_at: null };
    expect(totalPageSchema(orgAccessTokenSchema).parse({ total: 1, next: null, previous: null, results: [oat] }).total).toBe(1);
    const created = orgAccessTokenSchema.parse({ ...oat, token: 'dckr_oat_FAKE_for_tests', resources: [{ type: 'TYPE_REPO', path: 'myorg/myrepo', scopes: ['repo-pull'] }] });
    expect(created.resources?.[0]?.path).toBe('myorg/myrepo');
  });
});

describe('validateItems', () => {
  it('keeps valid items and reports invalid ones with their payload and issues', () => {
    const bad = { ...realTag, name: undefined, full_size: 'huge' };
    const { valid, invalid } = validateItems(tagSchema, [realTag, bad, oldTag]);
    expect(valid.map((t) => t.name)).toEqual(['latest', '0.1']);
    expect(invalid).toHaveLength(1);
    expect(invalid[0]?.raw).toBe(bad);
    expect(invalid[0]?.index).toBe(1);
    expect(invalid[0]?.issues.map((i) => i.path.join('.')).sort()).toEqual(['full_size', 'name']);
    expect(formatIssues(invalid[0]!.issues)).toMatch(/name: .*; full_size: |full_size: .*; name: /);
  });
});
