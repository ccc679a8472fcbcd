/**
 * Runs a compiled plan (validation-plan.ts) on one parsed body: builds the instance
 * plainToInstance would build, then checks it as validateSync would, in the same order, and
 * returns the same errors (empty ones left out, as Validator.validateSync does).
 *
 * A value this does not model returns UNMODELLED, before anything is decided, and the pipe
 * hands the body to the old path: an array where a nested object is validated (class-validator
 * then runs the property's rules on each item, with the array as their object), and a rule
 * that answers with a promise (validateSync would not wait for it).
 */
import { ValidationTypes, type ValidationArguments, type ValidationError } from 'class-validator';
import { copyPlain, isPlainRecord } from './class-transformer-shape';
import { constraintMessage, validationError, type ClassPlan, type PropertyPlan } from './validation-plan';

export const UNMODELLED = Symbol('unmodelled');

export interface PlanOutcome {
  readonly instance: object;
  readonly errors: ValidationError[];
}

export function runPlan(plan: ClassPlan, body: Record<string, unknown>): PlanOutcome | typeof UNMODELLED {
  const instance = buildInstance(plan, body);
  if (instance === UNMODELLED) return UNMODELLED;
  const errors = validateInstance(plan, instance);
  return errors === UNMODELLED ? UNMODELLED : { instance, errors };
}

/** plainToInstance(plan.metatype, body), for a class transformerShape accepted. */
function buildInstance(plan: ClassPlan, body: Record<string, unknown>): Record<string, unknown> | typeof UNMODELLED {
  const instance = new plan.metatype() as Record<string, unknown>;
  for (const key of Object.keys(body)) {
    if (plan.skipped.has(key)) continue;
    const value = body[key];
    const nested = plan.nestedPlans.get(key);
    if (nested === undefined) {
      instance[key] = copyPlain(value);
    } else if (typeof value === 'object' && value !== null) {
      if (!isPlainRecord(value)) return UNMODELLED;
      const built = buildInstance(nested, value);
      if (built === UNMODELLED) return UNMODELLED;
      instance[key] = built;
    } else {
      instance[key] = value; // class-transformer leaves a primitive where an object was typed
    }
  }
  return instance;
}

/** ValidationExecutor.execute + stripEmptyErrors for an instance built by buildInstance. */
function validateInstance(plan: ClassPlan, instance: Record<string, unknown>): ValidationError[] | typeof UNMODELLED {
  const errors: ValidationError[] = [];
  // whitelist + forbidNonWhitelisted: the instance's keys without any rule, in their order.
  for (const property of Object.keys(instance)) {
    if (plan.known.has(property)) continue;
    const error = validationError(property, instance[property]);
    error.constraints = { [ValidationTypes.WHITELIST]: `property ${property} should not exist` };
    error.children = undefined;
    errors.push(error);
  }
  for (const property of plan.properties) {
    const error = validateProperty(property, instance, instance[property.name]);
    if (error === UNMODELLED) return UNMODELLED;
    if (error) errors.push(error);
  }
  return errors;
}

function validateProperty(property: PropertyPlan, object: Record<string, unknown>, value: unknown): ValidationError | undefined | typeof UNMODELLED {
  let applies = true;
  for (const condition of property.conditions) if (!condition(object, value)) applies = false; // every one is called
  if (!applies) return undefined;

  let constraints: Record<string, string> | undefined;
  for (const check of property.checks) {
    const args: ValidationArguments = {
      targetName: (object.constructor as Function | undefined)?.name as string,
      property: check.metadata.propertyName,
      object,
      value,
      constraints: check.metadata.constraints,
    };
    let valid: unknown = true;
    if (!check.metadata.each || !(Array.isArray(value) || value instanceof Set || value instanceof Map)) {
      valid = check.validate(value, args);
      if (isPromiseLike(valid)) return UNMODELLED;
    } else {
      const items: unknown[] = Array.isArray(value) ? value : value instanceof Map ? [...value.values()] : [...(value as Set<unknown>)];
      for (const result of items.map((item) => check.validate(item, args))) {
        if (isPromiseLike(result)) return UNMODELLED;
        if (!result) valid = false;
      }
    }
    if (!valid) {
      const [type, message] = constraintMessage(object, value, check.metadata, check.constraint);
      (constraints ??= {})[type] = message;
    }
  }

  let children: ValidationError[] | undefined;
  if (value !== undefined) {
    for (const metadata of property.nested) {
      if (Array.isArray(value) || value instanceof Set || value instanceof Map) return UNMODELLED;
      if (value instanceof Object) {
        const nested = validateInstance(property.nestedPlan as ClassPlan, value as Record<string, unknown>);
        if (nested === UNMODELLED) return UNMODELLED;
        (children ??= []).push(...nested);
      } else {
        const [type, message] = constraintMessage(metadata.target as Function, value, metadata);
        (constraints ??= {})[type] = message;
      }
    }
  }
  if (!constraints && !(children && children.length > 0)) return undefined;
  const error = validationError(property.name, value);
  error.children = children ?? [];
  if (constraints) error.constraints = constraints;
  else delete error.constraints; // only its children failed: stripEmptyErrors drops the empty constraints
  return error;
}

function isPromiseLike(value: unknown): boolean {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}
