/** A JSON value as it travels on the wire or gets signed: no undefined, no functions, no NaN. */
export type JsonValue = string | number | boolean | null | readonly JsonValue[] | { readonly [key: string]: JsonValue };
