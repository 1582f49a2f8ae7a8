import { SetMetadata } from '@nestjs/common';

/** The metadata key Gatehouse uses too: a route reads the same in the monolith and in a service. */
export const ROLES_KEY = 'roles';

/** Restricts a route (or controller) to callers holding at least one of the roles; others get 403. */
export const Roles = (...roles: string[]) => SetMetadata(ROLES_KEY, roles);
