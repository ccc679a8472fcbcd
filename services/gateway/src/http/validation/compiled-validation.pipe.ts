import type { ArgumentMetadata, PipeTransform, ValidationPipeOptions } from '@nestjs/common';
import type { ValidationError } from 'class-validator';
import { SyncValidationPipe } from '../sync-validation.pipe';
import { isPlainRecord } from './class-transformer-shape';
import { runPlan, UNMODELLED } from './run-plan';
import { compilePlan, type ClassPlan } from './validation-plan';

/** A class whose metadata throws while it is read (a @Type function, a constraint's constructor) keeps the old path. */
function compileOrExplain(metatype: Function): ReturnType<typeof compilePlan> {
  try {
    return compilePlan(metatype);
  } catch (error) {
    return { reason: `${metatype.name}: reading its rules threw ${(error as Error).message}` };
  }
}

/** ValidationPipe validates no value of these types (its toValidate). */
const NOT_VALIDATED: unknown[] = [String, Boolean, Number, Array, Object, Buffer, Date];

/** The only options the compiled path models: the gateway's. */
function modelledOptions(options: ValidationPipeOptions): boolean {
  const keys = Object.keys(options).filter((key) => options[key as keyof ValidationPipeOptions] !== undefined);
  const allowed = new Set(['whitelist', 'forbidNonWhitelisted', 'transform', 'exceptionFactory']);
  return keys.every((key) => allowed.has(key)) && options.whitelist === true && options.forbidNonWhitelisted === true && options.transform === true;
}

/**
 * The gateway's validation pipe: each DTO class's class-validator rules are compiled once, at
 * its first request (validation/validation-plan.ts), and a JSON body is checked by that plan
 * without class-transformer and without class-validator's per-call machinery. The decorators
 * stay the one source: the plan is read from the metadata they registered, and the checks and
 * messages are their own functions. Same decisions, same errors, same instances as
 * SyncValidationPipe (test/validation-equivalence.spec.ts compares the two on every DTO).
 *
 * The old path (SyncValidationPipe) still runs for whatever the plan does not model, and nothing is
 * ever accepted on a guess: a class it cannot compile (a @Transform, as the paging
 * queries' DecimalInteger, so class-transformer keeps converting those), a value that is not a
 * plain object (an array, a string), and the rare shapes run-plan.ts lists.
 */
export class CompiledValidationPipe implements PipeTransform {
  /** The old path, for whatever the plans do not model. */
  readonly reference: SyncValidationPipe;
  private readonly plans = new Map<Function, ClassPlan | string>();
  private readonly compiles: boolean;

  constructor(private readonly options: ValidationPipeOptions) {
    this.reference = new SyncValidationPipe(options);
    this.compiles = modelledOptions(options) && options.exceptionFactory !== undefined;
  }

  /** The class's plan, or why it has none (and goes the old way). */
  planFor(metatype: Function): ClassPlan | string {
    let plan = this.plans.get(metatype);
    if (plan === undefined) {
      const compiled = this.compiles ? compileOrExplain(metatype) : { reason: 'the pipe has options the plans do not model' };
      plan = 'plan' in compiled ? compiled.plan : compiled.reason;
      this.plans.set(metatype, plan);
    }
    return plan;
  }

  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    // A custom parameter decorator's value (@Command(), @CurrentApp()) is neither validated nor
    // converted by ValidationPipe with these options: handed back as it is, without its async call.
    if (metadata.type === 'custom' && this.compiles) return value;
    const metatype = metadata.metatype;
    if (!metatype || metadata.type === 'custom' || NOT_VALIDATED.includes(metatype)) return this.reference.transform(value, metadata);
    const plan = this.planFor(metatype);
    // Nest validates an absent body as {} (toEmptyIfNil); the instance is returned either way.
    const body = value === undefined || value === null ? {} : value;
    if (typeof plan === 'string' || !isPlainRecord(body)) return this.reference.transform(value, metadata);
    const outcome = runPlan(plan, body);
    if (outcome === UNMODELLED) return this.reference.transform(value, metadata);
    if (outcome.errors.length > 0) return this.refuse(outcome.errors);
    return outcome.instance;
  }

  /** As ValidationPipe refuses: the values of errors with children left out, then the exception factory's error. */
  private refuse(errors: ValidationError[]): Promise<never> {
    const pending = [errors];
    for (let list = pending.pop(); list; list = pending.pop()) {
      for (const error of list) {
        if (error.children && error.children.length > 0) {
          delete error.value;
          pending.push(error.children);
        }
      }
    }
    const exception = (this.options.exceptionFactory as (errors: ValidationError[]) => unknown)(errors);
    // An asynchronous exception factory (Nest allows one) is awaited as ValidationPipe does.
    if (exception instanceof Promise) return exception.then((error: unknown) => Promise.reject(error));
    throw exception;
  }
}
