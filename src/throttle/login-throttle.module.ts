import { Module } from '@nestjs/common';
import { LoginThrottleService } from './login-throttle.service';

/** Failed-login counters, shared by password login and password change. */
@Module({ providers: [LoginThrottleService], exports: [LoginThrottleService] })
export class LoginThrottleModule {}
