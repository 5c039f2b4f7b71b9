import type BetterSqlite3 from 'better-sqlite3';
import { createRequire } from 'node:module';

export type Database = BetterSqlite3.Database;

/**
 * better-sqlite3 is a native addon that finds its .node file relative to its own package, so it
 * must be loaded from node_modules at run time, not bundled by esbuild. A require created here
 * (not the bare `require` esbuild rewrites) keeps it external without a build-script change.
 */
export function openDatabase(file: string): Database {
  const load = createRequire(import.meta.url);
  const Driver = load('better-sqlite3') as typeof BetterSqlite3;
  return new Driver(file, { timeout: 10_000 });
}
