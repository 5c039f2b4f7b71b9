import { createHash, sign, type KeyObject } from 'node:crypto';
import type { JsonValue } from '../../json.js';
import { canonicalBytes } from '../canonical.js';
import type { Query } from './filter.js';

/** Version of the export directory layout and of MANIFEST.json. */
export const EXPORT_VERSION = 1;

export interface ManifestKey {
  /** First 16 hex of sha256(SPKI DER): the log id of a log signed with it. */
  readonly key_id: string;
  /** base64 SPKI DER. */
  readonly public_key: string;
  /** The PEM file in the export directory that holds it. */
  readonly file: string;
}

/**
 * MANIFEST.json: what was exported, from which log, by whom, and the SHA-256 of every other file.
 * Written as RFC 8785 canonical JSON (no trailing newline) and signed over exactly those bytes.
 */
export interface Manifest {
  readonly format: 'gate-audit-export';
  readonly version: typeof EXPORT_VERSION;
  readonly generated_at: string;
  readonly generator: { readonly name: 'gate'; readonly version: string; readonly host: string };
  /** `host`: a host's command log; `service`: the approval service's own log. */
  readonly source: { readonly kind: 'host' | 'service'; readonly location: string };
  readonly log: { readonly id: string; readonly key: ManifestKey };
  /** The key MANIFEST.json.sig verifies with: the exporting host's audit key. */
  readonly signer: ManifestKey & { readonly host: string };
  readonly events_format: 'jsonl' | 'csv';
  readonly query: Readonly<Record<string, string | number>>;
  readonly counts: {
    readonly records: number;
    readonly commands: number;
    readonly outcomes: Readonly<Record<string, number>>;
    /** Lines in audit.log: the contiguous range first..last, including records the filters skipped. */
    readonly audit_log_lines: number;
  };
  /** The exported range (absent when nothing matched). `first.prev` links it to the line before. */
  readonly range?: {
    readonly first: { readonly seq: number; readonly hash: string; readonly prev: string; readonly at: string };
    readonly last: { readonly seq: number; readonly hash: string; readonly at: string };
  };
  /** The time window asked for (absent bounds are open). */
  readonly window: { readonly since?: string; readonly until?: string };
  readonly verification: { readonly ok: boolean; readonly lines: number; readonly verified: number; readonly problems: number; readonly warnings: number };
  /** Hex SHA-256 of every other file in the directory, by name. */
  readonly files: Readonly<Record<string, string>>;
}

/** The query as the manifest records it: flag names, resolved values, only those given. */
export function queryRecord(query: Query): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  for (const [key, value] of Object.entries(query)) if (value !== undefined) out[key] = value as string | number;
  return out;
}

export const sha256Hex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

export function manifestBytes(manifest: Manifest): Buffer {
  return canonicalBytes(manifest as unknown as JsonValue);
}

/** base64 Ed25519 signature over the manifest bytes (openssl pkeyutl -verify -rawin checks it). */
export function signManifest(bytes: Uint8Array, privateKey: KeyObject): string {
  return sign(null, bytes, privateKey).toString('base64');
}
