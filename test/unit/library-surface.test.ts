import { describe, expect, it } from 'vitest';
import * as library from '../../src/index.js';

describe('package entry point', () => {
  it('exports the client, the database layer and the config loader', () => {
    for (const name of ['createHubClient', 'createDockerHubApi', 'HubPermissionError', 'HubRateLimitError', 'tagSchema', 'openDatabase', 'migrateDatabase', 'loadConfig', 'schema']) {
      expect(library, name).toHaveProperty(name);
    }
    expect(Object.keys(library.schema)).toEqual(expect.arrayContaining(['repositories', 'tags', 'tagImages', 'auditLogs', 'changes']));
  });

  it('documents every method of the npm docker-hub-api library, replaced or gone', () => {
    expect(library.npmLibraryCoverage.length).toBeGreaterThan(20);
    for (const entry of library.npmLibraryCoverage) expect(entry.note.length).toBeGreaterThan(10);
  });
});
