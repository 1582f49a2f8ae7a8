import { DynamicModule, FactoryProvider, Module, ModuleMetadata, Provider } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AccessTokenVerifier } from './access-token.verifier';
import { BearerAuthGuard } from './bearer-auth.guard';
import { GATEHOUSE_AUTH_OPTIONS, GatehouseAuthOptions, resolveOptions } from './gatehouse-auth.options';
import { RolesGuard } from './roles.guard';
import { SessionIntrospector } from './session-introspector';

/** `forRootAsync`: the options from a factory, e.g. one that reads a ConfigService. */
export interface GatehouseAuthAsyncOptions {
  imports?: ModuleMetadata['imports'];
  inject?: FactoryProvider['inject'];
  useFactory: (...args: never[]) => GatehouseAuthOptions | Promise<GatehouseAuthOptions>;
}

/**
 * Makes a NestJS service a Gatehouse resource server: every route requires a valid Gatehouse access
 * token (deny by default) unless marked `@Public()`, `@Roles(...)` routes need one of the roles and
 * `@RequirePermissions(...)` routes every permission. Registers the bearer guard and then the roles
 * guard (which checks both) as global guards (APP_GUARD, in that order).
 */
@Module({})
export class GatehouseAuthModule {
  static forRoot(options: GatehouseAuthOptions): DynamicModule {
    // Validated now, when the application module is defined: a bad configuration never starts.
    return GatehouseAuthModule.with([], { provide: GATEHOUSE_AUTH_OPTIONS, useValue: resolveOptions(options) });
  }

  static forRootAsync(options: GatehouseAuthAsyncOptions): DynamicModule {
    return GatehouseAuthModule.with(options.imports ?? [], {
      provide: GATEHOUSE_AUTH_OPTIONS,
      useFactory: async (...args: unknown[]) => resolveOptions(await options.useFactory(...(args as never[]))),
      inject: options.inject ?? [],
    });
  }

  private static with(imports: NonNullable<ModuleMetadata['imports']>, optionsProvider: Provider): DynamicModule {
    return {
      module: GatehouseAuthModule,
      imports,
      providers: [
        optionsProvider,
        AccessTokenVerifier,
        SessionIntrospector,
        // Global guards run in the order they are registered: who the caller is, then what they may do.
        { provide: APP_GUARD, useClass: BearerAuthGuard },
        { provide: APP_GUARD, useClass: RolesGuard },
      ],
      exports: [GATEHOUSE_AUTH_OPTIONS, AccessTokenVerifier],
    };
  }
}
