import type { OidcProviderConfig } from '../config/federation.config';
import { FederationService } from './federation.service';

describe('FederationService.callbackUrl', () => {
  const provider = { name: 'keycloak' } as OidcProviderConfig;
  const service = (publicUrl?: string) =>
    new FederationService(
      { federation: { providers: [], postLoginRedirects: ['/'], publicUrl }, http: { port: 3000 } } as never,
      {} as never,
      {} as never,
      {} as never,
      {} as never,
    );

  it('is built from PUBLIC_URL when set, whatever Host the request carried', () => {
    expect(service('https://auth.example.org').callbackUrl(provider, 'http://evil.example')).toBe(
      'https://auth.example.org/authenticate/oidc/keycloak/callback',
    );
  });

  it('falls back to the request origin, then to localhost', () => {
    expect(service().callbackUrl(provider, 'http://127.0.0.1:4000')).toBe('http://127.0.0.1:4000/authenticate/oidc/keycloak/callback');
    expect(service().callbackUrl(provider)).toBe('http://localhost:3000/authenticate/oidc/keycloak/callback');
  });
});
