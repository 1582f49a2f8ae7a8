import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { MailModule } from '../mail/mail.module';
import { MfaModule } from '../mfa/mfa.module';
import { LoginThrottleModule } from '../throttle/login-throttle.module';
import { UsersModule } from '../users/users.module';
import { AccountToken } from './entities/account-token.entity';
import { RecoveryController } from './recovery.controller';
import { RecoveryRepository } from './recovery.repository';
import { RecoveryService } from './recovery.service';

/** Account recovery and e-mail: password reset and address verification by links sent by e-mail. */
@Module({
  imports: [TypeOrmModule.forFeature([AccountToken]), UsersModule, MailModule, MfaModule, LoginThrottleModule],
  controllers: [RecoveryController],
  providers: [RecoveryService, RecoveryRepository],
})
export class RecoveryModule {}
