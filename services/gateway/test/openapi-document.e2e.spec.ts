/**
 * The OpenAPI document as the real gateway serves it at /docs/openapi.json: linted with Redocly's
 * recommended rules (any error fails the suite; warnings are printed), and held to what a
 * developer must be able to trust in it: ids as strings in every example, a real example per
 * error code, readable operation ids, security that matches the guards the routes really run.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { ERROR_STATUS } from '@coffer/contracts';
import { createTestDatabase, dropTestStreams, testNatsPrefix, type TestDatabase } from '@coffer/testing';
import { api, startGateway } from './gateway-harness';

jest.setTimeout(120000);

const REPOSITORY = path.resolve(__dirname, '../../..');
const REDOCLY = path.join(REPOSITORY, 'node_modules/@redocly/cli/bin/cli.js');
const SNOWFLAKE = '169015299834642432';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const VERBS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

/** Redocly's CLI with its recommended ruleset on this document: one line per problem, severity first. */
async function lint(document: Json): Promise<string[]> {
  const folder = await mkdtemp(path.join(tmpdir(), 'coffer-openapi-'));
  try {
    const file = path.join(folder, 'openapi.json');
    await writeFile(file, JSON.stringify(document));
    // Exits 1 when it finds an error: the report on stdout is what counts.
    const run = await promisify(execFile)(process.execPath, [REDOCLY, 'lint', file, '--extends=recommended', '--format=json'], {
      cwd: folder,
      timeout: 60000,
      maxBuffer: 16 * 1024 * 1024,
      env: { PATH: process.env.PATH, HOME: folder, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
    }).catch((error: { stdout?: string; stderr?: string }) => ({ stdout: error.stdout ?? '', stderr: error.stderr ?? '' }));
    const report = JSON.parse(run.stdout) as { problems: Array<{ ruleId: string; severity: string; message: string; location: Array<{ pointer: string }> }> };
    return report.problems.map((problem) => `${problem.severity} ${problem.ruleId}: ${problem.message} at ${problem.location[0]?.pointer}`);
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

describe('the OpenAPI document at /docs/openapi.json', () => {
  let database: TestDatabase;
  let prefix: string;
  let gateway: NestFastifyApplication;
  let document: Json;
  const operations = (): Array<{ path: string; verb: string; operation: Json }> =>
    Object.entries(document.paths as Json).flatMap(([path, item]) =>
      VERBS.filter((verb) => item[verb]).map((verb) => ({ path, verb, operation: item[verb] as Json })),
    );

  beforeAll(async () => {
    database = await createTestDatabase('openapi');
    prefix = testNatsPrefix();
    gateway = await startGateway({ databaseUrl: database.url, prefix });
    const answer = await api(gateway).openApi();
    expect(answer.status).toBe(200);
    document = answer.reply as unknown as Json;
  });

  afterAll(async () => {
    await gateway?.close();
    await database?.drop();
    await dropTestStreams(prefix);
  });

  it("passes Redocly's recommended rules without an error or a warning", async () => {
    const problems = await lint(document);
    if (problems.length > 0) console.log(`Redocly lint of the OpenAPI document:\n${problems.join('\n')}`);
    expect(problems.filter((line) => line.startsWith('error'))).toEqual([]);
    expect(problems).toEqual([]);
  });

  it('would fail on a broken document: the lint is no formality', async () => {
    const broken = JSON.parse(JSON.stringify(document)) as Json;
    delete broken.paths['/finance/transaction'].post.responses;
    broken.paths['/finance/transfer'].post.security = [{ nobody: [] }];
    const problems = await lint(broken);
    expect(problems).toEqual(
      expect.arrayContaining([expect.stringMatching(/^error struct: .*responses/), expect.stringMatching(/^error security-defined:/)]),
    );
  });

  it('gives ids as strings in every example: a JavaScript client pre-filled from it never sends a rounded snowflake', () => {
    expect(JSON.stringify(document)).toContain(`"${SNOWFLAKE}"`);
    const rounded: string[] = [];
    const walk = (value: unknown, where: string): void => {
      if (typeof value === 'number' && Number.isInteger(value) && !Number.isSafeInteger(value)) rounded.push(where);
      if (typeof value === 'string' && value.includes('169015299834642430')) rounded.push(where);
      if (value && typeof value === 'object') for (const [key, inner] of Object.entries(value)) walk(inner, `${where}/${key}`);
    };
    walk(document, '');
    // The introduction shows the rounded id on purpose, as what JavaScript would send.
    expect(rounded).toEqual(['/info/description']);
    const userIdExamples = Object.entries(document.components.schemas as Json).flatMap(([name, schema]) =>
      Object.entries((schema.properties ?? {}) as Json)
        .filter(([property]) => /user_id$/.test(property))
        .map(([property, field]) => ({ where: `${name}.${property}`, example: field.example })),
    );
    expect(userIdExamples.length).toBeGreaterThan(3);
    expect(userIdExamples.filter(({ example }) => typeof example !== 'string')).toEqual([]);
    // What "Try it out" pre-fills: the body's own example, its ids as strings.
    expect(document.paths['/finance/transaction'].post.requestBody.content['application/json'].example).toMatchObject({
      user_id: SNOWFLAKE,
      type: 'debit',
    });
    expect(document.paths['/finance/transfer'].post.requestBody.content['application/json'].example).toMatchObject({
      from_user_id: expect.any(String),
      to_user_id: expect.any(String),
    });
    expect(document.paths['/finance/balance/{user_id}'].get.parameters).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'user_id', in: 'path', schema: expect.objectContaining({ example: SNOWFLAKE }) })]),
    );
  });

  it('tells JavaScript developers to send ids as strings, and introduces auth, events, idempotency, read-your-writes and errors', () => {
    const intro: string = document.info.description;
    expect(intro).toMatch(/send every id as a string/);
    for (const topic of ['## Authentication', 'admin token', 'API key', '## A finance event', 'ping', 'Idempotency-Key', 'X-Coffer-Position', 'min_position', '## Errors']) {
      expect(intro).toContain(topic);
    }
    expect(intro).not.toMatch(/JWT(?!s: nothing)/);
    for (const code of Object.keys(ERROR_STATUS)) expect(intro).toContain(`\`${code}\``);
    expect(document.info.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(document.servers.length).toBeGreaterThan(0);
  });

  it('answers each error status with its own codes, each with a real example of its own', () => {
    const wrong: string[] = [];
    for (const { path, verb, operation } of operations()) {
      for (const [status, response] of Object.entries(operation.responses as Json)) {
        if (Number(status) < 400) continue;
        const json = response.content?.['application/json'];
        if (json?.schema?.$ref !== '#/components/schemas/ErrorResponse') continue; // /ready's own 503
        const examples = Object.entries((json.examples ?? {}) as Json);
        if (examples.length === 0) wrong.push(`${verb} ${path} ${status}: no example`);
        for (const [name, example] of examples) {
          const error = example.value.error;
          if (error.code !== name || ERROR_STATUS[error.code as keyof typeof ERROR_STATUS] !== Number(status)) {
            wrong.push(`${verb} ${path} ${status}: example ${name} is ${error.code}`);
          }
          if (typeof error.message !== 'string' || error.message.length < 10) wrong.push(`${verb} ${path} ${status}: ${name} has no message`);
        }
      }
    }
    expect(wrong).toEqual([]);
    // Swagger UI fills `additionalProperties: true` with additionalProp1..3: every map is typed.
    expect(JSON.stringify(document)).not.toContain('"additionalProperties":true');
    expect(document.components.schemas.ErrorDetails.additionalProperties).toBeUndefined();
    const transaction = document.paths['/finance/transaction'].post.responses;
    expect(Object.keys(transaction['422'].content['application/json'].examples)).toEqual(['INSUFFICIENT_FUNDS', 'LIMIT_EXCEEDED', 'IDEMPOTENCY_KEY_REUSED']); // LIMIT_EXCEEDED: an app's daily mint limit
    expect(Object.keys(transaction['400'].content['application/json'].examples).sort()).toEqual(['MALFORMED_JSON', 'VALIDATION_FAILED']);
    expect(transaction['401'].content['application/json'].examples.UNAUTHENTICATED.value.error.code).toBe('UNAUTHENTICATED');
    expect(transaction['415'].content['application/json'].examples.UNSUPPORTED_MEDIA_TYPE.value.error.message).toMatch(/Content-Type: application\/json/);
  });

  it('names every operation readably and once', () => {
    const ids = operations().map(({ operation }) => operation.operationId as string);
    expect(ids.filter((id) => !/^[a-z][A-Za-z0-9]+$/.test(id) || /Controller/.test(id))).toEqual([]);
    expect(new Set(ids).size).toBe(ids.length);
    expect(document.paths['/finance/transaction'].post.operationId).toBe('postTransaction');
    expect(document.paths['/finance/balance/{user_id}'].get.operationId).toBe('getBalance');
  });

  it('secures each route as its guards do: the admin token on /admin, an app key elsewhere, nothing on the public routes', () => {
    expect(Object.keys(document.components.securitySchemes).sort()).toEqual(['adminToken', 'appApiKey']);
    for (const scheme of Object.values(document.components.securitySchemes as Json)) {
      expect(scheme).toMatchObject({ type: 'http', scheme: 'bearer' });
      expect(JSON.stringify(scheme)).not.toMatch(/JWT/);
    }
    const security = Object.fromEntries(operations().map(({ path, verb, operation }) => [`${verb} ${path}`, operation.security]));
    expect(Object.values(security).filter((value) => value === undefined)).toEqual([]);
    for (const route of ['get /health', 'get /ready', 'get /metrics', 'get /docs', 'get /docs/openapi.json', 'get /docs/asyncapi.json']) {
      expect({ route, security: security[route] }).toEqual({ route, security: [] });
    }
    for (const [route, value] of Object.entries(security)) {
      if (/^\w+ \/admin\//.test(route)) expect({ route, value }).toEqual({ route, value: [{ adminToken: [] }] });
      else if (!/ \/(health|ready|metrics|docs)/.test(route)) expect({ route, value }).toEqual({ route, value: [{ appApiKey: [] }] });
    }
  });
});
