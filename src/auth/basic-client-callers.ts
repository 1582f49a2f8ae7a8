import { Injectable } from '@nestjs/common';
import type { Identity } from '../common/interfaces/authenticated-user';

/**
 * Authenticates a service client by its `client_id` and secret: the identity it acts as (no roles,
 * its scopes as permissions), null for a wrong secret (or a disabled client), undefined when the
 * id names no client at all (then the caller is taken for a user account).
 */
export type ClientAuthenticator = (clientId: string, secret: string, ip: string | undefined) => Promise<Identity | null | undefined>;

/**
 * Where HTTP Basic callers that are service clients are recognised (RFC 7662 §2.1: a resource server
 * introspects as an OAuth client). The credentials module registers its authenticator at start-up;
 * auth imports nothing from it.
 */
@Injectable()
export class BasicClientCallers {
  private authenticator?: ClientAuthenticator;

  register(authenticator: ClientAuthenticator): void {
    this.authenticator = authenticator;
  }

  /** The client's identity, null for wrong credentials, undefined when no client has this id (or none are registered). */
  authenticate(clientId: string, secret: string, ip: string | undefined): Promise<Identity | null | undefined> {
    if (!this.authenticator || !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(clientId))
      return Promise.resolve(undefined);
    return this.authenticator(clientId, secret, ip);
  }
}
