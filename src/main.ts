import { AppModule } from './app.module';
import { bootstrap } from './bootstrap';

void bootstrap(AppModule);
