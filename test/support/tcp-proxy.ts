import { Server, Socket, createConnection, createServer } from 'node:net';

/**
 * A TCP forwarder the test controls: in front of PostgreSQL or Redis to cut it (`down`, like a network
 * outage) or hang it (`freeze`: connections stay open, bytes are dropped), or to make a loopback-only
 * service reachable on another address (the deployment test's network namespaces).
 */
export class TcpProxy {
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  private frozen = false;
  private boundPort: number;

  constructor(
    private readonly target: { host: string; port: number },
    private readonly listen: { host: string; port?: number } = { host: '127.0.0.1' },
  ) {
    this.boundPort = listen.port ?? 0;
  }

  /** The port it listens on (chosen at the first `up` when none was given; kept across `down`/`up`). */
  get port(): number {
    return this.boundPort;
  }

  async up(): Promise<number> {
    this.frozen = false;
    const server = createServer((client) => {
      const upstream = createConnection(this.target);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => socket.destroy());
      }
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
      // While frozen, bytes are dropped rather than queued: the peer simply stops answering.
      client.on('data', (chunk: Buffer) => void (this.frozen || upstream.write(chunk)));
      upstream.on('data', (chunk: Buffer) => void (this.frozen || client.write(chunk)));
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.boundPort, this.listen.host, resolve);
    });
    this.boundPort = (server.address() as { port: number }).port;
    return this.boundPort;
  }

  freeze(): void {
    this.frozen = true;
  }

  async down(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    const server = this.server;
    this.server = undefined;
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }
}
