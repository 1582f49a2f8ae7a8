import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuthModule } from '../auth/auth.module';
import { SessionsModule } from '../sessions/sessions.module';
import { LoginThrottleModule } from '../throttle/login-throttle.module';
import { UsersModule } from '../users/users.module';
import { ClientTokenVerifier } from './client-token.verifier';
import { ClientsController } from './clients.controller';
import { ClientsService } from './clients.service';
import { CredentialsRepository } from './credentials.repository';
import { OAuthClient } from './entities/oauth-client.entity';
import { PersonalAccessToken } from './entities/personal-access-token.entity';
import { OAuthTokenController } from './oauth-token.controller';
import { OAuthTokenService } from './oauth-token.service';
import { PatUseRecorder } from './pat-use-recorder';
import { PersonalAccessTokenVerifier } from './personal-access-token.verifier';
import { PersonalAccessTokensController } from './personal-access-tokens.controller';
import { PersonalAccessTokensService } from './personal-access-tokens.service';

/**
 * Credentials for API consumers: personal access tokens (`gth_…`, acting as their user within their
 * scopes) and service clients (OAuth 2 client credentials at POST /oauth/token). Both register a
 * verifier with the bearer guard's list; neither costs a database read per request.
 */
@Module({
  imports: [TypeOrmModule.forFeature([PersonalAccessToken, OAuthClient]), AuthModule, SessionsModule, UsersModule, LoginThrottleModule],
  controllers: [PersonalAccessTokensController, ClientsController, OAuthTokenController],
  providers: [
    CredentialsRepository,
    PersonalAccessTokensService,
    PersonalAccessTokenVerifier,
    PatUseRecorder,
    ClientsService,
    ClientTokenVerifier,
    OAuthTokenService,
  ],
})
export class CredentialsModule {}
