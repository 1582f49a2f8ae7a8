import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import { AuditModule } from './audit/audit.module';
import { AuthModule } from './auth/auth.module';
import { AllExceptionsFilter } from './common/filters/all-exceptions.filter';
import { BearerAuthGuard } from './auth/guards/bearer-auth.guard';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { AuthenticationLevelGuard } from './common/guards/authentication-level.guard';
import { RolesGuard } from './common/guards/roles.guard';
import { AppValidationPipe } from './common/validation';
import { appConfig } from './config/app.config';
import { ConsoleModule } from './console/console.module';
import { CredentialsModule } from './credentials/credentials.module';
import { DatabaseModule } from './database/database.module';
import { FederationModule } from './federation/federation.module';
import { HealthModule } from './health/health.module';
import { MetricsModule } from './metrics/metrics.module';
import { MfaModule } from './mfa/mfa.module';
import { RecoveryModule } from './recovery/recovery.module';
import { RolesModule } from './roles/roles.module';
import { SessionsModule } from './sessions/sessions.module';
import { UsersModule } from './users/users.module';

@Module({
  imports: [
    // main.ts loads .env itself (before validating); here config comes from process.env only.
    ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: [appConfig] }),
    // Modules announce changes as events (users → sessions); handlers are awaited (emitAsync).
    EventEmitterModule.forRoot(),
    // Before the modules that record into it or register what it reads on scrape.
    MetricsModule,
    DatabaseModule,
    AuditModule,
    UsersModule,
    RolesModule,
    SessionsModule,
    AuthModule,
    FederationModule,
    MfaModule,
    RecoveryModule,
    CredentialsModule,
    HealthModule,
    ConsoleModule,
  ],
  providers: [
    { provide: APP_PIPE, useClass: AppValidationPipe },
    { provide: APP_FILTER, useClass: AllExceptionsFilter },
    // Deny by default: the JWT guard runs first on every route not marked @Public(), then roles.
    { provide: APP_GUARD, useExisting: BearerAuthGuard },
    { provide: APP_GUARD, useClass: RolesGuard },
    // Then how the caller authenticated: MFA enrolment-only sessions, @RequireMfa(), @RequireRecentAuth().
    { provide: APP_GUARD, useClass: AuthenticationLevelGuard },
  ],
})
export class AppModule {}
