/**
 * The compiled validation pipe against the pipe it replaces (class-transformer + class-validator
 * on every request), on every DTO the gateway's controllers take: the same decision, the same
 * 400 body (fields, messages and their order), the same class-validator errors underneath, and
 * the same instance handed to the controller (class, keys in order, values). Bodies are JSON
 * texts read by the gateway's own parser, queries are query strings read by Fastify's parser,
 * each parsed afresh for each pipe (the old one changes the value it is given).
 */
import type { ArgumentMetadata, ValidationPipeOptions } from '@nestjs/common';
import fc from 'fast-check';
import type { ValidationError } from 'class-validator';
import { ApiError } from '../src/http/api-error';
import { parseJsonBody } from '../src/http/lossless-json';
import { gatewayValidationPipe, referenceValidationPipe, VALIDATION_PIPE_OPTIONS } from '../src/http/validation-pipe';
import { CompiledValidationPipe } from '../src/http/validation/compiled-validation.pipe';
import {
  applyChanges,
  baseOf,
  changesArbitrary,
  documentedValues,
  gatewayDtos,
  HOSTILE_VALUES,
  propertiesOf,
  queryString,
  TRICKY_KEYS,
  type DtoUse,
} from './validation-inputs';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const parseQuery = (require('fast-querystring') as { parse(text: string): Record<string, unknown> }).parse;

jest.setTimeout(300000);

const RANDOM_BODIES_PER_DTO = 600;

const uses = gatewayDtos();
const allDocumented = uses.flatMap((use) => propertiesOf(use.dto).flatMap((p) => documentedValues(use.dto, p)));

/** Each outcome's comparable form: the decision, the 400 body or the instance's shape. */
type Outcome = { accepted: true; shape: unknown } | { accepted: false; error: unknown };

async function outcome(run: () => unknown): Promise<Outcome> {
  try {
    return { accepted: true, shape: shapeOf(await run()) };
  } catch (error) {
    return { accepted: false, error: error instanceof ApiError ? { code: error.code, message: error.message, details: JSON.stringify(error.details) } : error };
  }
}

/** A value's class, its own keys in their order (undefined ones too) and their values, all the way down. */
function shapeOf(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value === undefined ? '<undefined>' : value;
  const proto = Object.getPrototypeOf(value) as object | null;
  const name = proto === null ? 'null' : (proto.constructor as Function | undefined)?.name;
  if (Array.isArray(value)) return [name, value.map(shapeOf)];
  return [name, Object.keys(value).map((key) => [key, shapeOf((value as Record<string, unknown>)[key])])];
}

/** A pair that refuses with the errors themselves, to compare class-validator's trees. */
const CAPTURE: ValidationPipeOptions = { ...VALIDATION_PIPE_OPTIONS, exceptionFactory: (errors: ValidationError[]) => ({ errors }) };

const pipes = {
  compiled: gatewayValidationPipe(),
  reference: referenceValidationPipe(),
  compiledCapture: gatewayValidationPipe(CAPTURE),
  referenceCapture: referenceValidationPipe(CAPTURE),
};

const stats = { accepted: 0, refused: 0, compiled: 0, oldPath: 0 };
const oldPath = jest.spyOn(pipes.compiled.reference, 'transform');

/**
 * The inputs the compiled pipe hands to the old path though their DTO is compiled: a body that
 * is no object, or an array where a nested object is validated (run-plan.ts). Anything else
 * there would be a plan that quietly never runs.
 */
function expectedOnOldPath(use: DtoUse, input: unknown): boolean {
  if (typeof pipes.compiled.planFor(use.dto) === 'string') return true;
  if (input === undefined || input === null) return false;
  if (typeof input !== 'object' || Array.isArray(input)) return true;
  return use.dto.name === 'RegisterAchievementDto' && Array.isArray((input as { reward?: unknown }).reward);
}

/** Sends one input (made afresh for each pipe) through both pairs and compares everything. */
async function compare(use: DtoUse, make: () => unknown, label: string): Promise<void> {
  const metadata: ArgumentMetadata = { type: use.type, metatype: use.dto as never, data: undefined };
  const reference = await outcome(() => pipes.reference.transform(make(), metadata));
  const calls = oldPath.mock.calls.length;
  const input = make();
  const compiled = await outcome(() => pipes.compiled.transform(input, metadata));
  const tookOldPath = oldPath.mock.calls.length > calls;
  expect({ label, tookOldPath }).toEqual({ label, tookOldPath: expectedOnOldPath(use, make()) });
  stats[tookOldPath ? 'oldPath' : 'compiled'] += 1;
  expect({ label, outcome: compiled }).toEqual({ label, outcome: reference });
  const referenceErrors = await outcome(() => pipes.referenceCapture.transform(make(), metadata));
  const compiledErrors = await outcome(() => pipes.compiledCapture.transform(make(), metadata));
  expect({ label, errors: compiledErrors }).toStrictEqual({ label, errors: referenceErrors });
  stats[reference.accepted ? 'accepted' : 'refused'] += 1;
}

/** A body as the gateway reads it: its JSON text through the lossless parser (undefined if it refuses the text). */
function jsonInput(body: unknown): (() => unknown) | undefined {
  const text = body === undefined ? '' : JSON.stringify(body);
  try {
    parseJsonBody(text);
  } catch {
    return undefined; // a key the parser refuses (__proto__): never reaches a pipe
  }
  return () => parseJsonBody(text);
}

function queryInput(body: Record<string, unknown>): () => unknown {
  const pairs: Array<[string, string]> = [];
  for (const [key, value] of Object.entries(body)) {
    const items = Array.isArray(value) ? value : [value];
    for (const item of items) pairs.push([key, typeof item === 'string' ? item : JSON.stringify(item) ?? '']);
  }
  const text = queryString(pairs);
  return () => parseQuery(text);
}

function inputOf(use: DtoUse, body: unknown): (() => unknown) | undefined {
  if (use.type === 'body') return jsonInput(body);
  return typeof body === 'object' && body !== null && !Array.isArray(body) ? queryInput(body as Record<string, unknown>) : undefined;
}

describe('the compiled validation pipe', () => {
  it('finds the DTOs of the gateway: the bodies and queries of its routes', () => {
    const names = uses.map((use) => `${use.type}:${use.dto.name}`);
    for (const expected of ['body:PostTransactionDto', 'body:TransferDto', 'body:RegisterAchievementDto', 'body:UpdateAppDto', 'query:TransactionsQueryDto', 'query:BalanceQueryDto']) {
      expect(names).toContain(expected);
    }
    expect(uses.length).toBeGreaterThanOrEqual(30);
  });

  it('compiles every DTO but those whose values class-transformer converts (the paging queries)', () => {
    const compiled = new CompiledValidationPipe(VALIDATION_PIPE_OPTIONS);
    const fallbacks = Object.fromEntries(
      uses.map((use) => [use.dto.name, compiled.planFor(use.dto)] as const).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
    );
    for (const reason of Object.values(fallbacks)) expect(reason).toMatch(/@Transform converts values/);
    // Every body is compiled; the queries that keep class-transformer are those with DecimalInteger (limit, page, event_id).
    expect(uses.filter((use) => use.type === 'body' && use.dto.name in fallbacks)).toEqual([]);
    expect(Object.keys(fallbacks).sort()).toEqual(
      uses.filter((use) => propertiesOf(use.dto).some((p) => ['limit', 'page'].includes(p))).map((use) => use.dto.name).sort(),
    );
  });

  it('decides, refuses and builds as the old pipe on the documented examples and on bodies that are no object', async () => {
    for (const use of uses) {
      const base = baseOf(use.dto);
      for (const body of [base, {}, undefined, null, [], [base], 'text', 5, true, { ...base, status: 'posted' }]) {
        const input = inputOf(use, body);
        if (input) await compare(use, input, `${use.dto.name} ${JSON.stringify(body)}`);
      }
    }
  });

  it('decides, refuses and builds as the old pipe on every hostile value in every property, and on every tricky key', async () => {
    for (const use of uses) {
      const base = baseOf(use.dto);
      const properties = propertiesOf(use.dto);
      for (const property of properties) {
        for (const value of [...HOSTILE_VALUES, ...documentedValues(use.dto, property)]) {
          const input = inputOf(use, applyChanges(base, [{ key: property, value }]));
          if (input) await compare(use, input, `${use.dto.name}.${property} = ${JSON.stringify(value)}`);
        }
        const input = inputOf(use, applyChanges(base, [{ key: property, remove: true }]));
        if (input) await compare(use, input, `${use.dto.name} without ${property}`);
      }
      for (const key of TRICKY_KEYS) {
        for (const value of [1, 'x', null, {}, []]) {
          const input = inputOf(use, applyChanges(base, [{ key, value }]));
          if (input) await compare(use, input, `${use.dto.name} with ${key} = ${JSON.stringify(value)}`);
        }
      }
    }
  });

  it('decides, refuses and builds as the old pipe on random bodies of every DTO', async () => {
    for (const [index, use] of uses.entries()) {
      const base = baseOf(use.dto);
      const properties = propertiesOf(use.dto);
      const documented = [...new Set([...properties.flatMap((p) => documentedValues(use.dto, p)), ...allDocumented.slice(0, 50)])];
      const bodies = fc.sample(
        fc.oneof(
          { weight: 6, arbitrary: changesArbitrary(properties, documented).map((changes) => applyChanges(base, changes)) },
          { weight: 1, arbitrary: fc.dictionary(fc.constantFrom(...properties, ...TRICKY_KEYS), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 6 }) },
        ),
        { seed: 20261201 + index, numRuns: RANDOM_BODIES_PER_DTO },
      );
      for (const body of bodies) {
        const input = inputOf(use, body);
        if (input) await compare(use, input, `${use.dto.name} ${JSON.stringify(body)}`);
      }
    }
  });

  afterAll(() => {
    // Both decisions were exercised, many times: an equivalence of refusals alone would prove little.
    expect(stats.accepted).toBeGreaterThan(2000);
    expect(stats.refused).toBeGreaterThan(20000);
    expect(stats.compiled).toBeGreaterThan(stats.oldPath);
    process.stdout.write(`validation equivalence: ${JSON.stringify(stats)}\n`);
  });
});
