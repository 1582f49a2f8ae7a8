import { Controller, Headers, HttpCode, HttpStatus, Post, Req } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBasicAuth,
  ApiBody,
  ApiConsumes,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { NoStore } from '../common/decorators/no-store.decorator';
import { Public } from '../common/decorators/public.decorator';
import { RawBody } from '../common/decorators/raw-body.decorator';
import { OAuthTokenRequestDto } from './dto/credentials.dto';
import { OAuthTokenResponse, OAuthTokenService } from './oauth-token.service';

/** The OAuth 2 token endpoint (RFC 6749 §3.2), as the discovery document names it. */
@ApiTags('authentication')
@Controller('oauth')
export class OAuthTokenController {
  constructor(private readonly tokens: OAuthTokenService) {}

  @Post('token')
  @Public()
  @HttpCode(HttpStatus.OK)
  @NoStore()
  @ApiOperation({
    summary: 'OAuth 2 token endpoint: client credentials (service clients) and refresh token grants',
    description:
      'grant_type=client_credentials with the client authenticated by HTTP Basic (client_secret_basic) or client_id and ' +
      'client_secret in the body (client_secret_post): {access_token, token_type, expires_in, scope}, no refresh token. ' +
      'grant_type=refresh_token&refresh_token=…: a session’s new tokens. Errors per RFC 6749 §5.2 (error, error_description).',
  })
  @ApiConsumes('application/x-www-form-urlencoded')
  @ApiBody({ type: OAuthTokenRequestDto })
  @ApiBasicAuth('basic')
  @ApiOkResponse({ schema: { example: { access_token: 'eyJ…', token_type: 'Bearer', expires_in: 300, scope: 'patients:read' } } })
  @ApiBadRequestResponse({ description: 'invalid_request, invalid_scope, invalid_grant, unsupported_grant_type' })
  @ApiUnauthorizedResponse({ description: 'invalid_client (with a Basic challenge)' })
  @ApiTooManyRequestsResponse({ description: 'Too many failed client authentications from this address (Retry-After)' })
  token(
    // Read as sent (not through the global ValidationPipe): RFC 6749 §3.2 says unknown parameters are ignored, not refused.
    @RawBody() body: unknown,
    @Headers('authorization') authorization: string | undefined,
    @Req() req: { ip?: string },
  ): Promise<OAuthTokenResponse> {
    return this.tokens.token(body, authorization, req.ip);
  }
}
