import { EventEmitter } from 'node:events';
import type { HttpAdapterHost } from '@nestjs/core';
import { StartupState } from './startup-state';

function hostWith(server: EventEmitter & { listening: boolean }): HttpAdapterHost {
  return { httpAdapter: { getHttpServer: () => server } } as unknown as HttpAdapterHost;
}

describe(StartupState.name, () => {
  it('is not started until the HTTP listener opens after the start-up hooks', () => {
    const server = Object.assign(new EventEmitter(), { listening: false });
    const state = new StartupState(hostWith(server));
    expect(state.started).toBe(false);
    state.onApplicationBootstrap();
    expect(state.started).toBe(false);
    server.listening = true;
    server.emit('listening');
    expect(state.started).toBe(true);
  });

  it('is started at once when the listener is already open', () => {
    const state = new StartupState(hostWith(Object.assign(new EventEmitter(), { listening: true })));
    state.onApplicationBootstrap();
    expect(state.started).toBe(true);
  });

  it('never reports started without an HTTP server (an application context)', () => {
    const state = new StartupState({ httpAdapter: undefined } as unknown as HttpAdapterHost);
    state.onApplicationBootstrap();
    expect(state.started).toBe(false);
  });
});
