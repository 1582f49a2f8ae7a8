import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { PageQuery, QueryInt } from '../../common/dto/page.query';

export class ListUsersQuery extends PageQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 20 })
  @IsOptional()
  @QueryInt()
  @Min(1)
  @Max(100)
  limit: number = 20;

  @ApiPropertyOptional({
    maxLength: 254,
    example: 'alice',
    description: 'Part of a username or e-mail address, any case; blank means every user',
  })
  @IsOptional()
  // Surrounding blanks are a typing accident in a search box; a blank search is no search.
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() || undefined : value))
  @IsString()
  @MaxLength(254)
  q?: string;
}
