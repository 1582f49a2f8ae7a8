import { BadRequestException, ValidationError, ValidationPipeOptions } from '@nestjs/common';

/** One line naming every field that failed and why, e.g. "username must be a string; limit must not be greater than 100". */
export function formatValidationErrors(errors: ValidationError[], parent = ''): string[] {
  return errors.flatMap((error) => {
    const path = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) => (parent ? message.replace(error.property, path) : message));
    return [...own, ...formatValidationErrors(error.children ?? [], path)];
  });
}

/** The global ValidationPipe's settings: unknown fields are refused, not silently dropped (no mass assignment). */
export const validationPipeOptions: ValidationPipeOptions = {
  whitelist: true,
  forbidNonWhitelisted: true,
  forbidUnknownValues: true,
  transform: true,
  stopAtFirstError: false,
  exceptionFactory: (errors) => new BadRequestException(formatValidationErrors(errors).join('; ')),
};
