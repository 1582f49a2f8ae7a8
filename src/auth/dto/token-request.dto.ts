import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';

/** The body of introspection (RFC 7662 §2.1) and revocation (RFC 7009 §2.1), form-encoded or JSON. */
export class TokenRequestDto {
  // No length limit here: an oversized token is {active: false} (RFC 7662), like any other bad one;
  // the body limit (BODY_LIMIT) bounds it.
  @ApiProperty({ description: 'An access token or a refresh token' })
  @IsString()
  @IsNotEmpty()
  token: string;

  @ApiPropertyOptional({
    enum: ['access_token', 'refresh_token'],
    description: 'Accepted and not needed: the token’s shape tells which kind it is',
  })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  token_type_hint?: string;

  @ApiPropertyOptional({ description: 'Sent by some OAuth clients; ignored (the caller is authenticated by its credentials)' })
  @IsOptional()
  @IsString()
  @MaxLength(256)
  client_id?: string;
}
