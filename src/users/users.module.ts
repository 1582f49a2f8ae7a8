import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { RolesModule } from '../roles/roles.module';
import { LoginThrottleModule } from '../throttle/login-throttle.module';
import { AdminBootstrapService } from './admin-bootstrap.service';
import { User } from './entities/user.entity';
import { PasswordPolicyService } from './password-policy.service';
import { PasswordService } from './password.service';
import { UsersController } from './users.controller';
import { UsersRepository } from './users.repository';
import { UsersService } from './users.service';

/**
 * Users: the users API, password hashing and policy, the first administrator. Changes that other
 * modules must act on are announced as events (user-events.ts), never by calling those modules.
 */
@Module({
  imports: [TypeOrmModule.forFeature([User]), RolesModule, LoginThrottleModule],
  controllers: [UsersController],
  providers: [UsersService, UsersRepository, PasswordService, PasswordPolicyService, AdminBootstrapService],
  exports: [UsersService, UsersRepository, PasswordService],
})
export class UsersModule {}
