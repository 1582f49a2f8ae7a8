import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsISO8601, IsOptional, IsUUID, Max, Min } from 'class-validator';
import { PageQuery, QueryInt } from '../../common/dto/page.query';
import { AUDIT_EVENT_TYPES } from '../audit-event-types';

export class AuditQueryDto extends PageQuery {
  @ApiPropertyOptional({ format: 'uuid', description: 'Events about this user' })
  @IsOptional()
  @IsUUID()
  // Ids compare as ids: one spelling, lower case (PostgreSQL's uuid ignores case, SQLite's text does not).
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.toLowerCase() : value))
  userId?: string;

  @ApiPropertyOptional({ enum: AUDIT_EVENT_TYPES })
  @IsOptional()
  @IsIn(AUDIT_EVENT_TYPES)
  type?: string;

  @ApiPropertyOptional({ description: 'ISO-8601 time; events at or after it' })
  @IsOptional()
  @IsISO8601({ strict: true })
  from?: string;

  @ApiPropertyOptional({ description: 'ISO-8601 time; events at or before it' })
  @IsOptional()
  @IsISO8601({ strict: true })
  to?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 200, default: 50 })
  @IsOptional()
  @QueryInt()
  @Min(1)
  @Max(200)
  limit: number = 50;
}
