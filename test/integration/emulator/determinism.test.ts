import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningEmulator, startEmulator } from '../../../src/emulator/index.js';
import { getWithHost, hubClient } from './support.js';

// Same seed → byte-identical bodies. The Host header is fixed so the absolute `next` links match too.
const HOST = 'hub.docker.test';

let a: RunningEmulator;
let b: RunningEmulator;
let other: RunningEmulator;

beforeAll(async () => {
  [a, b, other] = await Promise.all([startEmulator({ seed: 'same-seed' }), startEmulator({ seed: 'same-seed' }), startEmulator({ seed: 'other-seed' })]);
});

afterAll(async () => {
  await Promise.all([a, b, other].map((emu) => emu.close()));
});

async function bodies(emu: RunningEmulator): Promise<string[]> {
  const owner = await hubClient(emu).owner();
  const org = emu.state.orgNames[0] as string;
  const repo = emu.state.repositories.sorted(org, 'name').find((r) => r.seed.tagCount > 5)?.seed.name as string;
  const paths = [
    `/v2/namespaces/${org}/repositories?page_size=100`,
    `/v2/namespaces/${org}/repositories/${repo}`,
    `/v2/namespaces/${org}/repositories/${repo}/tags?page_size=100`,
    `/v2/auditlogs/${org}?page_size=100`,
    `/v2/orgs/${org}/members?page_size=100`,
    `/v2/orgs/${org}/groups?page_size=100`,
    `/v2/orgs/${org}/invites`,
  ];
  const out: string[] = [];
  for (const path of paths) out.push((await getWithHost(emu, path, HOST, owner)).text);
  return out;
}

describe('determinism', () => {
  it('two emulators with the same seed serve identical repository lists, tag lists and the rest', async () => {
    const [first, second] = await Promise.all([bodies(a), bodies(b)]);
    expect(first[0]).toContain('"results":[{');
    expect(first[2]).toContain('"images":[{');
    expect(second).toEqual(first);
    expect(JSON.stringify(a.snapshot())).toBe(JSON.stringify(b.snapshot()));
    expect(a.credentials).toEqual(b.credentials);
  });

  it('another seed serves other data', async () => {
    expect(JSON.stringify(other.snapshot({ tags: false }))).not.toBe(JSON.stringify(a.snapshot({ tags: false })));
  });
});
