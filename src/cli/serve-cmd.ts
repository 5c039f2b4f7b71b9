import '../bundle-layout.js'; // see src/bundle-layout.ts
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { cacheDir, gateHome } from '../config/paths.js';
import { policySources, readUserConfig } from '../config/resolve.js';
import { gateVersion } from '../config/version.js';
import { loadPolicy } from '../policy/index.js';
import { defaultDbPath, loadServerConfig, parseListen, parsePublicUrl, parseReceiptTtl, resolveNotifySettings, serverConfigPath, serverKeyPath, startServer } from '../server/index.js';
import type { NotifySettings } from '../server/notify/index.js';
import { GateError } from '../errors.js';
import { EXIT } from './exit-codes.js';
import { sanitize } from '../display.js';
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
  const configFile = opts.config !== undefined ? resolve(opts.config) : existsSync(serverConfigPath(home)) ? serverConfigPath(home) : undefined;
  let notify: NotifySettings = {};
  try {
    if (configFile !== undefined) notify = resolveNotifySettings(loadServerConfig(configFile), process.env, configFile);
  } catch (error) {
    // Config problems come one per line (file:line:column: field: message), each worth reading.
    if (!(error instanceof GateError)) throw error;
    for (const text of error.message.split('\n')) line(sanitize(text.trim()));
    if (error.hint !== undefined) line(`hint: ${error.hint}`);
    return EXIT.GATE_FAILED;
  }

  const server = await startServer({
    host,
    port,
    dbPath,
    keyPath: serverKeyPath(home),
    policy,
    receiptTtlSeconds,
    version: gateVersion(),
    log: line,
    notify,
    ...(publicUrl !== undefined ? { publicUrl } : {}),
  });
  // Tests and scripts read the port from this exact first line.
  line(`listening on ${server.url}`);
  line(`key id ${server.keyId}, database ${dbPath}, policy ${policy.set.digest.slice(0, 12)} (${policy.set.files.length} files)`);
  const channels = [
    ...(notify.slack !== undefined ? [`slack (${notify.slack.defaultChannels.length} default channels; interactions at ${publicUrl ?? server.url}/slack/interactions)`] : []),
    ...(notify.teams !== undefined ? [`teams (${[...notify.teams.workflows.keys()].join(', ')})`] : []),
    ...(notify.webhooks !== undefined ? [`webhooks (${[...notify.webhooks.endpoints.keys()].join(', ')})`] : []),
  ];
  line(`notifications: ${channels.length > 0 ? channels.join('; ') : 'none'}${configFile !== undefined ? ` from ${configFile}` : ''}`);
  if (notify.slack === undefined && policy.set.rules.some((r) => (r.approval?.notify?.slack?.length ?? 0) > 0)) {
    line('warning: the policy names Slack channels (approval.notify.slack) but Slack is not configured (see docs/slack.md)');
  }

  const signal = await new Promise<NodeJS.Signals>((done) => {
    process.once('SIGTERM', () => done('SIGTERM'));
    process.once('SIGINT', () => done('SIGINT'));
  });
  line(`${signal}: shutting down`);
  await server.close();
  return 0;
}
