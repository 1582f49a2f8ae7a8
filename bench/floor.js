'use strict';
// The floor for comparison: a bare Fastify server that verifies the same HS512 token with the
// fastest correct verifier we know on npm (fast-jwt, with its verified-token cache) and returns the
// same JSON as GET /authenticate/me. No Nest, no passport, no session check.
const fastify = require('fastify')({ logger: false });
const { createVerifier } = require('fast-jwt');

const verify = createVerifier({
  key: Buffer.from(process.env.JWT_SECRET, 'utf8'),
  algorithms: ['HS512'],
  allowedIss: 'gatehouse',
  allowedAud: 'gatehouse',
  requiredClaims: ['exp', 'iat', 'sub'],
  // As large as the working set the benchmark presents (10,000 tokens), like Gatehouse's own cache.
  cache: 20000,
});

fastify.get('/authenticate/me', async (request, reply) => {
  const match = /^Bearer (\S+)$/i.exec(request.headers.authorization ?? '');
  try {
    const claims = verify(match ? match[1] : '');
    return { id: claims.sub, username: claims.preferred_username, roles: claims.roles, exp: claims.exp };
  } catch {
    reply.code(401);
    return { status: 401 };
  }
});
fastify.get('/health/live', async () => ({ status: 'ok' }));

fastify.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
