import { describe, expect, it } from 'vitest';
import { looksLikeSecret, maskSecrets } from '../../src/secret-text.js';
import { fakeOpaqueToken as opaqueToken, fakeToken, seeded } from '../support/seed.js';

// The one rule every configuration and command-line message goes through.

const FILE = 'test/unit/secret-text.test.ts';

describe('looksLikeSecret', () => {
  it.each([
    ['DOCKERHUB_TOKEN', false],
    ['dockerhub_token_acme', false],
    ['/run/secrets/dockerhub-token', false],
    ['acme-platform', false],
    ['sha256:4b825dc642cb6eb9a060e54bf8d69288fbee4904aabbccddeeff001122334455', false],
    ['writeback[0].batch.size', false],
    ['https://hub.docker.com', false],
    ['eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2ln', true],
    ['postgres://app:pw@db/hub', true],
    ['Bearer abc', true],
    ['Authorization: Basic YWxpY2U6aHVudGVyMg==', true],
    ['Basic authentication is not used', false],
  ])('%s → %s', (value, expected) => {
    expect(looksLikeSecret(value)).toBe(expected);
  });

  it('token shapes and random strings are secrets; masking keeps the rest of the text', () => {
    const { seed, random } = seeded(FILE);
    for (const token of [fakeToken('pat', seed), fakeToken('oat', seed + 1), opaqueToken(random), opaqueToken(random, 24)]) {
      expect(looksLikeSecret(token), token).toBe(true);
      expect(maskSecrets(`secretEnv ${token} (ENOENT)`)).toBe('secretEnv [redacted] (ENOENT)');
    }
  });
});
