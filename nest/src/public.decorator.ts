import { SetMetadata } from '@nestjs/common';

/** The metadata key Gatehouse uses too: a route reads the same in the monolith and in a service. */
export const IS_PUBLIC_KEY = 'isPublic';

/** Opens a route to anonymous callers; every other route requires a bearer token (deny by default). */
export const Public = () => SetMetadata(IS_PUBLIC_KEY, true);
