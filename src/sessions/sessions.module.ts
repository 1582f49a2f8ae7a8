import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { KeysModule } from '../keys/keys.module';
import { UsersModule } from '../users/users.module';
import { RefreshToken } from './entities/refresh-token.entity';
import { Session } from './entities/session.entity';
import { LoginUnlocks } from './login-unlocks';
import { RefreshTokenService } from './refresh-token.service';
import { RevocationBus } from './revocation-bus';
import { RevocationsRepository } from './revocations.repository';
import { SessionsController } from './sessions.controller';
import { SessionsRepository } from './sessions.repository';
import { SessionsService } from './sessions.service';

/**
 * Login sessions and their refresh tokens: starting a session, rotating its tokens, listing and
 * ending sessions, and the bearer guard's revocation check. Reacts to the users module's events.
 */
@Module({
  imports: [TypeOrmModule.forFeature([Session, RefreshToken]), UsersModule, KeysModule],
  controllers: [SessionsController],
  providers: [LoginUnlocks, SessionsService, SessionsRepository, RefreshTokenService, RevocationBus, RevocationsRepository],
  exports: [SessionsService, RevocationBus],
})
export class SessionsModule {}
