import { Module } from '@nestjs/common';
import { ConsoleService } from './console.service';

/** The web console's static files at /console/ (docs/console.md); off with CONSOLE=false. */
@Module({ providers: [ConsoleService] })
export class ConsoleModule {}
