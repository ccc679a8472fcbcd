/**
 * The compiled pipe on class-validator and class-transformer constructs that no gateway DTO uses
 * today (test/validation-equivalence.spec.ts covers those): a future DTO either compiles to the
 * same outcomes as the old pipe, or is left to the old pipe, and never accepted on a guess.
 */
import type { ArgumentMetadata, ValidationPipeOptions } from '@nestjs/common';
import { Transform, Type } from 'class-transformer';
import {
  Allow,
  IsDefined,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  registerDecorator,
  ValidateBy,
  ValidateIf,
  ValidateNested,
  type ValidationError,
} from 'class-validator';
import { gatewayValidationPipe, referenceValidationPipe, VALIDATION_PIPE_OPTIONS } from '../validation-pipe';

class Leaf {
  @IsInt({ message: '$property must be an integer, not $value' })
  @Min(1)
  n!: number;
}

class Tokens {
  @IsDefined()
  @Min(5)
  @Max(10, { message: (args) => `${args.property} of ${args.targetName} must be at most ${args.constraints[0]}` })
  level!: number;

  @IsOptional()
  @IsString({ each: true })
  @Matches(/^[a-z]+$/, { each: true })
  tags?: string[];

  @Allow()
  anything?: unknown;

  @ValidateIf((object: Tokens) => object.level !== 7)
  @IsInt()
  unless7?: number;

  @IsOptional()
  @ValidateNested()
  @Type(() => Leaf)
  leaf?: Leaf;
}

class Parent {
  @IsString()
  name!: string;
}

class Child extends Parent {
  @IsInt()
  age!: number;
}

class WithoutRules {
  @IsString()
  name!: string;

  note?: string; // a field without any rule: the old pipe refuses every body (whitelist)
}

class Converted {
  @Transform(({ value }) => Number(value))
  @IsInt()
  n!: number;
}

class UntypedNested {
  @ValidateNested()
  leaf!: Leaf;
}

class WithDefault {
  @IsString()
  name: string = 'x';
}

class WithGetter {
  @IsString()
  name!: string;

  get shout(): string {
    return this.name.toUpperCase();
  }
}

class PromiseRule {
  @ValidateBy({ name: 'later', validator: { validate: () => Promise.resolve(false) as unknown as boolean } })
  value!: unknown;
}

/** A constraint registered as asynchronous (ValidateBy does not pass `async` on): validateSync skips it. */
function Later(): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({ name: 'later', async: true, target: target.constructor, propertyName: propertyName as string, validator: { validate: () => Promise.resolve(false) } });
}

class AsyncRule {
  @Later()
  @IsInt()
  value!: unknown;
}

const CAPTURE: ValidationPipeOptions = { ...VALIDATION_PIPE_OPTIONS, exceptionFactory: (errors: ValidationError[]) => ({ errors }) };
const compiled = gatewayValidationPipe(CAPTURE);
const reference = referenceValidationPipe(CAPTURE);
const oldPath = jest.spyOn(compiled.reference, 'transform');

async function outcome(run: () => unknown): Promise<unknown> {
  try {
    const value = await run();
    return { accepted: value, class: (value as object | null)?.constructor?.name };
  } catch (error) {
    return { refused: error };
  }
}

/** Both pipes on fresh copies of each body: equal outcomes, and whether the compiled pipe needed the old path. */
async function expectSame(dto: Function, bodies: unknown[]): Promise<boolean[]> {
  const metadata: ArgumentMetadata = { type: 'body', metatype: dto as never, data: undefined };
  const tookOldPath: boolean[] = [];
  for (const body of bodies) {
    const copy = () => (body === undefined ? undefined : (JSON.parse(JSON.stringify(body)) as unknown));
    const expected = await outcome(() => reference.transform(copy(), metadata));
    const calls = oldPath.mock.calls.length;
    const actual = await outcome(() => compiled.transform(copy(), metadata));
    tookOldPath.push(oldPath.mock.calls.length > calls);
    expect({ body, actual }).toStrictEqual({ body, actual: expected });
  }
  return tookOldPath;
}

describe('the compiled validation pipe on rules the gateway does not use yet', () => {
  it('formats $value, $constraint1, $property and message functions, each-rules, @IsDefined, @Allow, @ValidateIf and nested errors as class-validator does', async () => {
    expect(typeof compiled.planFor(Tokens)).toBe('object');
    const paths = await expectSame(Tokens, [
      { level: 5 },
      {},
      { level: 4, tags: ['ok', 'Not Ok', 3] },
      { level: 11, tags: 'one' },
      { level: 7, unless7: 'x' },
      { level: 6, unless7: 'x', anything: { deep: [1] } },
      { level: 6, unless7: 1, leaf: { n: 'x' } },
      { level: 6, unless7: 1, leaf: { n: 0, extra: true } },
      { level: 6, unless7: 1, leaf: 5 },
      { level: 6, unless7: 1, leaf: null },
      { level: '6', unless7: 1.5, tags: [] },
    ]);
    expect(paths.every((old) => !old)).toBe(true);
  });

  it('takes inherited rules as class-validator does', async () => {
    expect(typeof compiled.planFor(Child)).toBe('object');
    expect(await expectSame(Child, [{ name: 'a', age: 1 }, { age: 'x' }, { name: 1, age: 1, more: 1 }])).toEqual([false, false, false]);
  });

  it('refuses every body of a class with a field without rules, as the old pipe', async () => {
    await expectSame(WithoutRules, [{ name: 'a' }, { name: 'a', note: 'n' }, {}]);
  });

  it('leaves to the old pipe a class it does not model, with the reason', async () => {
    expect(compiled.planFor(Converted)).toMatch(/@Transform/);
    expect(compiled.planFor(UntypedNested)).toMatch(/@ValidateNested without a @Type/);
    expect(compiled.planFor(WithDefault)).toMatch(/constructor sets name/);
    expect(compiled.planFor(WithGetter)).toMatch(/prototype has shout/);
    expect(await expectSame(Converted, [{ n: '5' }, { n: 'x' }])).toEqual([true, true]);
    expect(await expectSame(UntypedNested, [{ leaf: { n: 1 } }])).toEqual([true]);
    expect(await expectSame(WithDefault, [{}, { name: 3 }])).toEqual([true, true]);
  });

  it('leaves to the old pipe a rule that answers with a promise, and ignores an asynchronous rule as validateSync does', async () => {
    expect(await expectSame(PromiseRule, [{ value: 1 }])).toEqual([true]);
    expect(await expectSame(AsyncRule, [{ value: 1 }, { value: 'x' }])).toEqual([false, false]);
  });

  it('leaves to the old pipe an array where a nested object is validated, and any body that is no object', async () => {
    expect(await expectSame(Tokens, [{ level: 6, unless7: 1, leaf: [{ n: 1 }] }, [], 'text', 5])).toEqual([true, true, true, true]);
    expect(await expectSame(Tokens, [undefined, null])).toEqual([false, false]);
  });

  it('hands back a custom parameter decorator\'s value untouched, as the old pipe does, and validates no primitive parameter differently', async () => {
    const context = { app_id: 'app_1', command: { constructor: 1 } };
    for (const [value, metadata] of [
      [context, { type: 'custom', metatype: Tokens, data: undefined }],
      ['12', { type: 'custom', metatype: Number, data: 'id' }],
      ['12', { type: 'param', metatype: Number, data: 'id' }],
      ['x', { type: 'query', metatype: String, data: 'q' }],
      [undefined, { type: 'query', metatype: Boolean, data: 'flag' }],
    ] as Array<[unknown, ArgumentMetadata]>) {
      const expected = await reference.transform(value, metadata);
      const actual = await compiled.transform(value, metadata);
      expect(actual).toBe(expected);
    }
  });
});
