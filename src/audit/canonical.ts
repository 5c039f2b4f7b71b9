import type { JsonValue } from '../json.js';

/**
 * RFC 8785 (JCS) canonical JSON: object members sorted by UTF-16 code units (JS default sort),
 * no whitespace, numbers and strings as ECMAScript's JSON.stringify writes them. Signatures and
 * digests are always over these bytes (UTF-8), never over whatever JSON.stringify happens to emit.
 */
export function canonicalJson(value: JsonValue): string {
  switch (typeof value) {
    case 'string':
      assertWellFormed(value);
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`canonical JSON cannot encode ${value}`);
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (value === null) return 'null';
      if (Array.isArray(value)) return `[${(value as readonly JsonValue[]).map(canonicalJson).join(',')}]`;
      const obj = value as { readonly [key: string]: JsonValue };
      const keys = Object.keys(obj).sort();
      const parts: string[] = [];
      for (const key of keys) {
        const member = obj[key];
        if (member === undefined) continue;
        assertWellFormed(key);
        parts.push(`${JSON.stringify(key)}:${canonicalJson(member)}`);
      }
      return `{${parts.join(',')}}`;
    }
    default:
      throw new TypeError(`canonical JSON cannot encode a ${typeof value}`);
  }
}

export function canonicalBytes(value: JsonValue): Buffer {
  return Buffer.from(canonicalJson(value), 'utf8');
}

function assertWellFormed(text: string): void {
  // A lone surrogate has no UTF-8 encoding; two parties would hash different bytes.
  if (/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(text)) {
    throw new TypeError('canonical JSON cannot encode a string with a lone surrogate');
  }
}
