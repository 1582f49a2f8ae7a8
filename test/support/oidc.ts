import { ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, JWK } from 'jose';

export interface TestProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  setAccounts(accounts: Record<string, Record<string, unknown>>): Promise<void>;
  setJwks(keys: JWK[]): Promise<void>;
  setRedirectUris(uris: string[]): Promise<void>;
  stop(): Promise<void>;
}

/** An RSA signing key as a private JWK with a `kid` (oidc-provider signs with it; tests sign with it too). */
export async function rsaKey(kid: string): Promise<JWK> {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true, modulusLength: 2048 });
  return { ...(await exportJWK(privateKey)), kid, use: 'sig' };
}

/** A free TCP port on loopback (so Gatehouse's PUBLIC_URL can be known before it listens). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Starts test/support/oidc-provider.mjs (oidc-provider, in its own process) and waits until it listens. */
export async function startOidcProvider(keys: JWK[]): Promise<TestProvider> {
  const clientId = 'gatehouse';
  const clientSecret = 'gatehouse-client-secret-for-tests';
  const child: ChildProcess = spawn(process.execPath, [join(__dirname, 'oidc-provider.mjs')], {
    env: {
      PATH: process.env.PATH ?? '',
      CLIENT_ID: clientId,
      CLIENT_SECRET: clientSecret,
      JWKS: JSON.stringify({ keys }),
      NODE_ENV: 'test',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const issuer = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve((JSON.parse(line) as { issuer: string }).issuer);
    });
    child.once('exit', (code) => reject(new Error(`oidc-provider exited (${code}): ${stderr}`)));
  });
  const control = async (path: string, body: unknown) => {
    const res = await fetch(`${issuer}/__control/${path}`, { method: 'POST', body: JSON.stringify(body) });
    if (res.status !== 204) throw new Error(`control ${path}: ${res.status} ${await res.text()}`);
  };
  return {
    issuer,
    clientId,
    clientSecret,
    setAccounts: (accounts) => control('accounts', accounts),
    setJwks: (jwks) => control('jwks', { keys: jwks }),
    setRedirectUris: (uris) => control('client', { redirect_uris: uris }),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/**
 * A minimal browser over fetch: a cookie jar per host, redirects followed by hand (so each hop can
 * be inspected or tampered with), and HTML forms submitted with their hidden fields.
 */
export class TestBrowser {
  private readonly jars = new Map<string, Map<string, string>>();

  cookie(url: string, name: string): string | undefined {
    return this.jars.get(new URL(url).host)?.get(name);
  }

  async request(
    url: string,
    init: { method?: string; form?: Record<string, string>; headers?: Record<string, string> } = {},
  ): Promise<Response> {
    const target = new URL(url);
    const jar = this.jars.get(target.host) ?? new Map<string, string>();
    this.jars.set(target.host, jar);
    const headers: Record<string, string> = { ...init.headers };
    if (jar.size) headers.cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
    let body: string | undefined;
    if (init.form) {
      body = new URLSearchParams(init.form).toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    }
    const res = await fetch(url, { method: init.method ?? (body ? 'POST' : 'GET'), headers, body, redirect: 'manual' });
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attributes.some((a) => /^\s*max-age=0\s*$/i.test(a)) || value === '';
      if (expired) jar.delete(name);
      else jar.set(name, value);
    }
    return res;
  }

  /**
   * Follows redirects and the provider's login and consent forms from `url` until a redirect leaves
   * the provider for `stopAt` (Gatehouse's callback); returns that URL without requesting it.
   */
  async throughProvider(url: string, stopAt: string, login: string): Promise<string> {
    let next = url;
    for (let hop = 0; hop < 20; hop++) {
      if (next.startsWith(stopAt)) return next;
      const res = await this.request(next);
      if (res.status >= 300 && res.status < 400) {
        next = new URL(res.headers.get('location')!, next).toString();
        continue;
      }
      const html = await res.text();
      if (res.status !== 200) throw new Error(`provider answered ${res.status} at ${next}: ${html.slice(0, 500)}`);
      const form = /<form[^>]*action="([^"]+)"[^>]*>([\s\S]*?)<\/form>/i.exec(html);
      if (!form) throw new Error(`no form at ${next}: ${html.slice(0, 500)}`);
      const fields: Record<string, string> = {};
      for (const input of form[2].matchAll(/<input[^>]*>/gi)) {
        const name = /name="([^"]+)"/.exec(input[0])?.[1];
        if (name) fields[name] = /value="([^"]*)"/.exec(input[0])?.[1] ?? '';
      }
      if ('login' in fields) {
        fields.login = login;
        fields.password = 'any password (dev interactions accept all)';
      }
      const submitted = await this.request(new URL(form[1].replace(/&amp;/g, '&'), next).toString(), { form: fields });
      if (submitted.status < 300 || submitted.status >= 400)
        throw new Error(`form at ${next} answered ${submitted.status}: ${(await submitted.text()).slice(0, 500)}`);
      next = new URL(submitted.headers.get('location')!, next).toString();
    }
    throw new Error('too many hops at the provider');
  }
}
