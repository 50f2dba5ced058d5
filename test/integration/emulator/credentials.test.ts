import { afterEach, describe, expect, it } from 'vitest';
import { type EmulatorOptions, type RunningEmulator, startEmulator } from '../../../src/emulator/index.js';
import { hubClient } from './support.js';

const running: RunningEmulator[] = [];

async function start(options: EmulatorOptions = {}) {
  const emu = await startEmulator({ port: 0, ...options });
  running.push(emu);
  const [first, second] = emu.credentials.oat;
  if (!first || !second) throw new Error('the emulator needs two organizations');
  return { emu, hub: hubClient(emu), first: first.org, second: second.org };
}

afterEach(async () => {
  await Promise.all(running.splice(0).map((emu) => emu.close()));
});

describe('several organizations, each with its own token', () => {
  it('an organization access token reaches its own organization and is refused on another', async () => {
    const { hub, first, second } = await start();
    const token = await hub.oat(first);
    expect((await hub.get(`/v2/orgs/${first}/members`, token)).status).toBe(200);
    const other = await hub.get(`/v2/orgs/${second}/members`, token);
    expect(other.status).toBe(403);
    expect((await hub.get(`/v2/auditlogs/${second}`, token)).status).toBe(403);
  });

  it('a deactivated organization access token ends the sessions opened with it, and logs in no more', async () => {
    const { emu, hub, first } = await start();
    const token = await hub.oat(first);
    const id = emu.state.orgs.oats(first).find((t) => t.secret === emu.credentials.oat[0]!.token)!.id;
    const owner = await hub.owner();
    expect((await hub.call('PATCH', `/v2/orgs/${first}/access-tokens/${id}`, { token: owner, body: { is_active: false } })).status).toBe(200);
    expect((await hub.get(`/v2/orgs/${first}/members`, token)).status).toBe(401);
    await expect(hub.oat(first)).rejects.toThrow(/401/);
  });

  it('with rateLimitBy "credential", each user or organization spends its own budget', async () => {
    const { hub, first, second } = await start({ rateLimitPerMinute: 2, rateLimitBy: 'credential' });
    // Logins are anonymous requests: they spend the address budget.
    const a = await hub.oat(first);
    const b = await hub.oat(second);
    const path = (org: string) => `/v2/orgs/${org}/members`;
    expect([(await hub.get(path(first), a)).status, (await hub.get(path(first), a)).status, (await hub.get(path(first), a)).status]).toEqual([200, 200, 429]);
    const other = [await hub.get(path(second), b), await hub.get(path(second), b)];
    expect(other.map((r) => r.status)).toEqual([200, 200]);
    expect(other.map((r) => r.headers['x-ratelimit-remaining'])).toEqual(['1', '0']);
  });

  it('by default the budget is the address, shared by every credential', async () => {
    const { hub, first, second } = await start({ rateLimitPerMinute: 4 });
    const a = await hub.oat(first);
    const b = await hub.oat(second);
    expect((await hub.get(`/v2/orgs/${first}/members`, a)).status).toBe(200);
    expect((await hub.get(`/v2/orgs/${second}/members`, b)).status).toBe(200);
    expect((await hub.get(`/v2/orgs/${second}/members`, b)).status).toBe(429);
  });
});
