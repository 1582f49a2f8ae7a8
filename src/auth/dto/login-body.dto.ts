import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength } from 'class-validator';

/** JSON alternative to Basic credentials, for browser apps; the Basic header wins when both are sent. */
export class LoginBodyDto {
  @ApiProperty({ example: 'admin' })
  @IsString()
  @MaxLength(256)
  username: string;

  @ApiProperty({ example: 'correct horse battery staple', format: 'password' })
  @IsString()
  @MaxLength(1024)
  password: string;
}
