import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';

/**
 * Separate "hosts" on one machine: network namespaces on a private /24, joined by a bridge that lives
 * in a namespace of its own (so the machine's own network configuration is not touched beyond one veth
 * interface carrying the test's address). Only loopback and these addresses ever carry traffic.
 *
 *   test process (root namespace) 10.218.N.1 ─┐
 *   <id>-lb  10.218.N.2 ──────────────────────┼── bridge in <id>-sw
 *   <id>-g1  10.218.N.3 ──────────────────────┤
 *   <id>-g2  10.218.N.4 ──────────────────────┘
 */
export interface Hosts {
  /** The test process's own address on the network (forwarders listen here). */
  hostAddress: string;
  /** Address of each named host. */
  address(name: string): string;
  /** Starts `command` inside the named host's namespace. */
  spawnIn(name: string, command: string, args: string[], options: { cwd: string; env: Record<string, string> }): ChildProcess;
  /** Kills everything started here and deletes the namespaces (idempotent; afterAll calls it, the watchdog covers a crash). */
  destroy(): void;
}

const run = (args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });

/** A /24 under 10.218.0.0/16 that no interface of this machine uses yet. */
function freeSubnet(): string {
  const used = execFileSync('ip', ['-4', '-o', 'addr', 'show']).toString();
  for (let attempt = 0; attempt < 20; attempt++) {
    const prefix = `10.218.${1 + Math.floor(Math.random() * 254)}`;
    if (!used.includes(`${prefix}.`)) return prefix;
  }
  throw new Error('no free 10.218.x.0/24 subnet');
}

export function createHosts(names: string[]): Hosts {
  // Unique per run: a crashed run's leftovers never collide with the next one.
  const id = `gh${randomBytes(3).toString('hex')}`;
  const prefix = freeSubnet();
  const switchNs = `${id}-sw`;
  const hostLink = `${id}-h`;
  const namespaces = [switchNs, ...names.map((name) => `${id}-${name}`)];
  const children = new Set<ChildProcess>();

  let reaper: ChildProcess | undefined;
  let destroyed = false;

  const destroy = () => {
    if (destroyed) return;
    destroyed = true;
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    for (const ns of namespaces) {
      try {
        // Anything still running in a namespace of this run was started by it.
        for (const pid of execFileSync('ip', ['netns', 'pids', ns]).toString().split('\n').filter(Boolean))
          process.kill(Number(pid), 'SIGKILL');
        // Deleting a namespace deletes the veth ends in it, and with them their peers (the host's one too).
        run(['netns', 'del', ns]);
      } catch {
        // already gone
      }
    }
    reaper?.kill('SIGKILL');
  };

  try {
    for (const ns of namespaces) run(['netns', 'add', ns]);
    run(['-n', switchNs, 'link', 'add', 'br0', 'type', 'bridge']);
    run(['-n', switchNs, 'link', 'set', 'br0', 'up']);
    run(['link', 'add', hostLink, 'type', 'veth', 'peer', 'name', 'to-host', 'netns', switchNs]);
    run(['addr', 'add', `${prefix}.1/24`, 'dev', hostLink]);
    run(['link', 'set', hostLink, 'up']);
    run(['-n', switchNs, 'link', 'set', 'to-host', 'master', 'br0', 'up']);
    names.forEach((name, index) => {
      const ns = `${id}-${name}`;
      const port = `to-${name}`;
      run(['-n', switchNs, 'link', 'add', port, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
      run(['-n', switchNs, 'link', 'set', port, 'master', 'br0', 'up']);
      run(['-n', ns, 'addr', 'add', `${prefix}.${index + 2}/24`, 'dev', 'eth0']);
      run(['-n', ns, 'link', 'set', 'eth0', 'up']);
      run(['-n', ns, 'link', 'set', 'lo', 'up']);
    });
    // A watchdog outside this process: if the test process ends without cleaning up (a crash, Ctrl-C,
    // SIGKILL), it kills what runs in these namespaces and deletes them. (A `process.on('exit')`
    // handler would not do: Jest gives tests a copy of `process` whose 'exit' and signal events never
    // fire — checked.)
    reaper = spawn(
      'sh',
      [
        '-c',
        'while kill -0 "$0" 2>/dev/null; do sleep 1; done; for ns; do ip netns pids "$ns" | xargs -r kill -9; ip netns del "$ns"; done',
        String(process.pid),
        ...namespaces,
      ],
      { detached: true, stdio: 'ignore' },
    );
    reaper.unref();
  } catch (error) {
    destroy();
    throw new Error(`could not build the network namespaces: ${(error as { stderr?: Buffer }).stderr?.toString() ?? String(error)}`);
  }

  return {
    hostAddress: `${prefix}.1`,
    address(name) {
      const index = names.indexOf(name);
      if (index < 0) throw new Error(`no host ${name}`);
      return `${prefix}.${index + 2}`;
    },
    spawnIn(name, command, args, options) {
      if (!names.includes(name)) throw new Error(`no host ${name}`);
      // `ip netns exec` execs the command: the child's pid is the command's own.
      const child = spawn('ip', ['netns', 'exec', `${id}-${name}`, command, ...args], { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
      children.add(child);
      child.on('exit', () => children.delete(child));
      return child;
    },
    destroy,
  };
}

/** Whether this machine can build the hosts: root, `ip` and `haproxy`. Undefined when it can, else what is missing. */
export function missingForHosts(): string | undefined {
  if (process.getuid?.() !== 0) return 'root (network namespaces need it)';
  for (const tool of ['ip', 'haproxy']) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      return `${tool} (apt-get install -y ${tool === 'ip' ? 'iproute2' : 'haproxy'})`;
    }
  }
  return undefined;
}
