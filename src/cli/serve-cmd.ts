import '../bundle-layout.js'; // see src/bundle-layout.ts
import { resolve } from 'node:path';
import { cacheDir, gateHome } from '../config/paths.js';
import { policySources, readUserConfig } from '../config/resolve.js';
import { gateVersion } from '../config/version.js';
import { loadPolicy } from '../policy/index.js';
import { defaultDbPath, parseListen, parsePublicUrl, parseReceiptTtl, serverKeyPath, startServer } from '../server/index.js';
import type { ServeOptions } from './program.js';

const line = (text: string): void => {
  process.stderr.write(`gate serve: ${text}\n`);
};

/**
 * `gate serve`: runs the approval service until SIGTERM or SIGINT. The server judges every request
 * with its OWN policy (resolved like the client's: --policy, GATE_POLICY, config, shipped default);
 * an invalid policy stops it here, before it listens (exit 125).
 */
export async function serveCommand(opts: ServeOptions): Promise<number> {
  const home = gateHome();
  const { host, port } = parseListen(opts.listen);
  const receiptTtlSeconds = parseReceiptTtl(opts.receiptTtl);
  const publicUrl = opts.publicUrl === undefined ? undefined : parsePublicUrl(opts.publicUrl);
  const { sources } = policySources(opts.policy, process.env, readUserConfig(home));
  const policy = await loadPolicy(sources, { cacheDir: cacheDir(home), version: gateVersion() });
  const dbPath = resolve(opts.db ?? defaultDbPath(home));

  const server = await startServer({
    host,
    port,
    dbPath,
    keyPath: serverKeyPath(home),
    policy,
    receiptTtlSeconds,
    version: gateVersion(),
    log: line,
    ...(publicUrl !== undefined ? { publicUrl } : {}),
  });
  // Tests and scripts read the port from this exact first line.
  line(`listening on ${server.url}`);
  line(`key id ${server.keyId}, database ${dbPath}, policy ${policy.set.digest.slice(0, 12)} (${policy.set.files.length} files)`);

  const signal = await new Promise<NodeJS.Signals>((done) => {
    process.once('SIGTERM', () => done('SIGTERM'));
    process.once('SIGINT', () => done('SIGINT'));
  });
  line(`${signal}: shutting down`);
  await server.close();
  return 0;
}
