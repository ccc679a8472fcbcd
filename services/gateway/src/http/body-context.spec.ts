/**
 * A JSON body reaches its route inside the request's async context, without an
 * AsyncResource.bind() per request. On Node 20 bind() wraps two functions in util.deprecate
 * (the DEP0172 `asyncResource` property) every time: Fastify 5.11's content-type parser bound its
 * callback on every request with a body (~6% of the gateway's CPU under load). Fastify 5.12
 * keeps the context with runInAsyncScope instead; package.json's override holds that version
 * while @nestjs/platform-fastify 11 pins 5.11.3. This spec fails if the override goes away.
 */
import { AsyncLocalStorage, AsyncResource } from 'node:async_hooks';
import Fastify from 'fastify';
import { registerLosslessJson } from './lossless-json';

describe('a request body', () => {
  it('is parsed inside the request context, without an AsyncResource.bind per request', async () => {
    const fastify = Fastify({ logger: false });
    const context = new AsyncLocalStorage<string>();
    fastify.addHook('onRequest', (request, _reply, done) => context.run(request.id, done));
    registerLosslessJson(fastify);
    fastify.post('/echo', (request, reply) => {
      void reply.send({ body: request.body, sameContext: context.getStore() === request.id });
    });
    const bind = jest.spyOn(AsyncResource.prototype, 'bind');
    try {
      for (const payload of ['{"amount": 15}', '{"user_id": 169015299834642432}']) {
        const answer = await fastify.inject({ method: 'POST', url: '/echo', headers: { 'content-type': 'application/json' }, payload });
        expect(answer.statusCode).toBe(200);
        expect(answer.json<{ sameContext: boolean }>().sameContext).toBe(true);
      }
      expect(bind).not.toHaveBeenCalled();
    } finally {
      bind.mockRestore();
      await fastify.close();
    }
  });
});
