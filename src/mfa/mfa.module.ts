import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuthModule } from '../auth/auth.module';
import { KeysModule } from '../keys/keys.module';
import { SessionsModule } from '../sessions/sessions.module';
import { LoginThrottleModule } from '../throttle/login-throttle.module';
import { UsersModule } from '../users/users.module';
import { MfaChallenge } from './entities/mfa-challenge.entity';
import { MfaRecoveryCode } from './entities/mfa-recovery-code.entity';
import { MfaTotp } from './entities/mfa-totp.entity';
import { WebAuthnCredential } from './entities/webauthn-credential.entity';
import { MfaController } from './mfa.controller';
import { MfaLoginController } from './mfa-login.controller';
import { MfaLoginService } from './mfa-login.service';
import { MfaRepository } from './mfa.repository';
import { MfaSecrets } from './mfa-secrets';
import { MfaService } from './mfa.service';
import { PasskeysService } from './passkeys.service';

/**
 * Multi-factor login: TOTP, recovery codes and passkeys (enrolment, login with a second factor,
 * passwordless passkey login), the MFA_REQUIRED_ROLES policy. It plugs into the one session start
 * as a gate (SessionStartGates); auth imports nothing from here.
 */
@Module({
  imports: [
    TypeOrmModule.forFeature([MfaTotp, MfaRecoveryCode, MfaChallenge, WebAuthnCredential]),
    AuthModule,
    UsersModule,
    KeysModule,
    SessionsModule,
    LoginThrottleModule,
  ],
  controllers: [MfaController, MfaLoginController],
  providers: [MfaRepository, MfaSecrets, MfaService, PasskeysService, MfaLoginService],
  // Password reset asks for the second factor too (recovery module).
  exports: [MfaService],
})
export class MfaModule {}
