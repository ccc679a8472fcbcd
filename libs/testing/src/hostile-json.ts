/**
 * fast-check generators of what may arrive as JSON over NATS from anyone: hostile text, JSON
 * nested far past the 32 levels a body may have, and field values mixing plausible ones (so a
 * command gets past validation often) with those. Shared by the services' any-JSON property
 * tests of decide().
 */
import fc from 'fast-check';

/** Strings a store or a reader chokes on, and strings just past a field's limits; then `extra`. */
export function hostileText(...extra: string[]): fc.Arbitrary<string> {
  return fc.oneof(
    fc.constantFrom('a\u0000b', '\ud800', 'x\udfff', '\u0085', '\u009f', '\u007f', 'a\r\nb', '\u001b[2J', 'd'.repeat(501), 'n'.repeat(101), '', ' ', ...extra),
    fc.string({ unit: fc.char16bits(), maxLength: 12 }),
  );
}

export const anyJson = fc.jsonValue({ maxDepth: 6 });

/** Nesting far past the 32 levels JSON may have, objects keyed `key` and arrays in turn. */
export function deepJson(key: string): fc.Arbitrary<unknown> {
  return fc.integer({ min: 30, max: 3000 }).map((depth) => {
    let value: unknown = 'core';
    for (let i = 0; i < depth; i++) value = i % 2 ? [value] : { [key]: value };
    return value;
  });
}

/** A field's value: mostly `plausible`, often hostile text or any JSON, sometimes far too deep. */
export function fieldValue(plausible: fc.Arbitrary<unknown>, hostile: fc.Arbitrary<string>, deep: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 6, arbitrary: plausible },
    { weight: 3, arbitrary: hostile },
    { weight: 2, arbitrary: anyJson },
    { weight: 1, arbitrary: deep },
  );
}
