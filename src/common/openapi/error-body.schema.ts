import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';

/**
 * The one error body (`errorBody()` in common/http-surface.ts, written by the global exception
 * filter) as the OpenAPI document shows it: every 4xx and 5xx response refers to this schema
 * (common/openapi/openapi-document.ts adds the reference). The optional fields at the end are the
 * `details` some exceptions add (ErrorBodyCarrier in common/exceptions/auth.exceptions.ts).
 */
@ApiSchema({
  name: 'ErrorBody',
  description:
    'Every error answers in this shape. Some add fields: `mfa_required` → `mfa_token`, `methods`, `expires_in`; ' +
    '`insufficient_user_authentication` → `acr_values` or `max_age`; the OAuth endpoints → `error_description` (RFC 6749 §5.2); ' +
    '`not_ready` → `checks`.',
})
export class ErrorBodySchema {
  @ApiProperty({ format: 'date-time', example: '2026-11-30T10:00:00.000Z' })
  timestamp: string;

  @ApiProperty({ type: 'integer', description: 'The HTTP status, repeated', example: 401 })
  status: number;

  @ApiProperty({
    description: 'The HTTP reason phrase, or an OAuth-style error name where one applies (`insufficient_scope`, `mfa_required`, …)',
    example: 'Unauthorized',
  })
  error: string;

  @ApiProperty({
    description:
      'A stable machine-readable code for programs to branch on, e.g. `invalid_token`, `token_expired`, `invalid_credentials`, ' +
      '`mfa_required`, `insufficient_scope`, `validation_failed`, `rate_limited`, `not_found`, `conflict` (every code: docs/errors.md)',
    example: 'invalid_token',
  })
  code: string;

  @ApiProperty({ description: 'What went wrong, for people: never a stack trace or a secret', example: 'The access token has expired' })
  message: string;

  @ApiProperty({ description: 'The request path, without the query', example: '/api/v1/users/me' })
  path: string;

  @ApiPropertyOptional({ description: 'OAuth endpoints (RFC 6749 §5.2): the message again, under its OAuth name' })
  error_description?: string;

  @ApiPropertyOptional({ description: '`mfa_required`: completes the login at POST /authenticate/mfa (single use)', example: 'q3J4…' })
  mfa_token?: string;

  @ApiPropertyOptional({
    description: '`mfa_required`: the second factors the user can complete the login with',
    enum: ['totp', 'recovery_code', 'webauthn'],
    isArray: true,
  })
  methods?: string[];

  @ApiPropertyOptional({ type: 'integer', description: '`mfa_required`: seconds the mfa_token lives', example: 300 })
  expires_in?: number;

  @ApiPropertyOptional({ description: '`insufficient_user_authentication`: log in with this (RFC 9470)', example: 'mfa' })
  acr_values?: string;

  @ApiPropertyOptional({
    type: 'integer',
    description: '`insufficient_user_authentication`: log in again; the login must be at most this many seconds old (RFC 9470)',
    example: 300,
  })
  max_age?: number;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'string' },
    description: '`not_ready` (GET /health/ready): the state of each dependency (database, migrations, redis)',
    example: { database: 'up', migrations: 'up', redis: 'down' },
  })
  checks?: Record<string, string>;
}
