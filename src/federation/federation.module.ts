import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuthModule } from '../auth/auth.module';
import { UsersModule } from '../users/users.module';
import { OidcLoginCode } from './entities/oidc-login-code.entity';
import { OidcPendingLogin } from './entities/oidc-pending-login.entity';
import { FederatedUsersService } from './federated-users.service';
import { FederationController } from './federation.controller';
import { FederationRepository } from './federation.repository';
import { FederationService } from './federation.service';
import { ServiceAccountVerifier } from './service-account.verifier';

/** External OpenID Connect providers: delegated login, just-in-time users, service-account tokens. */
@Module({
  imports: [TypeOrmModule.forFeature([OidcPendingLogin, OidcLoginCode]), AuthModule, UsersModule],
  controllers: [FederationController],
  // The service-account verifier registers itself with the bearer guard's verifiers (auth imports nothing from here).
  providers: [FederationService, FederationRepository, FederatedUsersService, ServiceAccountVerifier],
})
export class FederationModule {}
