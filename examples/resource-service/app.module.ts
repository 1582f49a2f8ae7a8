import { DynamicModule, Module } from '@nestjs/common';
import { GatehouseAuthModule } from '@gatehouse/nest';
import { ResourceController } from './resource.controller';
import type { ResourceServiceConfig } from './resource-service.config';

/** Every route needs a Gatehouse access token unless it says `@Public()` (global guards from GatehouseAuthModule). */
@Module({})
export class AppModule {
  static register(config: ResourceServiceConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [GatehouseAuthModule.forRoot(config.auth)],
      controllers: [ResourceController],
    };
  }
}
