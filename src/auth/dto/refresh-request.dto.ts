import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';

export class RefreshRequestDto {
  @ApiPropertyOptional({
    description:
      'The refresh token from the last login or refresh. Leave it out when it is in the refresh cookie, ' +
      'or to renew with the access token in Authorization: Bearer',
  })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  // As long as the longest access token (an RSA-signed one presented by mistake gets 401, not 400).
  @MaxLength(4096)
  refresh_token?: string;
}

/**
 * POST /authenticate/refresh, also as the RFC 6749 token endpoint (§6): a form-encoded
 * `grant_type=refresh_token&refresh_token=…` works as well as the JSON body.
 */
export class RefreshGrantDto extends RefreshRequestDto {
  @ApiPropertyOptional({ enum: ['refresh_token'], description: 'RFC 6749 §6; the only grant this endpoint takes' })
  @IsOptional()
  @IsIn(['refresh_token'], { message: 'grant_type must be refresh_token: the only grant this endpoint supports (unsupported_grant_type)' })
  grant_type?: string;

  @ApiPropertyOptional({
    description:
      'Sent by OAuth libraries for a public client (RFC 6749 §3.2.1); accepted and ignored: the refresh token alone names its session',
  })
  @IsOptional()
  @IsString()
  @MaxLength(256)
  client_id?: string;

  @ApiPropertyOptional({
    description:
      'RFC 6749 §6: space-separated permissions to narrow the new access token to, within what the session was granted ' +
      '(asking for more is 400 invalid_scope and leaves the refresh token usable). Default: the session’s scope.',
  })
  @IsOptional()
  @IsString()
  @MaxLength(8192)
  scope?: string;
}
