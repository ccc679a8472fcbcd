/**
 * /console: the operators' web console (services/console), static files built by esbuild. It
 * holds no secret: the browser signs in with an admin token, which it keeps in sessionStorage
 * and sends to the /admin routes like any client.
 */
import fastifyStatic from '@fastify/static';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { FastifyInstance } from 'fastify';

/**
 * Scripts and styles from the console's own files only, nothing inline, no frames: a page that
 * holds an admin token in its session runs nothing it did not ship.
 */
const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/** Where the built console is: services/console/dist, through its workspace link. */
export function consoleDirectory(): string | undefined {
  try {
    const dist = join(dirname(require.resolve('@coffer/console/package.json')), 'dist');
    return existsSync(join(dist, 'index.html')) ? dist : undefined;
  } catch {
    return undefined;
  }
}

export async function serveConsole(fastify: FastifyInstance, root = consoleDirectory()): Promise<void> {
  if (!root) {
    // Not built (a checkout before `npm run build`): say so rather than a bare 404.
    fastify.get('/console', (_request, reply) => {
      void reply.code(404).type('text/plain; charset=utf-8').send('the console is not built: run npm run build\n');
    });
    return;
  }
  await fastify.register(fastifyStatic, {
    root,
    prefix: '/console/',
    index: 'index.html',
    decorateReply: false, // /docs (Swagger UI) registers its own instance
    setHeaders: (reply) => {
      void reply.header('content-security-policy', CONTENT_SECURITY_POLICY);
      void reply.header('x-content-type-options', 'nosniff');
      void reply.header('referrer-policy', 'no-referrer');
      void reply.header('cache-control', 'no-cache');
    },
  });
  // The pages load ./app.js relative to /console/: the bare path sends the browser there.
  fastify.get('/console', (_request, reply) => {
    void reply.redirect('/console/', 301);
  });
}
