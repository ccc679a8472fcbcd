/**
 * Inputs for the validation equivalence spec: every DTO class the gateway's controllers take as
 * a body or a query (read from Nest's route metadata, so a new route is covered without a
 * change here), a valid-looking base for each (its OpenAPI examples), and the values that
 * bodies and query strings are made of: the hostile table's values (test/hostile.e2e.spec.ts),
 * the tricky keys (`constructor`, `toString`, ...) and random JSON.
 */
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';
import { getMetadataStorage } from 'class-validator';

export interface DtoUse {
  readonly dto: Function;
  readonly type: 'body' | 'query';
  /** Controller.method of one route that takes it. */
  readonly route: string;
}

function controllerFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) return controllerFiles(file);
    return name.endsWith('.controller.ts') ? [file] : [];
  });
}

/** Every DTO the gateway's controllers validate, with the kind of parameter it is. */
export function gatewayDtos(): DtoUse[] {
  const uses = new Map<string, DtoUse>();
  for (const file of controllerFiles(path.join(__dirname, '../src'))) {
    for (const exported of Object.values(require(file) as Record<string, unknown>)) {
      if (typeof exported !== 'function') continue;
      const controller = exported as Function;
      for (const method of Object.getOwnPropertyNames(controller.prototype)) {
        const args = Reflect.getMetadata(ROUTE_ARGS_METADATA, controller, method) as Record<string, { index: number; data?: unknown }> | undefined;
        const types = Reflect.getMetadata('design:paramtypes', controller.prototype, method) as Function[] | undefined;
        if (!args || !types) continue;
        for (const [key, arg] of Object.entries(args)) {
          const kind = Number(key.split(':')[0]);
          const type = kind === RouteParamtypes.BODY ? 'body' : kind === RouteParamtypes.QUERY ? 'query' : undefined;
          const dto = types[arg.index];
          if (!type || arg.data !== undefined || [Object, String, Number, Boolean, Array].includes(dto as never)) continue;
          uses.set(`${type}:${dto.name}`, { dto, type, route: `${controller.name}.${method}` });
        }
      }
    }
  }
  return [...uses.values()].sort((a, b) => `${a.type}${a.dto.name}`.localeCompare(`${b.type}${b.dto.name}`));
}

interface SwaggerProperty {
  example?: unknown;
  enum?: unknown[];
  default?: unknown;
  type?: unknown;
  required?: boolean;
}

/** A DTO's properties: those the rules name and those the OpenAPI document names. */
export function propertiesOf(dto: Function): string[] {
  const ruled = getMetadataStorage()
    .getTargetValidationMetadatas(dto, undefined as unknown as string, false, false)
    .map((m) => m.propertyName);
  const documented = ((Reflect.getMetadata('swagger/apiModelPropertiesArray', dto.prototype) as string[] | undefined) ?? []).map((p) => p.slice(1));
  return [...new Set([...documented, ...ruled])];
}

function swagger(dto: Function, property: string): SwaggerProperty | undefined {
  return Reflect.getMetadata('swagger/apiModelProperties', dto.prototype, property) as SwaggerProperty | undefined;
}

/** The values the OpenAPI document gives for a property (its example, enum, default), valid or not. */
export function documentedValues(dto: Function, property: string): unknown[] {
  const doc = swagger(dto, property);
  if (!doc) return [];
  const values: unknown[] = [];
  if (doc.example !== undefined) values.push(doc.example);
  if (doc.enum) values.push(...doc.enum);
  if (doc.default !== undefined) values.push(doc.default);
  if (typeof doc.type === 'function' && ![String, Number, Boolean, Object, Array].includes(doc.type as never)) values.push(baseOf(doc.type as Function));
  return values;
}

/** A DTO filled with its documented examples: the body the OpenAPI document suggests. */
export function baseOf(dto: Function): Record<string, unknown> {
  const base: Record<string, unknown> = {};
  for (const property of propertiesOf(dto)) {
    const [first] = documentedValues(dto, property);
    if (first !== undefined) base[property] = first;
  }
  return base;
}

/** The hostile table's values, and the edges of every rule (lengths, sizes, kinds). */
export const HOSTILE_VALUES: unknown[] = [
  true, false, null, 0, 1, -1, -5, -7, 1.5, 15, 100, 101, 2 ** 31, Number.MAX_SAFE_INTEGER, 1e21, 0.1,
  '', ' ', 'x', 'a b', 'a/b', 'a\u0000b', 'a\ud800b', '\udc00', 'a\u0085b', '\u009b31m', 'tab\there', 'new\nline',
  '🎰'.repeat(500), '🎰'.repeat(501), 'x'.repeat(500), 'x'.repeat(501), 'x'.repeat(64), 'x'.repeat(65), 'c'.repeat(32), 'c'.repeat(33),
  'x'.repeat(100), 'x'.repeat(101), 'x'.repeat(128), 'x'.repeat(129), 'abc', 'abcd', 'DE89 3704', 'KONTO-ÄÖÜ-1', 'HOSTILE-ACCOUNT-0001',
  '0', '1', '15', '-5', '1.5', '1e3', '0x10', '00012', '9007199254740993', '1000000000000000000', '1000000000000000001', '10000000000000000000',
  `1${'0'.repeat(40)}`, '169015299834642432', 'hostile-alice', 'coins', 'COINS', 'Coins', 'Gold Bars', 'GOLD!', 'hostile_coins',
  'debit', 'credit', 'DEBIT', 'refund', 'posted', 'pending', 'daily', 'hourly', 'bank', 'savings', 'admin', 'auditor', 'root',
  'strong', 'eventual', 'maybe', 'csv', 'json', 'xml', 'asc', 'first_win', 'app_1', 'Grant', 'Grant2',
  '2026-11-01', '2026-02-30', '2024-13-45', '2026-11-30T12:00:00', '2026-11-30T12:00:00Z', '2026-11-30T12:00:00+01:00', '0000-01-01', '2026-W01', '2026-334', 'yesterday',
  'https://93.184.216.34/hook', 'http://127.0.0.1/hook', 'https://cdn.example.com/badges/natural-21.png', 'ftp://x', 'javascript:alert(1)',
  '1187654321098765432', 'transaction.posted', '*',
  [], [1], ['*'], ['transfers'], ['transfers', 'transfers'], ['mint'], ['coins'], ['Coins'], ['hostile-bob'], [null], [[]],
  Array.from({ length: 33 }, (_, i) => `c${i}`), Array.from({ length: 32 }, (_, i) => `c${i}`),
  {}, { value: 1 }, { id: 'hostile-alice' }, { text: 'x' }, { coins: -1 }, { coins: '10000' }, { coins: 5, gems: '7' }, { 'GOLD!': 5 },
  { coins: '10000000000000000000' }, { toString: 1 }, { constructor: 1, coins: 5 }, { prototype: 2 }, { valueOf: 'x' }, { hasOwnProperty: 1 },
  { amount: 15 }, { amount: 15, currency: 'coins' }, { amount: 0 }, { amount: 15, extra: 1 }, { amount: 15, toString: 1 }, { amount: 15, constructor: {} },
  [{ amount: 15 }], [{ amount: 0 }, 5], [5],
];

/** Keys no DTO has, and keys that JavaScript objects already carry. */
export const TRICKY_KEYS = [
  'status', 'extra', 'sort', 'token', 'iban', '0', '7', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty',
  '__defineGetter__', 'isPrototypeOf', 'toLocaleString', 'then', 'length', '',
];

/** A random JSON value, the hostile values, or a documented value of any property. */
export function valueArbitrary(documented: unknown[]): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...HOSTILE_VALUES) },
    { weight: 4, arbitrary: fc.constantFrom(...documented) },
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
    { weight: 1, arbitrary: fc.array(fc.constantFrom(...documented, ...HOSTILE_VALUES.slice(0, 20)), { maxLength: 4 }) },
  );
}

/** Changes to a base: a property set, deleted, or added under another key. */
export type Change = { key: string; value?: unknown; remove?: boolean };

export function changesArbitrary(properties: string[], documented: unknown[]): fc.Arbitrary<Change[]> {
  const keys = fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...properties) }, { weight: 2, arbitrary: fc.constantFrom(...TRICKY_KEYS) }, { weight: 1, arbitrary: fc.string({ maxLength: 6 }) });
  return fc.array(
    fc.oneof(
      { weight: 4, arbitrary: fc.record({ key: keys, value: valueArbitrary(documented) }) },
      { weight: 1, arbitrary: fc.record({ key: fc.constantFrom(...properties), remove: fc.constant(true) }) },
    ),
    { maxLength: 4 },
  );
}

export function applyChanges(base: Record<string, unknown>, changes: Change[]): Record<string, unknown> {
  const body: Record<string, unknown> = { ...base };
  for (const change of changes) {
    if (change.remove) delete body[change.key];
    else Object.defineProperty(body, change.key, { value: change.value, enumerable: true, writable: true, configurable: true });
  }
  return body;
}

/** A query string of these pairs (a key may repeat), encoded as a client would (a lone surrogate cannot be: it becomes U+FFFD). */
export function queryString(pairs: Array<[string, string]>): string {
  const encode = (text: string) => encodeURIComponent((text as string & { toWellFormed(): string }).toWellFormed());
  return pairs.map(([key, value]) => `${encode(key)}=${encode(value)}`).join('&');
}
