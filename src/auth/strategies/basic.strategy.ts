import { BadRequestException, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { BasicStrategy as PassportBasicStrategy } from 'passport-http';
import { INVALID_CREDENTIALS, InvalidCredentialsException, REALM } from '../../common/exceptions/auth.exceptions';
import { formatValidationErrors, ValidationFailedException } from '../../common/validation';
import type { User } from '../../users/entities/user.entity';
import { AuthService } from '../auth.service';
import { Credentials, parseBasicAuthorization } from '../basic-credentials';
import { LoginBodyDto } from '../dto/login-body.dto';

interface LoginRequest {
  headers: Record<string, string | string[] | undefined>;
  body?: unknown;
  ip?: string;
}

/**
 * Password login. Extends passport-http's BasicStrategy but replaces its parser, which splits the
 * credentials on every colon (RFC 7617 says the first) and does not check UTF-8, and adds the JSON
 * body `{username, password}` that browser apps send. Stateless: no session, no response writes.
 */
@Injectable()
export class BasicStrategy extends PassportStrategy(PassportBasicStrategy, 'basic') {
  // Provided by passport at run time; passport-http's typings do not declare them.
  declare success: (user: User) => void;
  declare error: (error: Error) => void;

  constructor(private readonly authService: AuthService) {
    super({ realm: REALM, passReqToCallback: true });
  }

  override authenticate(req: LoginRequest): void {
    this.login(req).then(
      (user) => this.success(user),
      (error: unknown) => this.error(error as Error),
    );
  }

  /** Unused: `authenticate` above does the work; the mixin requires the method. */
  validate(): never {
    throw new Error('BasicStrategy.validate is not used');
  }

  private async login(req: LoginRequest): Promise<User> {
    const header = req.headers.authorization;
    const basic = typeof header === 'string' ? parseBasicAuthorization(header) : undefined;
    // Browsers answer a Basic challenge with their own login dialog, so script logins get none.
    const fromScript = String(req.headers['x-requested-with'] ?? '').toLowerCase() === 'xmlhttprequest';
    if (basic === 'malformed') {
      throw new InvalidCredentialsException(!fromScript, 'Malformed Basic credentials: expected base64(username:password) in UTF-8');
    }
    const credentials = basic ?? (await credentialsFromBody(req.body));
    if (!credentials)
      throw new InvalidCredentialsException(
        !fromScript,
        'Credentials required: send Authorization: Basic or a JSON body {username, password}',
      );
    const user = await this.authService.authenticate(credentials.username, credentials.password, req.ip);
    if (!user) throw new InvalidCredentialsException(basic !== undefined && !fromScript, INVALID_CREDENTIALS);
    return user;
  }
}

async function credentialsFromBody(body: unknown): Promise<Credentials | undefined> {
  if (body === undefined || body === null || body === '') return undefined;
  if (typeof body !== 'object' || Array.isArray(body)) {
    throw new ValidationFailedException('The login body must be a JSON object {username, password}');
  }
  const dto = plainToInstance(LoginBodyDto, body);
  const errors = await validate(dto, { whitelist: true, forbidNonWhitelisted: true });
  if (errors.length > 0) throw new ValidationFailedException(formatValidationErrors(errors).join('; '));
  return { username: dto.username, password: dto.password };
}
