import { describe, expect, it } from 'vitest';
import { isOatRefusedPath, oatRefusalMessage } from '../../../src/hub/errors.js';

// Spec c95ded2: organization access tokens work only on /v2/namespaces/{ns}/repositories/…;
// the legacy repository paths answer them 403 whatever their scopes.

describe('isOatRefusedPath', () => {
  it.each([
    ['/v2/repositories/acme/', true],
    ['/v2/repositories/acme/api/', true],
    ['/v2/repositories/{namespace}/{name}/', true],
    ['/v2/repositories/acme/api/tags?page_size=100', true],
    ['/v2/users/alice/repositories', true],
    ['/v2/repositories/acme/api/groups', false],
    ['/v2/repositories/{namespace}/{name}/groups', false],
    ['/v2/namespaces/acme/repositories/api', false],
    ['/v2/orgs/acme/members', false],
    ['/v2/users/login', false],
  ])('%s → %s', (path, refused) => {
    expect(isOatRefusedPath(path)).toBe(refused);
  });
});

describe('oatRefusalMessage', () => {
  const detail = 'token issued from organization access token is not allowed';

  it('names the legacy path as the cause and says what to do', () => {
    const message = oatRefusalMessage('update repository description', 'PATCH', '/v2/repositories/acme/api/', detail)!;
    expect(message).toContain('Docker Hub refused update repository description with 403: token issued from organization access token is not allowed.');
    expect(message).toContain('PATCH /v2/repositories/acme/api/ is a legacy repository path');
    expect(message).toContain('/v2/namespaces/{namespace}/repositories/');
    expect(message).toContain('What to do: serve this namespace with a password or personal access token credential');
  });

  it('on another path says the endpoint takes no OAT', () => {
    expect(oatRefusalMessage('list personal access tokens', 'GET', '/v2/access-tokens', `${detail} on this endpoint`)).toContain('this endpoint does not accept organization access tokens');
  });

  it('leaves every other 403 alone', () => {
    expect(oatRefusalMessage('x', 'GET', '/v2/repositories/acme/', 'token issued from personal access token is not allowed')).toBeUndefined();
    expect(oatRefusalMessage('x', 'GET', '/v2/repositories/acme/', undefined)).toBeUndefined();
  });
});
