import type { ChildProcess } from 'node:child_process';
import { createConnection } from 'node:net';

export interface ServerState {
  /** HAProxy's status column: UP, DOWN, "UP 1/2" (going down), "DOWN 1/2" (coming up), MAINT, … */
  status: string;
  /** Requests HAProxy sent again after this server failed them (`wretr`), and sent to another server (`wredis`). */
  retried: number;
  redispatched: number;
}

/** Sends one command to HAProxy's admin socket and returns its answer. */
export function adminCommand(socketPath: string, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let answer = '';
    const socket = createConnection({ path: socketPath }, () => socket.end(`${command}\n`));
    socket.setTimeout(5000, () => socket.destroy(new Error(`no answer to "${command}"`)));
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
  });
}

/** The state of each server of `backend`, from `show stat` (CSV). */
export async function serverStates(socketPath: string, backend: string): Promise<Record<string, ServerState>> {
  const [header, ...rows] = (await adminCommand(socketPath, 'show stat')).trim().split('\n');
  const columns = header.replace(/^# /, '').split(',');
  const at = (name: string) => columns.indexOf(name);
  const states: Record<string, ServerState> = {};
  for (const row of rows) {
    const cells = row.split(',');
    const server = cells[at('svname')];
    if (cells[at('pxname')] !== backend || server === 'BACKEND' || server === 'FRONTEND') continue;
    states[server] = { status: cells[at('status')], retried: Number(cells[at('wretr')]), redispatched: Number(cells[at('wredis')]) };
  }
  return states;
}

/** Polls until `accept` holds for the backend's servers (or throws with the last states after `timeoutMs`). */
export async function waitForStates(
  socketPath: string,
  backend: string,
  accept: (states: Record<string, ServerState>) => boolean,
  timeoutMs: number,
  process?: ChildProcess,
): Promise<Record<string, ServerState>> {
  const deadline = Date.now() + timeoutMs;
  let last: Record<string, ServerState> | string = 'no answer yet';
  while (Date.now() < deadline) {
    if (process && process.exitCode !== null) throw new Error('HAProxy exited');
    try {
      const states = await serverStates(socketPath, backend);
      if (accept(states)) return states;
      last = states;
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`HAProxy's servers did not reach the expected state in ${timeoutMs} ms: ${JSON.stringify(last)}`);
}
