import { describe, expect, it } from 'vitest';
import { chainedPasses } from '../../support/chained-passes.js';

const HOUR_MS = 3_600_000;

/**
 * Tags are re-read because a repository was pulled or pushed, not because time went by: a pull
 * moves the repository's pull_count on the list, and that alone selects its tags.
 */
describe('which repositories have their tags read', () => {
  const passes = chainedPasses(['repositories', 'repository_details', 'tags'], { seed: 11 });
  const pass = async () => (await passes.pass()).counts;
  const advance = (ms: number) => passes.advance(ms);

  it('a pass a day later with nothing pulled or pushed reads no tags', async () => {
    advance(25 * HOUR_MS);
    const counts = await pass();
    expect(counts['tags.list'] ?? 0).toBe(0);
    expect(counts['repositories.get'] ?? 0).toBe(0);
  });

  it('a pull on one tag re-reads the tags of that repository only', async () => {
    const snapshot = passes.emulator.snapshot();
    const [key, tags] = Object.entries(snapshot.tags).find(([, list]) => list.length >= 2 && list.length <= 100)!;
    const [namespace, repository] = key.split('/') as [string, string];
    passes.emulator.state.bumpPulls(namespace, repository, 3, tags[1]!.name);
    advance(HOUR_MS);
    const counts = await pass();
    expect(counts['tags.list']).toBe(1);
    expect(counts['repositories.get'] ?? 0).toBe(0);
    // Read once, then settled: the next pass reads no tags.
    advance(HOUR_MS);
    expect((await pass())['tags.list'] ?? 0).toBe(0);
  });

  it('the safety-net refresh still re-reads every repository once TAG_REFRESH_INTERVAL has passed', async () => {
    advance(8 * 24 * HOUR_MS);
    const counts = await pass();
    const repositories = Object.values(passes.emulator.snapshot({ tags: false }).repositories).flat().length;
    expect(counts['tags.list']).toBeGreaterThanOrEqual(repositories);
  });
});
