/** The stream's heartbeat and its end when the subscription fails, against a store that answers what the test says. */
import { PassThrough } from 'node:stream';
import { ServerResponse, IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import type { EventHandler, Subscription } from '@coffer/event-store';
import { EventStreams } from './event-streams';

function exchange() {
  const socket = new Socket();
  const request = new IncomingMessage(socket);
  const response = new ServerResponse(request);
  const sink = new PassThrough();
  let written = '';
  sink.on('data', (chunk: Buffer) => (written += chunk.toString('utf8')));
  response.assignSocket(sink as unknown as Socket);
  return { response, written: () => written };
}

function storeWith(subscribed: (handler: EventHandler) => Subscription) {
  return { headPosition: async () => 41n, subscribeToAll: (handler: EventHandler) => subscribed(handler) };
}

describe('EventStreams', () => {
  it('writes a heartbeat comment while no event comes, and stops when the client goes', async () => {
    let stopped = false;
    let fail!: (error: Error) => void;
    const store = storeWith(() => ({ position: undefined, done: new Promise<void>((_resolve, reject) => (fail = reject)), stop: async () => void (stopped = true) }));
    const streams = new EventStreams(store, { maxStreams: 1, heartbeatMs: 5, stalledClientMs: 1000 });
    const { response, written } = exchange();
    const served = streams.serve(response, undefined);
    while (!written().includes(': heartbeat')) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(written()).toContain('streaming events after position 41');
    expect(() => streams.admit()).toThrow(/at most 1 event streams/);
    response.emit('close');
    await served;
    expect([stopped, streams.count]).toEqual([true, 0]);
    fail(new Error('stopped')); // a stopped subscription's end changes nothing
  });

  it('ends the stream when its subscription fails (the client reconnects with Last-Event-ID)', async () => {
    let fail!: (error: Error) => void;
    const store = storeWith(() => ({ position: undefined, done: new Promise<void>((_resolve, reject) => (fail = reject)), stop: async () => undefined }));
    const streams = new EventStreams(store, { maxStreams: 2, heartbeatMs: 60_000, stalledClientMs: 1000 });
    const { response } = exchange();
    const served = streams.serve(response, 7n);
    await new Promise((resolve) => setImmediate(resolve));
    fail(new Error('the store went away'));
    await served;
    expect([response.writableEnded, streams.count]).toEqual([true, 0]);
  });
});
