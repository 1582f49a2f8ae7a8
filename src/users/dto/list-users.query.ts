import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, Max, Min } from 'class-validator';
import { PageQuery, QueryInt } from '../../common/dto/page.query';

export class ListUsersQuery extends PageQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 20 })
  @IsOptional()
  @QueryInt()
  @Min(1)
  @Max(100)
  limit: number = 20;
}
