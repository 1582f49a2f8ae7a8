import 'reflect-metadata';
import { Controller, DynamicModule, Get } from '@nestjs/common';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import type { AuthenticatedUser } from '../authenticated-user';
import { CurrentUser } from '../current-user.decorator';
import { GatehouseAuthModule } from '../gatehouse-auth.module';
import type { GatehouseAuthOptions } from '../gatehouse-auth.options';
import { Public } from '../public.decorator';
import { RequirePermissions } from '../require-permissions.decorator';
import { Roles } from '../roles.decorator';

/** The routes a resource service would have: open, any user, one role, and a controller-wide role. */
@Controller()
class ProbeController {
  @Public()
  @Get('public')
  open(): { ok: true } {
    return { ok: true };
  }

  @Get('me')
  me(@CurrentUser() user: AuthenticatedUser): AuthenticatedUser {
    return user;
  }

  @Roles('ADMIN')
  @Get('admin')
  admin(@CurrentUser() user: AuthenticatedUser): AuthenticatedUser {
    return user;
  }
}

@Roles('ADMIN')
@Controller('reports')
class ReportsController {
  @Get()
  list(): { reports: string[] } {
    return { reports: [] };
  }

  /** The handler's roles override the controller's (getAllAndOverride, handler first). */
  @Roles('USER', 'AUDITOR')
  @Get('mine')
  mine(): { reports: string[] } {
    return { reports: ['mine'] };
  }
}

/** Permission routes: one permission for the controller, two for a handler, and a role with the permission. */
@RequirePermissions('patients:read')
@Controller('patients')
class PatientsController {
  @Get()
  list(@CurrentUser() user: AuthenticatedUser): AuthenticatedUser {
    return user;
  }

  /** The handler's permissions replace the controller's (getAllAndOverride, handler first). */
  @RequirePermissions('patients:read', 'patients:export')
  @Get('export')
  export(): { exported: true } {
    return { exported: true };
  }

  /** A role and the controller's permission: both are needed. */
  @Roles('ADMIN')
  @Get('admin')
  admin(): { ok: true } {
    return { ok: true };
  }
}

export interface ProbeResponse {
  status: number;
  /** The WWW-Authenticate header, or null. */
  challenge: string | null;
  body: unknown;
}

/** A real Nest application on Fastify, listening on 127.0.0.1 and an ephemeral port. */
export class ProbeApp {
  private constructor(
    readonly app: NestFastifyApplication,
    readonly url: string,
  ) {}

  static async start(options: GatehouseAuthOptions | DynamicModule): Promise<ProbeApp> {
    const auth = 'module' in options ? options : GatehouseAuthModule.forRoot(options);
    const moduleRef = await Test.createTestingModule({
      imports: [auth],
      controllers: [ProbeController, ReportsController, PatientsController],
    }).compile();
    const app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), { logger: false });
    await app.listen(0, '127.0.0.1');
    return new ProbeApp(app, await app.getUrl());
  }

  /** GET `path`, with `Authorization: Bearer <token>` when a token is given (or the raw header). */
  async get(path: string, token?: string, authorization = token === undefined ? undefined : `Bearer ${token}`): Promise<ProbeResponse> {
    const response = await fetch(`${this.url}${path}`, { headers: authorization === undefined ? {} : { authorization } });
    return { status: response.status, challenge: response.headers.get('www-authenticate'), body: await response.json() };
  }

  close(): Promise<void> {
    return this.app.close();
  }
}

const ISO_TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/** Gatehouse's 401: its body exactly, and its invalid_token challenge. */
export function expectInvalidToken(response: ProbeResponse, message: string, path: string, realm = 'gatehouse'): void {
  expect(response).toEqual({
    status: 401,
    challenge: `Bearer realm="${realm}", error="invalid_token", error_description="${message}"`,
    body: {
      timestamp: expect.stringMatching(ISO_TIMESTAMP),
      status: 401,
      error: 'Unauthorized',
      code: message === 'The access token has expired' ? 'token_expired' : 'invalid_token',
      message,
      path,
    },
  });
}

/** Gatehouse's 403 for a missing role: its body exactly, and its insufficient_scope challenge. */
export function expectInsufficientScope(response: ProbeResponse, path: string): void {
  const message = 'You do not have the role this route requires';
  expect(response).toEqual({
    status: 403,
    challenge: `Bearer realm="gatehouse", error="insufficient_scope", error_description="${message}"`,
    body: { timestamp: expect.stringMatching(ISO_TIMESTAMP), status: 403, error: 'Forbidden', code: 'insufficient_scope', message, path },
  });
}

/**
 * Gatehouse's 403 for a `@RequirePermissions()` route: the challenge names the route's scope, the body's
 * `error` is `insufficient_scope` and its message what is missing.
 */
export function expectMissingPermissions(response: ProbeResponse, message: string, scope: string, path: string): void {
  expect(response).toEqual({
    status: 403,
    challenge: `Bearer realm="gatehouse", error="insufficient_scope", error_description="${message}", scope="${scope}"`,
    body: {
      timestamp: expect.stringMatching(ISO_TIMESTAMP),
      status: 403,
      error: 'insufficient_scope',
      code: 'insufficient_scope',
      message,
      path,
    },
  });
}

/** 503 in the same body, without a challenge: the token was not judged. */
export function expectUnavailable(response: ProbeResponse, message: string, path: string): void {
  expect(response).toEqual({
    status: 503,
    challenge: null,
    body: {
      timestamp: expect.stringMatching(ISO_TIMESTAMP),
      status: 503,
      error: 'Service Unavailable',
      code: 'service_unavailable',
      message,
      path,
    },
  });
}
