// First, before anything requires http, pg or ioredis: tracing patches them as they load (off unless configured).
import './tracing/start';
import { AppModule } from './app.module';
import { bootstrap } from './bootstrap';

void bootstrap(AppModule);
