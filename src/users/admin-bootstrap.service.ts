import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { appConfig } from '../config/app.config';
import { ensureDataDir } from '../config/data-dir';
import { BuiltInRole } from '../roles/role-names';
import { PASSWORD_MIN_LENGTH } from '../common/credentials';
import { UsersService } from './users.service';

export const ADMIN_PASSWORD_FILE = 'initial-admin-password';

/** Creates the first administrator when the database has no users (first start). */
@Injectable()
export class AdminBootstrapService implements OnApplicationBootstrap {
  private readonly logger = new Logger(AdminBootstrapService.name);

  constructor(
    @Inject(appConfig.KEY) private readonly config: ConfigType<typeof appConfig>,
    private readonly usersService: UsersService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if ((await this.usersService.count()) > 0) return;
    const { username, password: configured } = this.config.admin;
    const password = configured ?? randomBytes(18).toString('base64url');
    if (configured !== undefined && configured.length < PASSWORD_MIN_LENGTH) {
      this.logger.warn(`ADMIN_PASSWORD is shorter than ${PASSWORD_MIN_LENGTH} characters; change it after signing in`);
    }
    try {
      await this.usersService.create({ username, password, roles: [BuiltInRole.Admin, BuiltInRole.User] });
    } catch (error) {
      // Another instance sharing the database won the race to create the first administrator.
      if ((await this.usersService.count()) > 0) return;
      throw error;
    }
    if (configured !== undefined) {
      this.logger.log(`Created the first administrator "${username}" with the password from ADMIN_PASSWORD`);
      return;
    }
    ensureDataDir(this.config.dataDir);
    const file = join(this.config.dataDir, ADMIN_PASSWORD_FILE);
    writeFileSync(file, password + '\n', { mode: 0o600 });
    this.logger.log(`Created the first administrator "${username}"; its generated password is in ${file} (mode 0600)`);
  }
}
