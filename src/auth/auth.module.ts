import { Module } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { PassportModule } from '@nestjs/passport';
import { TypeOrmModule } from '@nestjs/typeorm';
import { SessionsModule } from '../sessions/sessions.module';
import { UsersModule } from '../users/users.module';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { RefreshToken } from './entities/refresh-token.entity';
import { SigningKey } from './entities/signing-key.entity';
import { RefreshTokenService } from './refresh-token.service';
import { SigningKeyService } from './signing-key.service';
import { BasicStrategy } from './strategies/basic.strategy';
import { JwtStrategy } from './strategies/jwt.strategy';
import { LoginThrottleModule } from '../throttle/login-throttle.module';
import { TokenService } from './token.service';

@Module({
  imports: [
    TypeOrmModule.forFeature([RefreshToken, SigningKey]),
    PassportModule.register({ session: false }),
    // The key is passed per call (TokenService) so it stays a KeyObject.
    JwtModule.register({}),
    UsersModule,
    SessionsModule,
    LoginThrottleModule,
  ],
  controllers: [AuthController],
  providers: [AuthService, TokenService, RefreshTokenService, SigningKeyService, BasicStrategy, JwtStrategy],
  exports: [AuthService],
})
export class AuthModule {}
