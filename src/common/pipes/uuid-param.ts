import { BadRequestException, Param, ParseUUIDPipe, PipeTransform } from '@nestjs/common';
import { ValidationFailedException } from '../validation';

/** Ids are compared as ids, not strings: one spelling (lower case) from the edge inwards. */
const lowerCase: PipeTransform<string, string> = { transform: (value) => value.toLowerCase() };

/**
 * A route parameter that must be a UUID; anything else is a 400 before it reaches the database. It
 * arrives lower-cased: PostgreSQL's uuid type ignores case, so `A1B2…` and `a1b2…` name the same row,
 * and a check such as "you cannot delete yourself" must see them as the same id.
 */
export const UuidParam = (name = 'id') =>
  Param(name, new ParseUUIDPipe({ exceptionFactory: () => new ValidationFailedException(`${name} must be a UUID`) }), lowerCase);
