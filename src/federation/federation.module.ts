import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuthModule } from '../auth/auth.module';
import { SessionsModule } from '../sessions/sessions.module';
import { OidcLoginCode } from './entities/oidc-login-code.entity';
import { OidcPendingLogin } from './entities/oidc-pending-login.entity';
import { FederatedUsersService } from './federated-users.service';
import { FederationController } from './federation.controller';
import { FederationService } from './federation.service';
import { ServiceAccountVerifier } from './service-account.verifier';

/** External OpenID Connect providers: delegated login, just-in-time users, service-account tokens. */
@Module({
  imports: [TypeOrmModule.forFeature([OidcPendingLogin, OidcLoginCode]), AuthModule, SessionsModule],
  controllers: [FederationController],
  providers: [FederationService, FederatedUsersService, ServiceAccountVerifier],
  exports: [ServiceAccountVerifier],
})
export class FederationModule {}
