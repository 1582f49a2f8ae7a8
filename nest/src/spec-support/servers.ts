import type { JWK } from 'jose';
import { IncomingMessage, Server, ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A real HTTP server on 127.0.0.1 and an ephemeral port. */
async function listen(handler: (request: IncomingMessage, response: ServerResponse) => void): Promise<{ server: Server; url: string }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** An http:// URL on which nothing listens (a port just released). */
export async function deadUrl(path: string): Promise<string> {
  const { server, url } = await listen(() => undefined);
  await close(server);
  return `${url}${path}`;
}

/** Gatehouse's `/.well-known/jwks.json`: the keys it currently publishes, and how often it was asked. */
export class JwksServer {
  /** Change to publish another set (a rotation). */
  keys: JWK[];
  requests = 0;

  private constructor(
    private readonly server: Server,
    readonly url: string,
    keys: JWK[],
  ) {
    this.keys = keys;
  }

  static async start(keys: JWK[]): Promise<JwksServer> {
    let self: JwksServer | undefined;
    const { server, url } = await listen((request, response) => {
      if (!self) return;
      self.requests++;
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ keys: self.keys }));
    });
    self = new JwksServer(server, `${url}/.well-known/jwks.json`, keys);
    return self;
  }

  close(): Promise<void> {
    return close(this.server);
  }
}

/** One call to the introspection endpoint, as it arrived. */
export interface IntrospectionCall {
  method?: string;
  authorization?: string;
  contentType?: string;
  token: string | null;
}

/** Gatehouse's RFC 7662 introspection endpoint: answers what `answer` says, after `delayMs`. */
export class IntrospectionServer {
  calls: IntrospectionCall[] = [];
  /** The answer for a token: a JSON body (with `status`), or a status code alone (with a text body). */
  answer: (token: string | null) => object | number = () => ({ active: true });
  /** The status of JSON answers. */
  status = 200;
  delayMs = 0;

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<IntrospectionServer> {
    let self: IntrospectionServer | undefined;
    const { server, url } = await listen((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        if (!self) return;
        const token = new URLSearchParams(Buffer.concat(chunks).toString('utf8')).get('token');
        self.calls.push({
          method: request.method,
          authorization: request.headers.authorization,
          contentType: request.headers['content-type'],
          token,
        });
        const answer = self.answer(token);
        setTimeout(() => {
          if (typeof answer === 'number') {
            response.writeHead(answer, { 'content-type': 'text/plain' });
            response.end('no');
          } else {
            response.writeHead(self?.status ?? 200, { 'content-type': 'application/json' });
            response.end(JSON.stringify(answer));
          }
        }, self.delayMs);
      });
    });
    self = new IntrospectionServer(server, `${url}/authenticate/introspect`);
    return self;
  }

  close(): Promise<void> {
    return close(this.server);
  }
}
