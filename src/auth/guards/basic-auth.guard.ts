import { Injectable } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import { InvalidCredentialsException } from '../../common/exceptions/auth.exceptions';

/** Guards the login route with the Basic/JSON-body strategy; failures are 401s (or 400 for a bad body). */
@Injectable()
export class BasicAuthGuard extends AuthGuard('basic') {
  override handleRequest<T>(err: unknown, user: unknown): T {
    if (err) throw err;
    if (!user) throw new InvalidCredentialsException(true);
    return user as T;
  }
}
