import type { OidcProviderConfig } from '../config/federation.config';
import { claimAt, FederatedUsersService } from './federated-users.service';

const provider: OidcProviderConfig = {
  name: 'keycloak',
  issuer: 'https://sso.example.org',
  clientId: 'gatehouse',
  scopes: 'openid',
  claims: {
    username: 'preferred_username',
    systemId: 'sub',
    email: 'email',
    firstName: 'given_name',
    lastName: 'family_name',
    roles: 'realm_access.roles',
    enabled: 'active',
  },
};

describe('claim mapping', () => {
  const service = new FederatedUsersService({} as never, {} as never);

  it('reads dotted paths, and a claim whose own name contains a dot', () => {
    expect(claimAt({ realm_access: { roles: ['a'] } }, 'realm_access.roles')).toEqual(['a']);
    expect(claimAt({ 'https://example.org/roles': ['b'] }, 'https://example.org/roles')).toEqual(['b']);
    expect(claimAt({ realm_access: null }, 'realm_access.roles')).toBeUndefined();
  });

  it('maps the claims to the user fields', () => {
    expect(
      service.map(provider, {
        sub: 'f:123',
        preferred_username: 'ada',
        email: 'ada@example.org',
        given_name: 'Ada',
        family_name: 'Lovelace',
        realm_access: { roles: ['ADMIN', 7] },
        active: false,
      }),
    ).toEqual({
      username: 'ada',
      systemId: 'f:123',
      email: 'ada@example.org',
      firstName: 'Ada',
      lastName: 'Lovelace',
      roles: ['ADMIN'],
      enabled: false,
    });
  });

  it('leaves roles and enabled alone when the token does not carry them', () => {
    const mapped = service.map(provider, { sub: '1', preferred_username: 'ada' });
    expect(mapped.roles).toBeUndefined();
    expect(mapped.enabled).toBeUndefined();
  });

  it.each([
    [{ sub: '1' }, /no "preferred_username" claim/],
    [{ sub: '1', preferred_username: 'ada lovelace' }, /not a valid Gatehouse username/],
    [{ preferred_username: 'ada' }, /no "sub" claim/],
  ])('refuses %j with a 401 that says why', (claims, message) => {
    expect(() => service.map(provider, claims)).toThrow(message);
  });
});
