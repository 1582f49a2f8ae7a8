import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { freePort } from '../support/server-process';

/**
 * The container recipe in deploy/, checked without a container daemon (these machines have none): the
 * compose file parses and wires what docs/deployment.md says, the Dockerfile keeps its promises, its
 * HEALTHCHECK one-liner really answers, and HAProxy accepts the configuration.
 */
const ROOT = join(__dirname, '..', '..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const inCI = /^(true|1)$/i.test(process.env.CI ?? '');

type Node = Record<string, any>;

/** YAML merge keys (`<<: *anchor`), which Compose applies and js-yaml leaves as they are. */
function merged(node: Node): Node {
  const { ['<<']: base, ...rest } = node;
  return base ? { ...(base as Node), ...rest } : node;
}

describe('deploy/compose.yaml', () => {
  const compose = load(read('deploy/compose.yaml')) as Node;
  const services = Object.fromEntries(Object.entries(compose.services as Node).map(([name, service]) => [name, merged(service as Node)]));

  it('runs two Gatehouse instances, PostgreSQL, Redis and HAProxy', () => {
    expect(Object.keys(services).sort()).toEqual(['gatehouse-1', 'gatehouse-2', 'haproxy', 'postgres', 'redis']);
  });

  it('builds both instances from deploy/Dockerfile, each with its own data volume, trusting only HAProxy', () => {
    const haproxyAddress = services.haproxy.networks.backend.ipv4_address;
    const volumes = new Set<string>();
    for (const name of ['gatehouse-1', 'gatehouse-2']) {
      const service = services[name];
      expect(service.build).toEqual({ context: '..', dockerfile: 'deploy/Dockerfile' });
      expect(service.environment.TRUST_PROXY).toBe(haproxyAddress);
      expect(service.environment.REDIS_URL).toBe('redis://redis:6379');
      expect(service.depends_on).toEqual({ postgres: { condition: 'service_healthy' }, redis: { condition: 'service_healthy' } });
      const [volume] = service.volumes as string[];
      expect(volume).toMatch(/^[\w-]+:\/data$/);
      volumes.add(volume);
      // Secrets come from files mounted at run time, never from this file.
      expect(service.secrets).toEqual(['jwt_secret', 'postgres_password']);
      expect(Object.keys(service.environment)).not.toEqual(expect.arrayContaining(['JWT_SECRET']));
      expect(Object.keys(service.environment)).not.toEqual(expect.arrayContaining(['DATABASE_URL']));
    }
    expect(volumes.size).toBe(2);
  });

  it('puts HAProxy in front with deploy/haproxy.cfg, pointed at both instances', () => {
    const { haproxy } = services;
    expect(haproxy.volumes).toEqual(['./haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro']);
    expect(haproxy.environment).toMatchObject({ GATEHOUSE_1: 'gatehouse-1:3000', GATEHOUSE_2: 'gatehouse-2:3000' });
  });

  it('waits for PostgreSQL and Redis health checks', () => {
    expect(services.postgres.healthcheck.test).toEqual(expect.arrayContaining(['pg_isready']));
    expect(services.redis.healthcheck.test).toEqual(['CMD', 'redis-cli', 'ping']);
  });
});

describe('deploy/Dockerfile', () => {
  const dockerfile = read('deploy/Dockerfile');
  const lines = dockerfile.replace(/\\\n/g, ' ').split('\n');
  const finalStage = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
  const jsonArgs = (instruction: string) =>
    JSON.parse(lines.find((line) => line.startsWith(instruction))!.replace(/^.*?(\[.*\])\s*$/, '$1')) as string[];

  it('builds on Node 24 slim in every stage', () => {
    const froms = lines.filter((line) => line.startsWith('FROM '));
    expect(froms.length).toBeGreaterThanOrEqual(2);
    for (const from of froms) expect(from).toMatch(/^FROM node:24-slim\b/);
  });

  it('installs production dependencies only in the final stage, runs as a non-root user, keeps DATA_DIR in a volume', () => {
    expect(finalStage).toMatch(/npm ci --omit=dev/);
    expect(finalStage).not.toMatch(/apt-get install/);
    expect(finalStage).toMatch(/^USER node$/m);
    expect(finalStage).toMatch(/^VOLUME \["\/data"\]$/m);
    expect(finalStage).toMatch(/DATA_DIR=\/data/);
  });

  it('starts the production command of `npm run start:prod`', () => {
    const startProd = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts['start:prod'];
    expect(jsonArgs('CMD').join(' ')).toBe(startProd);
  });

  it('has a HEALTHCHECK on /health/ready that exits 0 on 200 and 1 on 503 or no answer', async () => {
    expect(lines.find((line) => line.startsWith('HEALTHCHECK'))).toMatch(/ CMD \[/);
    const [executable, ...args] = jsonArgs('HEALTHCHECK');
    expect(args.join(' ')).toContain('/health/ready');
    let status = 200;
    const server = createServer((req, res) => {
      res.statusCode = req.url === '/health/ready' ? status : 404;
      res.end();
    });
    const port = await freePort();
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    // Asynchronously: the server above runs on this process's event loop.
    const probe = () =>
      new Promise<number | null>((resolve) => {
        const child = spawn(executable === 'node' ? process.execPath : executable, args, { env: { PORT: String(port) }, stdio: 'ignore' });
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        child.on('exit', (code) => {
          clearTimeout(timer);
          resolve(code);
        });
      });
    try {
      expect(await probe()).toBe(0);
      status = 503;
      expect(await probe()).toBe(1);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    expect(await probe()).toBe(1);
  });

  it('is built from a context that leaves out local data and secrets (.dockerignore)', () => {
    const ignore = read('.dockerignore')
      .split('\n')
      .filter((line) => line && !line.startsWith('#'));
    expect(ignore[0]).toBe('*');
    expect(ignore.filter((line) => line.startsWith('!')).sort()).toEqual(
      [
        '!client/src',
        '!console',
        '!nest-cli.json',
        '!ormconfig.ts',
        '!package-lock.json',
        '!package.json',
        '!src',
        '!tsconfig.json',
      ].sort(),
    );
  });
});

describe('deploy/haproxy.cfg', () => {
  let haproxy: string | undefined;
  try {
    haproxy = execFileSync('sh', ['-c', 'command -v haproxy']).toString().trim();
  } catch {
    haproxy = undefined;
  }
  const check = () => {
    const result = spawnSync(haproxy!, ['-c', '-f', join(ROOT, 'deploy', 'haproxy.cfg')], {
      env: {
        HAPROXY_BIND: '127.0.0.1:8080',
        GATEHOUSE_1: '127.0.0.1:3001',
        GATEHOUSE_2: '127.0.0.1:3002',
        HAPROXY_STATS_SOCKET: '/tmp/x.sock',
      },
    });
    expect(`${result.stdout.toString()}${result.stderr.toString()}`).toMatch(/Configuration file is valid/);
    expect(result.status).toBe(0);
  };
  if (haproxy || inCI) it('is valid for HAProxy (haproxy -c)', check);
  else it.skip('is valid for HAProxy (haproxy -c) [skipped: haproxy (apt-get install -y haproxy) is missing]', check);

  it('checks /health/ready, forwards the client address and names the instance that answered', () => {
    const config = read('deploy/haproxy.cfg');
    expect(config).toMatch(/http-check send meth GET uri \/health\/ready/);
    expect(config).toMatch(/option forwardfor/);
    expect(config).toMatch(/http-response set-header X-Served-By %s/);
  });
});
