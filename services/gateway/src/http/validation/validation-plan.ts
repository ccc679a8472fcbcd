/**
 * A DTO class's class-validator rules, read once from the metadata its decorators registered
 * (the same decorators @nestjs/swagger reads for the OpenAPI document), and arranged so that a
 * body is checked without class-validator's per-call work: no metadata lookup, grouping or
 * filtering per request, only the constraints themselves.
 *
 * The checks and their messages are class-validator's own constraint instances and message
 * functions; what this file does is class-validator's ValidationExecutor (0.14) for the options
 * the gateway uses (whitelist, forbidNonWhitelisted, no groups, synchronous), in its order, so
 * the errors are the same objects in the same order. Anything else (a promise rule, a context,
 * @ValidateNested without a class) makes `compilePlan` say why, and the pipe keeps the old path.
 */
import { getMetadataStorage, ValidationError, ValidationTypes, type ValidationArguments } from 'class-validator';
import type { ValidationMetadata } from 'class-validator/types/metadata/ValidationMetadata';
import type { ConstraintMetadata } from 'class-validator/types/metadata/ConstraintMetadata';
import { transformerShape } from './class-transformer-shape';

// replaceMessageSpecialTokens ($property, $value, $constraint1, ...) is not in the package's
// index; it is the function class-validator itself formats every message with.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { ValidationUtils } = require('class-validator/cjs/validation/ValidationUtils') as {
  ValidationUtils: { replaceMessageSpecialTokens(message: unknown, args: ValidationArguments): string };
};

/** One rule of a property: its metadata and the constraint that checks it. */
export interface ConstraintCheck {
  readonly metadata: ValidationMetadata;
  readonly constraint: ConstraintMetadata;
  readonly validate: (value: unknown, args: ValidationArguments) => unknown;
}

export interface PropertyPlan {
  readonly name: string;
  /** @IsOptional / @ValidateIf: all are called, and any false skips the property's rules. */
  readonly conditions: ReadonlyArray<(object: object, value: unknown) => boolean>;
  /** @IsDefined rules, then the other rules, in the order class-validator runs them. */
  readonly checks: readonly ConstraintCheck[];
  readonly nested: readonly ValidationMetadata[];
  /** The class a nested object becomes (its @Type), with its own plan. */
  readonly nestedPlan?: ClassPlan;
}

export interface ClassPlan {
  readonly metatype: new () => object;
  readonly properties: readonly PropertyPlan[];
  /** The properties with any metadata: every other key of the instance is refused. */
  readonly known: ReadonlySet<string>;
  /** Keys of the body the instance never gets (class-transformer's and Nest's skips). */
  readonly skipped: ReadonlySet<string>;
  /** The properties whose object value becomes an instance of a nested class. */
  readonly nestedPlans: ReadonlyMap<string, ClassPlan>;
}

export type CompileResult = { readonly plan: ClassPlan } | { readonly reason: string };

const SUPPORTED = new Set<string>([
  ValidationTypes.CUSTOM_VALIDATION,
  ValidationTypes.IS_DEFINED,
  ValidationTypes.CONDITIONAL_VALIDATION,
  ValidationTypes.NESTED_VALIDATION,
  ValidationTypes.WHITELIST,
]);

/** Compiles a class's plan, or says why it cannot (`compiling` guards against a class that nests itself). */
export function compilePlan(metatype: Function, compiling: Set<Function> = new Set()): CompileResult {
  if (compiling.has(metatype)) return { reason: `${metatype.name} nests itself` };
  compiling.add(metatype);
  const shape = transformerShape(metatype);
  if (!shape.ok) return { reason: `${metatype.name}: ${shape.reason}` };

  const storage = getMetadataStorage();
  // Exactly the call ValidationExecutor makes for validateSync(instance, {whitelist, ...}).
  const metadatas = storage.getTargetValidationMetadatas(metatype, undefined as unknown as string, false, false, undefined);
  const grouped = storage.groupByPropertyName(metadatas);

  const properties: PropertyPlan[] = [];
  const nestedPlans = new Map<string, ClassPlan>();
  for (const [name, group] of Object.entries(grouped)) {
    for (const metadata of group) {
      if (!SUPPORTED.has(metadata.type)) return { reason: `${metatype.name}.${name}: ${metadata.type} rules are not compiled` };
      if (metadata.context !== undefined) return { reason: `${metatype.name}.${name}: a rule has a context` };
    }
    const rules = group.filter((m) => m.type !== ValidationTypes.IS_DEFINED && m.type !== ValidationTypes.WHITELIST);
    const checks = [
      ...group.filter((m) => m.type === ValidationTypes.IS_DEFINED),
      ...rules.filter((m) => m.type === ValidationTypes.CUSTOM_VALIDATION),
    ].flatMap((metadata) => constraintChecks(storage.getTargetValidatorConstraints(metadata.constraintCls), metadata));
    const nested = rules.filter((m) => m.type === ValidationTypes.NESTED_VALIDATION);

    let nestedPlan: ClassPlan | undefined;
    const typed = shape.typed.get(name);
    if (nested.length > 0) {
      if (!typed) return { reason: `${metatype.name}.${name}: @ValidateNested without a @Type class` };
      const compiled = compilePlan(typed, new Set(compiling));
      if (!('plan' in compiled)) return compiled;
      nestedPlan = compiled.plan;
      nestedPlans.set(name, nestedPlan);
    } else if (typed) {
      return { reason: `${metatype.name}.${name}: a @Type without @ValidateNested` };
    }
    properties.push({
      name,
      conditions: rules.filter((m) => m.type === ValidationTypes.CONDITIONAL_VALIDATION).map((m) => m.constraints[0] as (o: object, v: unknown) => boolean),
      checks,
      nested,
      nestedPlan,
    });
  }
  // A @Type on a property without rules would still convert its value: not modelled.
  for (const property of shape.typed.keys()) {
    if (!(property in grouped)) return { reason: `${metatype.name}.${property}: a @Type without rules` };
  }
  return {
    plan: {
      metatype: metatype as new () => object,
      properties,
      known: new Set(Object.keys(grouped)),
      skipped: shape.skipped,
      nestedPlans,
    },
  };
}

function constraintChecks(constraints: ConstraintMetadata[], metadata: ValidationMetadata): ConstraintCheck[] {
  return constraints
    // validateSync leaves asynchronous constraints out (ignoreAsyncValidations).
    .filter((constraint) => !constraint.async)
    .map((constraint) => {
      const instance = constraint.instance as { validate(value: unknown, args: ValidationArguments): unknown };
      return { metadata, constraint, validate: instance.validate.bind(instance) };
    });
}

/** class-validator's createValidationError: the constraint's key and its formatted message. */
export function constraintMessage(object: object, value: unknown, metadata: ValidationMetadata, constraint?: ConstraintMetadata): [string, string] {
  const args: ValidationArguments = {
    targetName: (object.constructor as Function | undefined)?.name as string,
    property: metadata.propertyName,
    object,
    value,
    constraints: metadata.constraints,
  };
  const type = constraint?.name ? constraint.name : metadata.type;
  let message: unknown = metadata.message || '';
  if (!metadata.message) {
    const instance = constraint?.instance as { defaultMessage?: unknown } | undefined;
    if (instance && instance.defaultMessage instanceof Function) message = instance.defaultMessage(args);
  }
  return [type, ValidationUtils.replaceMessageSpecialTokens(message, args)];
}

/** A ValidationError as ValidationExecutor.generateValidationError builds it (target left out, as Nest asks). */
export function validationError(property: string, value: unknown): ValidationError {
  const error = new ValidationError();
  error.value = value;
  error.property = property;
  error.children = [];
  error.constraints = {};
  return error;
}
