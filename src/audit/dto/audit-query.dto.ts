import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsOptional, IsUUID, Max, Min, ValidateBy, ValidationOptions, buildMessage } from 'class-validator';
import { PageQuery, QueryInt } from '../../common/dto/page.query';
import { AUDIT_EVENT_TYPES } from '../audit-event-types';

/**
 * An ISO 8601 calendar date or date-time (`2026-11-23`, `2026-11-23T13:37:51Z`, with an offset or
 * fractions) that is a real moment. Week dates, ordinal dates and basic forms, which ISO allows but
 * Date cannot read, are refused instead of filtering silently wrong.
 */
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?)?$/;
function IsTimestamp(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isTimestamp',
      validator: {
        validate: (value: unknown) => typeof value === 'string' && TIMESTAMP.test(value) && !Number.isNaN(Date.parse(value)),
        defaultMessage: buildMessage(
          (prefix) => `${prefix}$property must be an ISO 8601 date or date-time such as 2026-11-23T13:37:51Z`,
          options,
        ),
      },
    },
    options,
  );
}

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
  @IsTimestamp()
  from?: string;

  @ApiPropertyOptional({ description: 'ISO-8601 time; events at or before it' })
  @IsOptional()
  @IsTimestamp()
  to?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 200, default: 50 })
  @IsOptional()
  @QueryInt()
  @Min(1)
  @Max(200)
  limit: number = 50;
}
