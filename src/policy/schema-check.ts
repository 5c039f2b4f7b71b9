import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import schema from '../../policies/policy.schema.json' with { type: 'json' };
import type { PolicyIssue } from '../errors.js';
import type { ParsedFile } from './load-files.js';
import { formatField, locate, type FieldPath } from './source-map.js';

let validator: ValidateFunction | undefined;

function getValidator(): ValidateFunction {
  validator ??= new Ajv({ allErrors: true, verbose: true, strict: false }).compile(schema);
  return validator;
}

/** Checks one file against the committed JSON Schema; every problem, located, in one pass. */
export function checkSchema(file: ParsedFile): PolicyIssue[] {
  return schemaIssues(getValidator(), file);
}

/** Any YAML file against any compiled schema (also the server's config): located, summarized issues. */
export function schemaIssues(validate: ValidateFunction, file: Pick<ParsedFile, 'display' | 'doc' | 'lines' | 'data'>): PolicyIssue[] {
  if (validate(file.data)) return [];
  return summarize(validate.errors ?? []).map(({ path, key, message }) => ({
    file: file.display,
    ...locate(file.doc, file.lines, path, key),
    field: formatField(key === undefined ? path : [...path, key]),
    message,
  }));
}

interface Summary {
  readonly path: FieldPath;
  readonly key?: string;
  readonly message: string;
}

function toPath(pointer: string): FieldPath {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

/**
 * Ajv reports one error per failed branch of a `oneOf`; users want one message per field. Unknown
 * keys win (they are the usual typo), then missing keys, then the deepest concrete error; a bare
 * type mismatch lists what would have been accepted.
 */
function summarize(errors: readonly ErrorObject[]): Summary[] {
  const byPath = new Map<string, ErrorObject[]>();
  for (const error of errors) {
    const list = byPath.get(error.instancePath) ?? [];
    list.push(error);
    byPath.set(error.instancePath, list);
  }
  const paths = [...byPath.keys()];
  const out: Summary[] = [];
  for (const [pointer, list] of byPath) {
    const path = toPath(pointer);
    const unknown = list.filter((e) => e.keyword === 'additionalProperties');
    if (unknown.length > 0) {
      // Several oneOf branches may each reject the key: offer the union of what they allow.
      const allowedByKey = new Map<string, Set<string>>();
      for (const e of unknown) {
        const key = String((e.params as { additionalProperty: string }).additionalProperty);
        const allowed = allowedByKey.get(key) ?? new Set<string>();
        for (const k of Object.keys((e.parentSchema as { properties?: object } | undefined)?.properties ?? {})) allowed.add(k);
        allowedByKey.set(key, allowed);
      }
      for (const [key, allowedSet] of allowedByKey) {
        const allowed = [...allowedSet];
        const guess = closest(key, allowed);
        out.push({
          path,
          key,
          message: `unknown key "${key}"${guess ? ` (did you mean "${guess}"?)` : ''}; allowed here: ${allowed.join(', ')}`,
        });
      }
      continue;
    }
    const deeper = paths.some((p) => p !== pointer && p.startsWith(`${pointer}/`));
    const concrete = list.filter((e) => !['oneOf', 'anyOf', 'type', 'required', 'const', 'enum'].includes(e.keyword) || list.length === 1);
    if (deeper && list.every((e) => ['oneOf', 'anyOf', 'type', 'required'].includes(e.keyword))) continue;
    const required = list.filter((e) => e.keyword === 'required');
    if (required.length > 0 && list.every((e) => e.keyword !== 'type' || list.some((x) => x.keyword === 'required'))) {
      const missing = [...new Set(required.map((e) => (e.params as { missingProperty: string }).missingProperty))];
      if (!list.some((e) => e.keyword === 'oneOf') || missing.length === 1) {
        out.push({ path, message: `missing required key${missing.length > 1 ? 's' : ''} ${missing.map((m) => `"${m}"`).join(', ')}` });
        continue;
      }
    }
    const value = list[0]?.data;
    const enums = list.filter((e) => e.keyword === 'enum' || e.keyword === 'const');
    if (enums.length > 0) {
      const allowed = enums.flatMap((e) =>
        e.keyword === 'enum' ? (e.params as { allowedValues: unknown[] }).allowedValues : [(e.params as { allowedValue: unknown }).allowedValue],
      );
      out.push({ path, message: `must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}; got ${show(value)}` });
      continue;
    }
    const types = [...new Set(list.filter((e) => e.keyword === 'type').map((e) => String((e.params as { type: string }).type)))];
    const rest = concrete.filter((e) => e.keyword !== 'type' && e.keyword !== 'oneOf' && e.keyword !== 'anyOf');
    if (rest.length > 0) {
      for (const e of rest) out.push({ path, message: `${e.message ?? 'is invalid'}; got ${show(value)}` });
      continue;
    }
    out.push({ path, message: types.length > 0 ? `must be ${types.join(' or ')}; got ${show(value)}` : `is not valid here; got ${show(value)}` });
  }
  return out;
}

function show(value: unknown): string {
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const candidate of candidates) {
    const d = distance(word, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}
