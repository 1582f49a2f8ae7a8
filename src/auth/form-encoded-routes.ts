/**
 * The routes that also take `application/x-www-form-urlencoded` bodies, as OAuth clients send them
 * (RFC 6749 §3.2 token endpoint, RFC 7662 introspection, RFC 7009 revocation). Every other route
 * takes JSON only: a form is what a cross-site <form> can post without a CORS preflight.
 */
export const FORM_ENCODED_ROUTES: readonly string[] = [
  '/authenticate/refresh',
  '/authenticate/introspect',
  '/authenticate/revoke',
  '/oauth/token',
];
