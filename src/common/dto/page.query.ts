import { ApiPropertyOptional } from '@nestjs/swagger';
import { applyDecorators } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

/**
 * A whole number in a query string: plain decimal digits only. `Number()` would also read `1e3`,
 * `0x10`, ` 7 ` or `1.0` as integers; those stay strings here, and `@IsInt()` refuses them (400).
 */
export const QueryInt = () =>
  applyDecorators(
    Transform(({ value }: { value: unknown }) => (typeof value === 'string' && /^[0-9]{1,15}$/.test(value) ? Number(value) : value)),
    IsInt(),
  );

/** `?page=` of paginated lists; each list declares its own `limit` (its bounds differ). */
export abstract class PageQuery {
  @ApiPropertyOptional({ minimum: 1, default: 1 })
  @IsOptional()
  @QueryInt()
  @Min(1)
  @Max(1_000_000)
  page: number = 1;
}
