/**
 * What class-transformer's plainToInstance (no options) does to a parsed JSON body, for the
 * classes where that is only a copy: a new instance of the class, every key of the body copied
 * onto it (arrays and objects copied deeply), except the keys it never copies. Nest's
 * ValidationPipe also deletes `__proto__`, `prototype` and `constructor` from every object of
 * the value first, so those are never copied either, at any depth.
 *
 * Whatever class-transformer would do more (a @Transform, @Expose/@Exclude, a @Type that
 * converts, a discriminator, a Map) is not modelled: `transformerShape` says why, and the pipe
 * keeps class-transformer for that class.
 */
import type { TypeMetadata } from 'class-transformer';

/** class-transformer's metadata store (the one its decorators fill), read once per class. */
interface TransformerStorage {
  findTypeMetadata(target: Function, propertyName: string): TypeMetadata | undefined;
  getStrategy(target: Function): 'excludeAll' | 'exposeAll' | 'none';
  getAncestors(target: Function): Function[];
  _typeMetadatas: Map<Function, Map<string, TypeMetadata>>;
  _transformMetadatas: Map<Function, Map<string, unknown[]>>;
  _exposeMetadatas: Map<Function, Map<string | undefined, unknown>>;
  _excludeMetadatas: Map<Function, Map<string | undefined, unknown>>;
}

// Not in the package's index; its metadata store is the module every decorator writes to.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const storage = (require('class-transformer/cjs/storage') as { defaultMetadataStorage: TransformerStorage }).defaultMetadataStorage;

/** Whether this version of class-transformer keeps its metadata where this file reads it. */
export const transformerStorageReadable =
  storage._typeMetadatas instanceof Map &&
  storage._transformMetadatas instanceof Map &&
  storage._exposeMetadatas instanceof Map &&
  storage._excludeMetadatas instanceof Map &&
  typeof storage.getAncestors === 'function';

/** The keys stripped before the copy (ValidationPipe.stripProtoKeys) or skipped by it. */
const ALWAYS_SKIPPED = ['__proto__', 'prototype', 'constructor'];

/**
 * Keys of a plain object's copy that class-transformer skips: it never copies a key whose
 * value on the new object is a function (`toString`, `valueOf`, ...) or a getter without a
 * setter of its prototype.
 */
const PLAIN_SKIPPED: ReadonlySet<string> = new Set([...ALWAYS_SKIPPED, ...Object.getOwnPropertyNames(Object.prototype)]);

/** A parsed JSON value (or a query-string object) copied as class-transformer copies an untyped value. */
export function copyPlain(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    const copy: unknown[] = [];
    for (const item of value) copy.push(copyPlain(item));
    return copy;
  }
  const source = value as Record<string, unknown>;
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(source)) {
    if (!PLAIN_SKIPPED.has(key)) copy[key] = copyPlain(source[key]);
  }
  return copy;
}

/** An object as JSON.parse, lossless-json or Fastify's query parser build it (no class of its own). */
export function isPlainRecord(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as object | null;
  if (proto === Object.prototype || proto === null) return true;
  // fast-querystring's objects: a prototype of their own, itself without a prototype or keys.
  return Object.getPrototypeOf(proto) === null && Reflect.ownKeys(proto).length === 0;
}

/** How plainToInstance builds an instance of one class, or why it is not just a copy. */
export type TransformerShape =
  | {
      readonly ok: true;
      /** Keys of the body that never reach the instance. */
      readonly skipped: ReadonlySet<string>;
      /** Properties with a @Type: their object value becomes an instance of that class. */
      readonly typed: ReadonlyMap<string, Function>;
    }
  | { readonly ok: false; readonly reason: string };

function hasEntries(map: Map<Function, Map<unknown, unknown>>, classes: Function[]): boolean {
  return classes.some((target) => (map.get(target)?.size ?? 0) > 0);
}

export function transformerShape(metatype: Function): TransformerShape {
  if (!transformerStorageReadable) return { ok: false, reason: 'class-transformer keeps its metadata elsewhere' };
  const lineage = [metatype, ...storage.getAncestors(metatype)];
  if (hasEntries(storage._transformMetadatas, lineage)) return { ok: false, reason: 'a @Transform converts values' };
  if (hasEntries(storage._exposeMetadatas, lineage) || hasEntries(storage._excludeMetadatas, lineage) || storage.getStrategy(metatype) !== 'none') {
    return { ok: false, reason: '@Expose/@Exclude choose the keys' };
  }
  const skipped = skippedKeys(metatype);
  if (typeof skipped === 'string') return { ok: false, reason: skipped };

  const typed = new Map<string, Function>();
  for (const target of lineage) {
    for (const property of storage._typeMetadatas.get(target)?.keys() ?? []) {
      if (typed.has(property)) continue;
      const metadata = storage.findTypeMetadata(metatype, property);
      if (!metadata?.typeFunction || metadata.typeFunction.length > 0 || metadata.options?.discriminator) {
        return { ok: false, reason: `@Type of ${property} depends on the value` };
      }
      if (metadata.reflectedType === Map || metadata.reflectedType === Set) return { ok: false, reason: `${property} is a Map or Set` };
      const type = metadata.typeFunction() as unknown;
      if (typeof type !== 'function' || [String, Number, Boolean, Date, Buffer, Object, Array].includes(type as never)) {
        return { ok: false, reason: `@Type of ${property} converts values` };
      }
      typed.set(property, type);
    }
  }
  return { ok: true, skipped, typed };
}

/**
 * The keys plainToInstance skips on a new instance of the class: those whose value there is a
 * function, and getters without setters. A class whose prototypes hold anything else, or whose
 * constructor sets values, is not modelled (a string says why).
 */
function skippedKeys(metatype: Function): ReadonlySet<string> | string {
  let probe: Record<string, unknown>;
  try {
    probe = new (metatype as new () => Record<string, unknown>)();
  } catch {
    return 'its constructor needs arguments';
  }
  for (const key of Object.keys(probe)) {
    if (probe[key] !== undefined) return `its constructor sets ${key}`;
    if (/^(0|[1-9]\d*)$/.test(key)) return `property ${key} would be ordered as an index`;
  }
  const skipped = new Set(PLAIN_SKIPPED);
  for (let proto = Object.getPrototypeOf(probe) as object | null; proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto) as object | null) {
    for (const key of Object.getOwnPropertyNames(proto)) {
      const descriptor = Object.getOwnPropertyDescriptor(proto, key);
      if (key === 'constructor') continue;
      if (!descriptor || descriptor.get || descriptor.set || typeof descriptor.value !== 'function') return `its prototype has ${key}`;
      skipped.add(key);
    }
  }
  // A field of the instance hides a method of the same name: that key is copied.
  for (const key of Object.keys(probe)) if (!ALWAYS_SKIPPED.includes(key)) skipped.delete(key);
  return skipped;
}
