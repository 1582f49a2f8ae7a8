// A real OpenID Provider for the federation tests: `oidc-provider` (the certified Node
// implementation) on loopback, in its own process because it is an ES module and Jest runs the
// suites as CommonJS. It prints {"issuer": "..."} once listening. Two control routes let the test
// change what the provider says without restarting it:
//   POST /__control/accounts  {"<login>": {claims…}}   the users (any password logs in)
//   POST /__control/jwks      {"keys": [private JWKs]}  the signing keys (published at /jwks)
//   POST /__control/client    {"redirect_uris": [...]}  the test client's callback URLs
import { createServer } from 'node:http';
import Provider from 'oidc-provider';

const clientId = process.env.CLIENT_ID ?? 'gatehouse';
const clientSecret = process.env.CLIENT_SECRET ?? 'gatehouse-client-secret-for-tests';
let redirectUris = [];

let accounts = {};
let jwks = JSON.parse(process.env.JWKS);
let handler;
let issuer;

function build() {
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: redirectUris,
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    jwks,
    cookies: { keys: ['oidc-provider-test-cookie-key'] },
    scopes: ['openid', 'profile', 'email', 'roles'],
    claims: {
      openid: ['sub'],
      profile: ['preferred_username', 'given_name', 'family_name', 'name'],
      email: ['email', 'email_verified'],
      roles: ['realm_access'],
    },
    features: { devInteractions: { enabled: true } },
    pkce: { required: () => true },
    async findAccount(ctx, id) {
      const claims = accounts[id];
      if (!claims) return undefined;
      // The subject is the login name the dev login form was given.
      return { accountId: id, claims: async () => ({ ...claims, sub: id }) };
    },
  });
  provider.on('server_error', (ctx, error) => process.stderr.write(`oidc-provider server_error: ${error.stack}\n`));
  return provider.callback();
}

async function readJson(req) {
  let body = '';
  for await (const chunk of req) body += chunk;
  return JSON.parse(body);
}

const server = createServer(async (req, res) => {
  try {
    if (req.method === 'POST' && req.url === '/__control/accounts') {
      accounts = await readJson(req);
      res.writeHead(204).end();
      return;
    }
    if (req.method === 'POST' && req.url === '/__control/client') {
      redirectUris = (await readJson(req)).redirect_uris;
      handler = build();
      res.writeHead(204).end();
      return;
    }
    if (req.method === 'POST' && req.url === '/__control/jwks') {
      jwks = await readJson(req);
      handler = build();
      res.writeHead(204).end();
      return;
    }
    handler(req, res);
  } catch (error) {
    res.writeHead(500).end(String(error));
  }
});

server.listen(0, '127.0.0.1', () => {
  issuer = `http://127.0.0.1:${server.address().port}`;
  handler = build();
  process.stdout.write(`${JSON.stringify({ issuer })}\n`);
});

process.on('SIGTERM', () => server.close(() => process.exit(0)));
