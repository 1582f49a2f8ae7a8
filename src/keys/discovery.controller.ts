import { Controller, Get, Header, Inject, NotFoundException, Res } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Public } from '../common/decorators/public.decorator';
import { appConfig, isAbsoluteUrl } from '../config/app.config';
import type { PublicJwk } from './key-pairs';
import { KeyStore } from './key-store';

/** Seconds the discovery documents may be cached: they change only with the configuration. */
const METADATA_MAX_AGE = 300;

interface Reply {
  header(name: string, value: string): unknown;
}

/**
 * What other services need to verify Gatehouse's tokens on their own: the public keys (RFC 7517)
 * and the authorization-server metadata (RFC 8414; the same document at the OpenID Connect
 * discovery path, where OIDC libraries look). The metadata lists only what Gatehouse supports.
 */
@ApiTags('discovery')
@Public()
@Controller('.well-known')
export class DiscoveryController {
  constructor(
    @Inject(appConfig.KEY) private readonly config: ConfigType<typeof appConfig>,
    private readonly keys: KeyStore,
  ) {}

  @Get('jwks.json')
  @ApiOperation({
    summary: 'The public keys that verify access tokens (next, current and retiring); {"keys": []} under HS512',
    description: 'Cacheable for half of KEY_PUBLISH_DELAY: a new key is published for the whole delay before it signs.',
  })
  @ApiOkResponse({ schema: { example: { keys: [{ kty: 'OKP', crv: 'Ed25519', x: '…', kid: '…', alg: 'EdDSA', use: 'sig' }] } } })
  jwks(@Res({ passthrough: true }) reply: Reply): { keys: PublicJwk[] } {
    const maxAge = Math.floor(this.config.jwt.keyPublishDelay / 2);
    reply.header('Cache-Control', maxAge > 0 ? `public, max-age=${maxAge}` : 'no-cache');
    return { keys: this.keys.publishedKeys() };
  }

  @Get('oauth-authorization-server')
  @Header('Cache-Control', `public, max-age=${METADATA_MAX_AGE}`)
  @ApiOperation({ summary: 'Authorization server metadata (RFC 8414)' })
  @ApiOkResponse({ description: 'issuer, jwks_uri, endpoints, supported algorithms, grant types and auth methods' })
  @ApiNotFoundResponse({ description: 'JWT_ISSUER is not a URL (HS512 with the default "gatehouse")' })
  authorizationServer(): Record<string, unknown> {
    return this.metadata();
  }

  @Get('openid-configuration')
  @Header('Cache-Control', `public, max-age=${METADATA_MAX_AGE}`)
  @ApiOperation({
    summary: 'The same metadata where OpenID Connect libraries look for it',
    description: 'Gatehouse issues no ID tokens and has no authorization endpoint: the document is for finding the keys and endpoints.',
  })
  @ApiOkResponse({ description: 'As /.well-known/oauth-authorization-server' })
  @ApiNotFoundResponse({ description: 'JWT_ISSUER is not a URL (HS512 with the default "gatehouse")' })
  openidConfiguration(): Record<string, unknown> {
    return this.metadata();
  }

  private metadata(): Record<string, unknown> {
    const { issuer, algorithm } = this.config.jwt;
    if (!isAbsoluteUrl(issuer)) {
      throw new NotFoundException(
        `No discovery document: JWT_ISSUER is "${issuer}", not a URL. Discovery names endpoints under the issuer, ` +
          'so set JWT_ISSUER to Gatehouse’s public base URL (e.g. http://localhost:3000 in development, https://… in production)',
      );
    }
    const base = issuer.replace(/\/+$/, '');
    return {
      issuer,
      jwks_uri: `${base}/.well-known/jwks.json`,
      // Service clients (client credentials, HTTP Basic or in the body) and sessions (refresh token, a public client).
      token_endpoint: `${base}/oauth/token`,
      grant_types_supported: ['client_credentials', 'refresh_token'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
      response_types_supported: [],
      introspection_endpoint: `${base}/authenticate/introspect`,
      introspection_endpoint_auth_methods_supported: ['client_secret_basic'],
      revocation_endpoint: `${base}/authenticate/revoke`,
      revocation_endpoint_auth_methods_supported: ['none'],
      // Not a registered name (RFC 8414 has none for access tokens): the algorithm tokens carry.
      access_token_signing_alg_values_supported: [algorithm],
      subject_types_supported: ['public'],
      claims_supported: [
        'iss',
        'sub',
        'aud',
        'exp',
        'iat',
        'jti',
        'sid',
        'preferred_username',
        'roles',
        'scope',
        'client_id',
        'amr',
        'auth_time',
      ],
      service_documentation: `${base}/docs`,
    };
  }
}
