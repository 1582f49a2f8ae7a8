/**
 * A resource service that accepts Gatehouse's access tokens (see README.md beside this file):
 *   GATEHOUSE_ISSUER=http://127.0.0.1:3000 node -r ts-node/register/transpile-only examples/resource-service/main.ts
 */
import './local-package'; // first: makes `@gatehouse/nest` resolve to ../../nest/src (see the file)
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from './app.module';
import { readConfig } from './resource-service.config';

async function bootstrap(): Promise<void> {
  const config = readConfig();
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.register(config), new FastifyAdapter());
  app.enableShutdownHooks();
  await app.listen(config.port, config.host);
  console.log(`Resource service on ${await app.getUrl()}, trusting tokens of ${config.auth.issuer}`);
}

bootstrap().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
