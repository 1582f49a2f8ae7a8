import { ConflictException, Controller, Get, Post } from '@nestjs/common';
import { ApiConflictResponse, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentUser } from '../common/decorators/current-user.decorator';
import { RequirePermissions } from '../common/decorators/require-permissions.decorator';
import { Permission } from '../common/permissions';
import type { AuthenticatedUser } from '../common/interfaces/authenticated-user';
import { KeyView } from './dto/key.view';
import { KeyRotationRefused, KeyStore } from './key-store';
import { KeyRotation } from './key-rotation.service';

@ApiTags('keys')
@RequirePermissions(Permission.KeysRotate)
@Controller('api/v1/keys')
export class KeysController {
  constructor(
    private readonly keys: KeyStore,
    private readonly rotation: KeyRotation,
  ) {}

  @Get()
  @ApiOperation({ summary: 'The signing keys: kid, algorithm, state (next / current / retiring) and dates; never key material' })
  @ApiOkResponse({ type: [KeyView] })
  list(): KeyView[] {
    return this.keys.describe().map(KeyView.of);
  }

  @Post('rotate')
  @ApiOperation({
    summary: 'Create the next signing key: published at once, signing after KEY_PUBLISH_DELAY',
    description:
      'The key it replaces stays published until every token it signed has expired. Nobody is logged out. ' +
      '409 under HS512 (rotate JWT_SECRET with JWT_SECRET_PREVIOUS), with SIGNING_KEY_FILE, or while a new key waits for its activation.',
  })
  @ApiCreatedResponse({ type: KeyView })
  @ApiConflictResponse({ description: 'Rotation is not possible in this configuration, or one is already pending' })
  async rotate(@CurrentUser() actor: AuthenticatedUser): Promise<KeyView> {
    try {
      return KeyView.of(await this.rotation.rotate({ actorId: actor.id, via: 'api' }));
    } catch (error) {
      if (error instanceof KeyRotationRefused) throw new ConflictException(error.message);
      throw error;
    }
  }
}
