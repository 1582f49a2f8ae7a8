import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';

export class RefreshRequestDto {
  @ApiPropertyOptional({
    description:
      'The refresh token from the last login or refresh. Leave it out when it is in the refresh cookie, ' +
      'or to renew with the access token in Authorization: Bearer',
  })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(512)
  refresh_token?: string;
}
