import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { RolesModule } from '../roles/roles.module';
import { SessionsModule } from '../sessions/sessions.module';
import { AdminBootstrapService } from './admin-bootstrap.service';
import { User } from './entities/user.entity';
import { PasswordPolicyService } from './password-policy.service';
import { PasswordService } from './password.service';
import { LoginThrottleModule } from '../throttle/login-throttle.module';
import { UsersController } from './users.controller';
import { UsersRepository } from './users.repository';
import { UsersService } from './users.service';

@Module({
  imports: [TypeOrmModule.forFeature([User]), RolesModule, SessionsModule, LoginThrottleModule],
  controllers: [UsersController],
  providers: [UsersService, UsersRepository, PasswordService, PasswordPolicyService, AdminBootstrapService],
  exports: [UsersService, PasswordService],
})
export class UsersModule {}
