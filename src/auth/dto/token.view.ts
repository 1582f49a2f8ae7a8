import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { UserView } from '../../users/dto/user.view';

/** An access token alone (bearer renewal, a delegated login's code exchange). */
export class AccessTokenView {
  @ApiProperty({ description: 'HS512 JWS; send as Authorization: Bearer <access_token>' })
  access_token: string;

  @ApiProperty({ example: 'Bearer' })
  token_type: 'Bearer';

  @ApiProperty({ example: 300, description: 'Seconds until the access token expires' })
  expires_in: number;

  @ApiPropertyOptional({
    example: 'patients:read users:read',
    description:
      'The permissions the access token carries, space-separated (RFC 6749 §5.1): present when the login or refresh asked for a scope',
  })
  scope?: string;
}

export class TokenView extends AccessTokenView {
  @ApiPropertyOptional({ description: 'Opaque; exchange once at /authenticate/refresh. Absent in cookie mode' })
  refresh_token?: string;

  @ApiProperty({ example: 1209600, description: 'Seconds until the refresh token expires' })
  refresh_expires_in: number;
}

export class LoginView {
  @ApiProperty({ type: UserView })
  user: UserView;

  @ApiProperty({ type: TokenView })
  token: TokenView;
}

export class PrincipalView {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'admin' })
  username: string;

  @ApiProperty({ example: ['ADMIN', 'USER'] })
  roles: string[];

  @ApiProperty({
    example: ['users:read'],
    description: 'The permissions this token may use now: the user’s (or client’s), narrowed to the token’s scope',
  })
  permissions: string[];

  @ApiProperty({ description: 'The access token’s exp (seconds since the epoch)' })
  exp: number;

  @ApiProperty({ example: ['pwd', 'otp', 'mfa'], description: 'How the user authenticated (RFC 8176 amr)' })
  amr: string[];

  @ApiPropertyOptional({ description: 'When the user authenticated (seconds since the epoch)' })
  auth_time?: number;

  @ApiPropertyOptional({ enum: ['mfa_enrolment'], description: 'Set when the session may only enrol a second factor (MFA_REQUIRED_ROLES)' })
  restriction?: string;
}
