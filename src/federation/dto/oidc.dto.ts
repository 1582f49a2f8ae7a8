import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Length, Matches, MaxLength } from 'class-validator';
import { AccessTokenView } from '../../auth/dto/token.view';
import { UserView } from '../../users/dto/user.view';

export class OidcLoginQueryDto {
  @ApiPropertyOptional({ description: 'Where to return after the login; must be on OIDC_POST_LOGIN_REDIRECTS', example: '/' })
  @IsOptional()
  @IsString()
  @MaxLength(2048)
  redirect?: string;
}

export class OidcTokenRequestDto {
  @ApiProperty({ description: 'The one-time code from the redirect fragment (#code=…)' })
  @IsString()
  @Length(43, 43)
  @Matches(/^[A-Za-z0-9_-]+$/, { message: 'code must be the base64url code from the redirect' })
  code: string;
}

export class OidcLoginView {
  @ApiProperty({ type: UserView })
  user: UserView;

  @ApiProperty({ type: AccessTokenView, description: 'The refresh token is the HttpOnly cookie the callback set' })
  token: AccessTokenView;
}

export class ProviderView {
  @ApiProperty({ example: 'keycloak' })
  name: string;

  @ApiProperty({ example: '/authenticate/oidc/keycloak/login' })
  loginUrl: string;
}
