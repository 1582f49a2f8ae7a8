import { Controller, HttpCode, HttpStatus, Post, UseGuards } from '@nestjs/common';
import {
  ApiBasicAuth,
  ApiBearerAuth,
  ApiBody,
  ApiConsumes,
  ApiForbiddenResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { NoStore } from '../common/decorators/no-store.decorator';
import { Public } from '../common/decorators/public.decorator';
import { RawBody } from '../common/decorators/raw-body.decorator';
import { readTokenRequest, TokenRequestDto } from './dto/token-request.dto';
import { IntrospectionCallerGuard } from './guards/introspection-caller.guard';
import { IntrospectionResponse, TokenIntrospection } from './token-introspection.service';

/**
 * The OAuth endpoints resource servers and clients call: introspection (RFC 7662) and revocation
 * (RFC 7009). Both take `application/x-www-form-urlencoded` bodies as RFC 6749 clients send them,
 * and JSON.
 */
@ApiTags('authentication')
@Controller('authenticate')
export class TokenEndpointsController {
  constructor(private readonly introspection: TokenIntrospection) {}

  @Post('introspect')
  // Not the bearer guard's business alone: the caller may authenticate with Basic too (the guard below).
  @Public()
  @UseGuards(IntrospectionCallerGuard)
  @HttpCode(HttpStatus.OK)
  @NoStore()
  @ApiOperation({
    summary: 'Is this token active, and whose is it? (RFC 7662)',
    description:
      'For an access token or a refresh token: {active, sub, username, roles, sid, exp, iat, iss, aud, token_type, client_id?}, ' +
      'or {active:false} for anything expired, revoked, unknown or malformed. The caller authenticates with Basic ' +
      '(a service account) or Bearer, and needs the INTROSPECT role (or ADMIN); INTROSPECTION_RATE_LIMIT requests a second.',
  })
  @ApiConsumes('application/x-www-form-urlencoded', 'application/json')
  @ApiBody({ type: TokenRequestDto })
  @ApiBasicAuth('basic')
  @ApiBearerAuth('bearer')
  // A personal access token given the introspect permission may call it too.
  @ApiBearerAuth('personal-access-token')
  @ApiOkResponse({
    schema: {
      example: {
        active: true,
        sub: '6f1c…',
        username: 'alice',
        roles: ['USER'],
        sid: '1b2e…',
        exp: 1767225600,
        iat: 1767225300,
        iss: 'https://auth.example.org',
        aud: 'gatehouse',
        token_type: 'Bearer',
      },
    },
  })
  @ApiUnauthorizedResponse({ description: 'No or wrong caller credentials' })
  @ApiForbiddenResponse({ description: 'The caller lacks the INTROSPECT role' })
  @ApiTooManyRequestsResponse({ description: 'More than INTROSPECTION_RATE_LIMIT requests this second' })
  // Checked by readTokenRequest, not the global ValidationPipe: the same rules, without its cost on a resource server's hot path.
  introspect(@RawBody() body: unknown): Promise<IntrospectionResponse> {
    return this.introspection.introspect(readTokenRequest(body).token);
  }

  @Post('revoke')
  @Public()
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Revoke a token: ends the session of a refresh token or of an access token (RFC 7009)',
    description: 'Holding the token is the proof. 200 also for unknown, expired or already revoked tokens: there is nothing to tell.',
  })
  @ApiConsumes('application/x-www-form-urlencoded', 'application/json')
  @ApiBody({ type: TokenRequestDto })
  @ApiOkResponse({ description: 'Done (or nothing to do)' })
  async revoke(@RawBody() body: unknown): Promise<void> {
    await this.introspection.revoke(readTokenRequest(body).token);
  }
}
