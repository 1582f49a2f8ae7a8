import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength, Validate } from 'class-validator';
import { BasicSafe } from '../../common/credentials';

/** JSON alternative to Basic credentials, for browser apps; the Basic header wins when both are sent. */
export class LoginBodyDto {
  @ApiProperty({ example: 'admin' })
  @IsString()
  @MaxLength(256)
  @Validate(BasicSafe)
  username: string;

  @ApiProperty({ example: 'correct horse battery staple', format: 'password' })
  @IsString()
  @MaxLength(1024)
  @Validate(BasicSafe)
  password: string;
}
