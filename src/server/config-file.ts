import { Ajv, type ValidateFunction } from 'ajv';
import { readFileSync, statSync } from 'node:fs';
import { LineCounter, parseDocument } from 'yaml';
import { formatIssue, GateError, type PolicyIssue } from '../errors.js';
import { schemaIssues } from '../policy/schema-check.js';
import { locate } from '../policy/source-map.js';
import { SERVER_CONFIG_SCHEMA } from './config-schema.js';
import type { SlackSection } from './notify/slack/settings.js';
import type { TeamsSection } from './notify/teams/settings.js';
import type { WebhookSection } from './notify/webhook/settings.js';

/** The server config file as validated (snake_case, as written). */
export interface ServerFileConfig {
  readonly notify?: {
    readonly slack?: SlackSection;
    readonly teams?: TeamsSection;
    readonly webhooks?: Readonly<Record<string, WebhookSection>>;
  };
}

/** Fields that hold secrets (`*`: any name): a file with any of them must be readable by its owner only. */
const SECRET_FIELDS: readonly (readonly string[])[] = [
  ['notify', 'slack', 'bot_token'],
  ['notify', 'slack', 'signing_secret'],
  // A Workflows URL embeds the `sig` that lets anyone post to the channel.
  ['notify', 'teams', 'workflows', '*', 'url'],
  ['notify', 'webhooks', '*', 'secret'],
];

let validator: ValidateFunction | undefined;

/**
 * Reads and validates the server config. Every problem is reported at once as
 * `file:line:column: field: message`; a file holding secrets that others can read is refused
 * (like the server key), so a leaked token cannot be blamed on a loose chmod.
 */
export function loadServerConfig(path: string): ServerFileConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new GateError('CONFIG_INVALID', `cannot read the server config ${path}: ${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}`, { cause });
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true, merge: false, strict: true });
  const issues: PolicyIssue[] = [...doc.errors, ...doc.warnings].slice(0, 10).map((e) => {
    const pos = lines.linePos(e.pos[0]);
    return { file: path, line: pos.line, column: pos.col, field: '', message: `YAML: ${e.message.split('\n')[0]}` };
  });
  if (issues.length > 0) throw invalid(path, issues);
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 50 }) ?? {};
  } catch (error) {
    throw invalid(path, [{ file: path, line: 1, column: 1, field: '', message: `YAML: ${(error as Error).message}` }]);
  }
  validator ??= new Ajv({ allErrors: true, verbose: true, strict: false }).compile(SERVER_CONFIG_SCHEMA);
  const schemaProblems = schemaIssues(validator, { display: path, doc, lines, data });
  if (schemaProblems.length > 0) throw invalid(path, schemaProblems.map((issue) => ({ ...issue, message: redact(issue, data) })));

  const secrets = secretPaths(data);
  const mode = statSync(path).mode & 0o777;
  if (secrets.length > 0 && process.platform !== 'win32' && (mode & 0o077) !== 0) {
    const at = locate(doc, lines, secrets[0]!);
    throw new GateError(
      'CONFIG_INVALID',
      `${path}:${at.line}:${at.column}: ${secrets.map((p) => p.join('.')).join(', ')}: the file holds secrets but is readable by others (mode ${mode.toString(8)})`,
      { hint: `restrict it with: chmod 600 ${path} (or move the secrets to environment variables: GATE_SLACK_BOT_TOKEN, GATE_SLACK_SIGNING_SECRET, url_env, secret_env), and consider rotating them` },
    );
  }
  return data as ServerFileConfig;
}

/** Messages quote the values they reject (possibly cut short); a secret is never quoted, valid or not. */
function redact(issue: PolicyIssue, data: unknown): string {
  const secrets = secretPaths(data);
  if (secrets.some((p) => issue.field === p.join('.') || issue.field.startsWith(`${p.join('.')}[`))) return issue.message.replace(/; got .*$/s, '');
  let out = issue.message;
  for (const path of secrets) {
    const value = valueAt(data, path);
    const text = typeof value === 'string' ? value : value === undefined ? '' : JSON.stringify(value);
    if (text !== '' && text !== undefined) out = out.split(text).join('<redacted>');
  }
  return out;
}

/** The secret fields present in `data`, wildcards expanded to the names it uses. */
function secretPaths(data: unknown): string[][] {
  const expand = (node: unknown, pattern: readonly string[], at: string[]): string[][] => {
    if (pattern.length === 0) return node === undefined ? [] : [at];
    if (typeof node !== 'object' || node === null) return [];
    const [head, ...rest] = pattern as [string, ...string[]];
    const keys = head === '*' ? Object.keys(node) : Object.hasOwn(node, head) ? [head] : [];
    return keys.flatMap((key) => expand((node as Record<string, unknown>)[key], rest, [...at, key]));
  };
  return SECRET_FIELDS.flatMap((pattern) => expand(data, pattern, []));
}

function valueAt(data: unknown, path: readonly string[]): unknown {
  let node = data;
  for (const key of path) {
    if (typeof node !== 'object' || node === null || !Object.hasOwn(node, key)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

function invalid(path: string, issues: readonly PolicyIssue[]): GateError {
  const head = issues.length === 1 ? 'invalid server config' : `invalid server config (${issues.length} problems)`;
  return new GateError('CONFIG_INVALID', [head, ...issues.map((i) => `  ${formatIssue(i)}`)].join('\n'), { hint: 'see docs/slack.md, docs/teams.md and docs/webhooks.md for the format' });
}
