import { badRequest } from './errors.js';

/**
 * Tiny validators for untrusted JSON: each one checks a value at a path, records every problem
 * (not just the first) and returns a freshly built value, never the input object itself, so an
 * unknown field or a `__proto__` key cannot ride along into the store.
 */

const BAD: unique symbol = Symbol('invalid');
type Result<T> = T | typeof BAD;
export type Check<T> = (value: unknown, path: string, issues: string[]) => Result<T>;

const describe = (value: unknown): string => (value === null ? 'null' : Array.isArray(value) ? 'a list' : `a ${typeof value}`);
const fail = (issues: string[], path: string, message: string): typeof BAD => {
  issues.push(`${path || '(body)'}: ${message}`);
  return BAD;
};

export function str(opts: { min?: number; max?: number; pattern?: RegExp; what?: string } = {}): Check<string> {
  const { min = 0, max = 10_000, pattern, what } = opts;
  return (value, path, issues) => {
    if (typeof value !== 'string') return fail(issues, path, `expected a string, got ${describe(value)}`);
    if (value.length < min) return fail(issues, path, min === 1 ? 'must not be empty' : `must have at least ${min} characters`);
    if (value.length > max) return fail(issues, path, `must have at most ${max} characters`);
    if (pattern !== undefined && !pattern.test(value)) return fail(issues, path, `expected ${what ?? `a string matching ${pattern}`}`);
    return value;
  };
}

export function int(min: number, max: number): Check<number> {
  return (value, path, issues) => {
    if (typeof value !== 'number' || !Number.isInteger(value)) return fail(issues, path, `expected an integer, got ${describe(value)}`);
    if (value < min || value > max) return fail(issues, path, `must be between ${min} and ${max}`);
    return value;
  };
}

export function num(min: number, max: number): Check<number> {
  return (value, path, issues) => {
    if (typeof value !== 'number' || !Number.isFinite(value)) return fail(issues, path, `expected a number, got ${describe(value)}`);
    if (value < min || value > max) return fail(issues, path, `must be between ${min} and ${max}`);
    return value;
  };
}

export const bool: Check<boolean> = (value, path, issues) =>
  typeof value === 'boolean' ? value : fail(issues, path, `expected true or false, got ${describe(value)}`);

export function oneOf<T extends string>(values: readonly T[]): Check<T> {
  return (value, path, issues) =>
    typeof value === 'string' && (values as readonly string[]).includes(value)
      ? (value as T)
      : fail(issues, path, `expected one of ${values.join(', ')}`);
}

export function list<T>(item: Check<T>, opts: { min?: number; max?: number } = {}): Check<T[]> {
  const { min = 0, max = 1000 } = opts;
  return (value, path, issues) => {
    if (!Array.isArray(value)) return fail(issues, path, `expected a list, got ${describe(value)}`);
    if (value.length < min) return fail(issues, path, min === 1 ? 'must not be empty' : `must have at least ${min} entries`);
    if (value.length > max) return fail(issues, path, `must have at most ${max} entries`);
    const out: T[] = [];
    let ok = true;
    value.forEach((entry, i) => {
      const checked = item(entry, `${path}[${i}]`, issues);
      if (checked === BAD) ok = false;
      else out.push(checked);
    });
    return ok ? out : BAD;
  };
}

/** A string-keyed map; the result has no prototype, so keys like `__proto__` stay plain data. */
export function dict<T>(item: Check<T>, opts: { key: RegExp; max?: number }): Check<Record<string, T>> {
  const { key, max = 500 } = opts;
  return (value, path, issues) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail(issues, path, `expected an object, got ${describe(value)}`);
    const entries = Object.entries(value);
    if (entries.length > max) return fail(issues, path, `must have at most ${max} entries`);
    const out = Object.create(null) as Record<string, T>;
    let ok = true;
    for (const [name, entry] of entries) {
      if (!key.test(name)) {
        fail(issues, `${path}.${name}`, 'not a valid key');
        ok = false;
        continue;
      }
      const checked = item(entry, `${path}.${name}`, issues);
      if (checked === BAD) ok = false;
      else out[name] = checked;
    }
    return ok ? out : BAD;
  };
}

type Shape<T> = { readonly [K in keyof T]: Check<T[K]> };

/** An object with exactly these fields: required ones must be present, unknown ones are refused. */
export function object<R extends object, O extends object = Record<never, never>>(
  required: Shape<R>,
  optional: Shape<O> = {} as Shape<O>,
): Check<R & Partial<O>> {
  return (value, path, issues) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail(issues, path, `expected an object, got ${describe(value)}`);
    const input = value as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    let ok = true;
    const at = (name: string): string => (path ? `${path}.${name}` : name);
    for (const name of Object.keys(input)) {
      if (!Object.hasOwn(required, name) && !Object.hasOwn(optional, name)) {
        fail(issues, at(name), 'unknown field');
        ok = false;
      }
    }
    const take = (name: string, check: Check<unknown>, isRequired: boolean): void => {
      if (!Object.hasOwn(input, name) || input[name] === undefined) {
        if (isRequired) {
          fail(issues, at(name), 'missing field');
          ok = false;
        }
        return;
      }
      const checked = check(input[name], at(name), issues);
      if (checked === BAD) ok = false;
      else out[name] = checked;
    };
    for (const [name, check] of Object.entries(required)) take(name, check as Check<unknown>, true);
    for (const [name, check] of Object.entries(optional)) take(name, check as Check<unknown>, false);
    return ok ? (out as R & Partial<O>) : BAD;
  };
}

/** Runs a check on a parsed JSON body; every problem is named in one 400 bad_request. */
export function parseBody<T>(check: Check<T>, value: unknown): T {
  const issues: string[] = [];
  const result = check(value, '', issues);
  if (result === BAD) throw badRequest(`invalid request body: ${issues.slice(0, 20).join('; ')}`);
  return result;
}
