import '../bundle-layout.js'; // see src/bundle-layout.ts
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { gateHome } from '../config/paths.js';
import { GateError } from '../errors.js';
import { readUserConfig } from '../config/resolve.js';
import {
  checkPrincipalInput,
  createToken,
  DEFAULT_PUBLIC_URL,
  defaultDbPath,
  parseLinkTtl,
  serverKeyPath,
  signinLinkPrefix,
  SqliteStore,
  WebStore,
  type PrincipalRecord,
} from '../server/index.js';
import { loadOrCreateServerKey } from '../server/keys.js';
import type { TokenCreateOptions, TokenLinkOptions } from './program.js';

/**
 * `gate token ...`: admin actions on the server host, directly on the database file (safe while
 * the server runs: SQLite serializes writers, and the server looks tokens up on every request,
 * so a revocation takes effect at once).
 */
function withStore<T>(db: string | undefined, use: (store: SqliteStore) => T): T {
  const file = resolve(db ?? defaultDbPath(gateHome()));
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  // Principal changes go into the service's signed log, so they are signed with the server's key.
  const store = new SqliteStore(file, { auditKey: loadOrCreateServerKey(serverKeyPath(gateHome())) });
  try {
    return use(store);
  } finally {
    store.close();
  }
}

export async function tokenCreate(opts: TokenCreateOptions): Promise<number> {
  const input = checkPrincipalInput(opts.name, opts.kind, opts.groups);
  const { token, principal } = withStore(opts.db, (store) => createToken(store, input, new Date().toISOString()));
  // The token goes to stdout alone (scripts capture it); it is never stored or shown again.
  process.stdout.write(`${token}\n`);
  const groups = principal.groups.length > 0 ? `, groups ${principal.groups.join(',')}` : '';
  process.stderr.write(`gate: created ${principal.kind} ${principal.name} (${principal.id}${groups}); store the token now, it is not shown again\n`);
  return 0;
}

export async function tokenList(opts: { db?: string; json: boolean }): Promise<number> {
  const principals = withStore(opts.db, (store) => store.listPrincipals());
  if (opts.json) {
    process.stdout.write(`${JSON.stringify({ principals })}\n`);
    return 0;
  }
  const rows = [['ID', 'NAME', 'KIND', 'GROUPS', 'CREATED', 'STATUS'], ...principals.map(row)];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  process.stdout.write(rows.map((r) => r.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n') + '\n');
  return 0;
}

const row = (p: PrincipalRecord): string[] => [
  p.id,
  p.name,
  p.kind,
  p.groups.join(',') || '-',
  p.created_at,
  p.revoked_at === undefined ? 'active' : `revoked ${p.revoked_at}`,
];

export async function tokenRevoke(nameOrId: string, opts: { db?: string }): Promise<number> {
  const revoked = withStore(opts.db, (store) => store.revokePrincipal(nameOrId, new Date().toISOString()));
  if (revoked === undefined) {
    throw new GateError('USAGE', `no active principal or token named ${nameOrId}`, { hint: 'gate token list shows them' });
  }
  process.stderr.write(`gate: revoked ${revoked.name} (${revoked.id}); its tokens stop working immediately\n`);
  return 0;
}

/**
 * `gate token link NAME`: a one-time sign-in link to the web page, for a person who has no token
 * at hand (or should not paste one into a browser). The link's secret is printed once, stored
 * hashed, works once and expires. Opening it only shows a button; pressing it signs in.
 */
export async function tokenLink(name: string, opts: TokenLinkOptions): Promise<number> {
  const ttlSeconds = parseLinkTtl(opts.ttl);
  const prefix = signinLinkPrefix(opts.publicUrl ?? (process.env.GATE_SERVER || readUserConfig(gateHome()).serverUrl) ?? DEFAULT_PUBLIC_URL);
  const link = withStore(opts.db, (store) => {
    // The store's migrations create the link table; the web store writes it on its own connection.
    const web = new WebStore(store.file);
    try {
      return web.createLink(name, ttlSeconds, Date.now());
    } finally {
      web.close();
    }
  });
  process.stdout.write(`${prefix}${link.token}\n`);
  process.stderr.write(`gate: one-time sign-in link for ${link.principal.name}, valid until ${new Date(link.expiresMs).toISOString()}; it works once\n`);
  return 0;
}
