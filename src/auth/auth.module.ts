import { Module } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { PassportModule } from '@nestjs/passport';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ScopeSet } from './entities/scope-set.entity';
import { ScopeSetsRepository } from './scope-sets.repository';
import { KeysModule } from '../keys/keys.module';
import { SessionsModule } from '../sessions/sessions.module';
import { LoginThrottleModule } from '../throttle/login-throttle.module';
import { UsersModule } from '../users/users.module';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { BasicClientCallers } from './basic-client-callers';
import { BasicStrategy } from './strategies/basic.strategy';
import { JwtStrategy } from './strategies/jwt.strategy';
import { SessionStartGates } from './session-start-gates';
import { TokenService } from './token.service';
import { BearerAuthGuard } from './guards/bearer-auth.guard';
import { IntrospectionCallerGuard } from './guards/introspection-caller.guard';
import { TokenEndpointsController } from './token-endpoints.controller';
import { TokenIntrospection } from './token-introspection.service';
import { BearerVerifiers } from './verifiers/bearer-verifiers';
import { GatehouseTokenVerifier } from './verifiers/gatehouse-token.verifier';

/**
 * Authentication: password login, Gatehouse's access tokens (issued with the key store's signing
 * key, verified by passport-jwt), refresh and logout, and the bearer verifiers' registry that the
 * global bearer guard asks (other modules add theirs).
 */
@Module({
  imports: [
    TypeOrmModule.forFeature([ScopeSet]),
    PassportModule.register({ session: false }),
    // The key is passed per call (TokenService) so it stays a KeyObject.
    JwtModule.register({}),
    KeysModule,
    UsersModule,
    SessionsModule,
    LoginThrottleModule,
  ],
  controllers: [AuthController, TokenEndpointsController],
  providers: [
    AuthService,
    TokenService,
    BasicStrategy,
    JwtStrategy,
    GatehouseTokenVerifier,
    BearerVerifiers,
    BearerAuthGuard,
    TokenIntrospection,
    IntrospectionCallerGuard,
    SessionStartGates,
    ScopeSetsRepository,
    BasicClientCallers,
  ],
  // BearerAuthGuard is the app's global guard (AppModule) and is also asked directly by introspection.
  exports: [AuthService, BearerVerifiers, BearerAuthGuard, SessionStartGates, TokenService, BasicClientCallers],
})
export class AuthModule {}
