import {
  ArgumentMetadata,
  BadRequestException,
  PipeTransform,
  ValidationError,
  ValidationPipe,
  ValidationPipeOptions,
} from '@nestjs/common';
import { ValidatorOptions, validateSync } from 'class-validator';

/** One line naming every field that failed and why, e.g. "username must be a string; limit must not be greater than 100". */
export function formatValidationErrors(errors: ValidationError[], parent = ''): string[] {
  return errors.flatMap((error) => {
    const path = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) => (parent ? message.replace(error.property, path) : message));
    return [...own, ...formatValidationErrors(error.children ?? [], path)];
  });
}

/** 400 for a request whose parameters or body break the DTO's rules: `code` is `validation_failed`. */
export class ValidationFailedException extends BadRequestException {
  readonly code = 'validation_failed';
}

/** The global ValidationPipe's settings: unknown fields are refused, not silently dropped (no mass assignment). */
export const validationPipeOptions: ValidationPipeOptions = {
  whitelist: true,
  forbidNonWhitelisted: true,
  forbidUnknownValues: true,
  transform: true,
  stopAtFirstError: false,
  exceptionFactory: (errors) => new ValidationFailedException(formatValidationErrors(errors).join('; ')),
};

/**
 * The global ValidationPipe, minus the parameters it has nothing to do for: custom decorators
 * (`@CurrentUser()`, the principal the guard built) pass through untouched, without
 * class-validator's promise chain on every bearer request.
 */
export class AppValidationPipe implements PipeTransform {
  private readonly validation = new SyncValidationPipe(validationPipeOptions);

  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    return metadata.type === 'custom' ? value : this.validation.transform(value, metadata);
  }
}

/**
 * Nest's ValidationPipe with class-validator's synchronous validation: every rule in Gatehouse's
 * DTOs is synchronous (no async constraint; src/common/validation.spec.ts checks it), and the
 * promise chain class-validator builds per property costs more than the checks themselves.
 */
class SyncValidationPipe extends ValidationPipe {
  protected override validate(object: object, validatorOptions?: ValidatorOptions): ValidationError[] {
    return validateSync(object, validatorOptions);
  }
}
