import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Session } from './entities/session.entity';
import { RevocationBus } from './revocation-bus';
import { SessionsController } from './sessions.controller';
import { SessionsService } from './sessions.service';

/** Login sessions: listing and ending them, and the bearer guard's revocation check. */
@Module({
  imports: [TypeOrmModule.forFeature([Session])],
  controllers: [SessionsController],
  providers: [SessionsService, RevocationBus],
  exports: [SessionsService],
})
export class SessionsModule {}
