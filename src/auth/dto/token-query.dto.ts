import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Matches, MaxLength } from 'class-validator';

export class TokenQueryDto {
  @ApiPropertyOptional({
    description: 'Requested access-token lifetime in seconds; clamped to ACCESS_TOKEN_MAX_TTL and to the session’s end',
    example: 600,
    type: Number,
  })
  @IsOptional()
  // Kept as a string and matched exactly: "1.5", "1e3", "0", "-1" and "abc" are all 400.
  @Matches(/^[1-9][0-9]*$/, { message: 'validity_secs must be a positive whole number of seconds' })
  validity_secs?: string;
}

export class LoginQueryDto extends TokenQueryDto {
  @ApiPropertyOptional({
    description: 'true: deliver the refresh token in an HttpOnly cookie instead of the body (default: REFRESH_TOKEN_COOKIE)',
    enum: ['true', 'false'],
  })
  @IsOptional()
  @IsIn(['true', 'false'], { message: 'cookie must be true or false' })
  cookie?: 'true' | 'false';

  @ApiPropertyOptional({
    description:
      'Space-separated permissions the session’s tokens may use: a subset of yours (a down-scoped session). ' +
      'Default: all your permissions. Asking for one you do not hold is 400 invalid_scope.',
  })
  @IsOptional()
  @IsString()
  @MaxLength(8192)
  scope?: string;
}
