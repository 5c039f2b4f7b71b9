import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { CompiledPolicy } from '../policy/index.js';
import { createApp } from './app.js';
import type { Clock } from './clock.js';
import { loadOrCreateServerKey } from './keys.js';
import { listen } from './listen.js';
import { ApprovalService } from './service.js';
import { StreamRegistry } from './sse.js';
import { SqliteStore } from './store/sqlite.js';
import { checkNotifyNames, createNotifications, type Notifications, type NotifySettings, type NotifyTuning } from './notify/index.js';
import { WebStore } from './web/store.js';

export interface ServerConfig {
  readonly host: string;
  readonly port: number;
  readonly dbPath: string;
  readonly keyPath: string;
  readonly policy: CompiledPolicy;
  /** Defaults to the listening address. */
  readonly publicUrl?: string;
  readonly receiptTtlSeconds: number;
  readonly version: string;
  readonly clock?: Clock;
  readonly log?: (line: string) => void;
  /** Notification channels (Slack, ...) from the server config file; absent: none. */
  readonly notify?: NotifySettings;
  /** Test knobs for the notification channels (timeouts, backoff). */
  readonly notifyTuning?: NotifyTuning;
}

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  readonly keyId: string;
  readonly service: ApprovalService;
  readonly streams: StreamRegistry;
  readonly notifications: Notifications;
  /** Graceful: stop accepting, end event streams, let requests finish, close the database. */
  close(): Promise<void>;
}

/** Opens the store and key, builds the app and binds it: the whole server, minus signals. */
export async function startServer(config: ServerConfig): Promise<RunningServer> {
  // Before anything is opened: a policy naming an unknown Teams workflow or webhook stops the start.
  const notifyWarnings = checkNotifyNames(config.policy.set, config.notify ?? {});
  mkdirSync(dirname(config.dbPath), { recursive: true, mode: 0o700 });
  const key = loadOrCreateServerKey(config.keyPath);
  // The store signs the service's own audit log with the same key as receipts and checkpoints.
  const store = new SqliteStore(config.dbPath, { auditKey: key });
  // After the store: its migrations create the web tables this second connection uses.
  const webStore = new WebStore(config.dbPath);
  let service: ApprovalService | undefined;
  let created: Notifications | undefined;
  try {
    const log = config.log ?? (() => undefined);
    for (const warning of notifyWarnings) log(`notify: ${warning}`);
    const streams = new StreamRegistry();
    // The public URL may depend on the port we get, so the app is built once we listen; until
    // then (a few microtasks) the answer is 503, never a crash.
    let app: ReturnType<typeof createApp> | undefined;
    const listening = await listen((request) => (app === undefined ? new Response(null, { status: 503 }) : app.fetch(request)), config.host, config.port);
    const publicUrl = config.publicUrl ?? listening.url;
    service = new ApprovalService({
      store,
      policy: config.policy,
      key,
      publicUrl,
      receiptTtlSeconds: config.receiptTtlSeconds,
      log,
      ...(config.clock !== undefined ? { clock: config.clock } : {}),
    });
    created = createNotifications(config.notify ?? {}, { store, service, log, ...(config.notifyTuning !== undefined ? { tuning: config.notifyTuning } : {}) });
    app = createApp(service, streams, {
      extraRoutes: created.routes,
      version: config.version,
      logError: log,
      web: { store: webStore, publicUrl, log, ...(config.clock !== undefined ? { clock: config.clock } : {}) },
    });
    service.start();
    const running = service;
    const notifications = created;
    return {
      url: listening.url,
      port: listening.port,
      keyId: key.keyId,
      service: running,
      streams,
      notifications,
      close: async () => {
        running.stop();
        const closed = listening.close();
        streams.closeAll();
        await closed;
        // No new clicks can arrive now; let the ones in flight and the current delivery finish.
        await notifications.close();
        webStore.close();
        store.close();
      },
    };
  } catch (error) {
    service?.stop();
    await created?.close();
    webStore.close();
    store.close();
    throw error;
  }
}
