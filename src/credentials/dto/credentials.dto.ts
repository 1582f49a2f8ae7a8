import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsInt,
  IsNotEmpty,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  Validate,
} from 'class-validator';
import { BasicSafe } from '../../common/credentials';
import { MAX_PERMISSIONS, PERMISSION_PATTERN } from '../../common/permissions';
import { MAX_SECRET_GRACE_SECONDS } from '../clients.service';

const PERMISSION_MESSAGE = 'each scope must hold 1–64 lower-case letters, digits, "_", ".", ":" or "-"';

export class CreatePersonalAccessTokenDto {
  @ApiProperty({ example: 'nightly export', description: 'What the token is for (shown in lists)' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  @Validate(BasicSafe)
  name: string;

  @ApiProperty({
    example: ['patients:read'],
    description: 'Permissions the token may use: a subset of what your login may use. At use, narrowed further to what you hold then.',
  })
  @IsArray()
  @ArrayMaxSize(MAX_PERMISSIONS)
  @IsString({ each: true })
  @Matches(PERMISSION_PATTERN, { each: true, message: PERMISSION_MESSAGE })
  scopes: string[];

  @ApiPropertyOptional({ example: 30, description: 'Days until it expires: 1 to PAT_MAX_DAYS (default 365); 30 when omitted' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(3650)
  expiresInDays?: number;
}

export class CreateClientDto {
  @ApiProperty({ example: 'billing-service' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  @Validate(BasicSafe)
  name: string;

  @ApiProperty({ example: ['patients:read'], description: 'Permissions the client holds and may ask for; only ones you hold yourself' })
  @IsArray()
  @ArrayMaxSize(MAX_PERMISSIONS)
  @IsString({ each: true })
  @Matches(PERMISSION_PATTERN, { each: true, message: PERMISSION_MESSAGE })
  scopes: string[];
}

export class UpdateClientDto {
  @ApiPropertyOptional({ example: 'billing-service' })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  @Validate(BasicSafe)
  name?: string;

  @ApiPropertyOptional({ example: ['patients:read'], description: 'Replaces the list; live tokens lose a removed permission at once' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_PERMISSIONS)
  @IsString({ each: true })
  @Matches(PERMISSION_PATTERN, { each: true, message: PERMISSION_MESSAGE })
  scopes?: string[];

  @ApiPropertyOptional({ description: 'false: the client cannot get tokens and its live tokens are refused' })
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;
}

export class RotateSecretDto {
  @ApiPropertyOptional({
    example: 3600,
    description: `Seconds the previous secret keeps working (0: ends at once; default CLIENT_SECRET_ROTATION_GRACE, at most ${MAX_SECRET_GRACE_SECONDS})`,
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_SECRET_GRACE_SECONDS)
  graceSeconds?: number;
}

/** The token endpoint's parameters, for the OpenAPI document (the endpoint reads them itself, per RFC 6749). */
export class OAuthTokenRequestDto {
  @ApiProperty({ enum: ['client_credentials', 'refresh_token'] })
  grant_type: string;

  @ApiPropertyOptional({ description: 'Space-separated permissions; default: all the client holds (or the session’s scope)' })
  scope?: string;

  @ApiPropertyOptional({ description: 'client_secret_post: the client’s id (else HTTP Basic)' })
  client_id?: string;

  @ApiPropertyOptional({ description: 'client_secret_post: the client’s secret (else HTTP Basic)' })
  client_secret?: string;

  @ApiPropertyOptional({ description: 'For grant_type=refresh_token' })
  refresh_token?: string;
}
