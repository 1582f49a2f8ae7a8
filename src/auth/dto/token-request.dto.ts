import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsNotEmpty, IsOptional, IsString, MaxLength, isNotEmpty, isString, maxLength } from 'class-validator';
import { ValidationFailedException } from '../../common/validation';

const OPTIONAL_MAX_LENGTH = { token_type_hint: 64, client_id: 256 } as const;

/** The body of introspection (RFC 7662 §2.1) and revocation (RFC 7009 §2.1), form-encoded or JSON. */
export class TokenRequestDto {
  // No length limit here: an oversized token is {active: false} (RFC 7662), like any other bad one;
  // the body limit (BODY_LIMIT) bounds it.
  @ApiProperty({ description: 'An access token or a refresh token' })
  @IsString()
  @IsNotEmpty()
  token: string;

  @ApiPropertyOptional({
    enum: ['access_token', 'refresh_token'],
    description: 'Accepted and not needed: the token’s shape tells which kind it is',
  })
  @IsOptional()
  @IsString()
  @MaxLength(OPTIONAL_MAX_LENGTH.token_type_hint)
  token_type_hint?: string;

  @ApiPropertyOptional({ description: 'Sent by some OAuth clients; ignored (the caller is authenticated by its credentials)' })
  @IsOptional()
  @IsString()
  @MaxLength(OPTIONAL_MAX_LENGTH.client_id)
  client_id?: string;
}

/**
 * TokenRequestDto's rules, checked in a few comparisons: introspection is a resource server's hot
 * path, and the class-transformer and class-validator round through the global ValidationPipe cost
 * it about as much as the introspection itself (docs/performance.md). Same outcome and same
 * messages as the pipe (token-request.dto.spec.ts runs both on the same bodies), with class-validator's
 * own string and length checks; stricter in one corner: a parameter the pipe drops without a word
 * (`constructor`, `prototype`, an inherited name such as `toString`) is refused like any other
 * unknown one. The DTO above stays the documented schema.
 */
export function readTokenRequest(body: unknown): TokenRequestDto {
  if (body === undefined || body === null) body = {};
  if (typeof body !== 'object' || Array.isArray(body)) {
    throw new ValidationFailedException('The body must be an object of parameters, form-encoded or JSON, with a token');
  }
  const fields = body as Record<string, unknown>;
  const problems: string[] = [];
  for (const name of Object.keys(fields)) {
    if (name !== 'token' && !Object.hasOwn(OPTIONAL_MAX_LENGTH, name)) problems.push(`property ${name} should not exist`);
  }
  const { token } = fields;
  if (!isNotEmpty(token)) problems.push('token should not be empty');
  if (!isString(token)) problems.push('token must be a string');
  const request: TokenRequestDto = { token: token as string };
  for (const [name, max] of Object.entries(OPTIONAL_MAX_LENGTH) as [keyof typeof OPTIONAL_MAX_LENGTH, number][]) {
    const value = fields[name];
    if (value === undefined || value === null) continue;
    if (!maxLength(value, max)) problems.push(`${name} must be shorter than or equal to ${max} characters`);
    if (!isString(value)) problems.push(`${name} must be a string`);
    else request[name] = value;
  }
  if (problems.length > 0) throw new ValidationFailedException(problems.join('; '));
  return request;
}
