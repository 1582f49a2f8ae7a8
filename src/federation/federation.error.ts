import { UnauthorizedException } from '@nestjs/common';

/** A delegated login or a provider token that was refused: 401 with a message that says why. */
export class FederationError extends UnauthorizedException {}
