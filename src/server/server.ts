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
}

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  readonly keyId: string;
  readonly service: ApprovalService;
  readonly streams: StreamRegistry;
  /** Graceful: stop accepting, end event streams, let requests finish, close the database. */
  close(): Promise<void>;
}

/** Opens the store and key, builds the app and binds it: the whole server, minus signals. */
export async function startServer(config: ServerConfig): Promise<RunningServer> {
  mkdirSync(dirname(config.dbPath), { recursive: true, mode: 0o700 });
  const key = loadOrCreateServerKey(config.keyPath);
  const store = new SqliteStore(config.dbPath);
  let service: ApprovalService | undefined;
  try {
    const log = config.log ?? (() => undefined);
    const streams = new StreamRegistry();
    // The public URL may depend on the port we get, so the app is built once we listen; until
    // then (a few microtasks) the answer is 503, never a crash.
    let app: ReturnType<typeof createApp> | undefined;
    const listening = await listen((request) => (app === undefined ? new Response(null, { status: 503 }) : app.fetch(request)), config.host, config.port);
    service = new ApprovalService({
      store,
      policy: config.policy,
      key,
      publicUrl: config.publicUrl ?? listening.url,
      receiptTtlSeconds: config.receiptTtlSeconds,
      log,
      ...(config.clock !== undefined ? { clock: config.clock } : {}),
    });
    app = createApp(service, streams, { version: config.version, logError: log });
    service.start();
    const running = service;
    return {
      url: listening.url,
      port: listening.port,
      keyId: key.keyId,
      service: running,
      streams,
      close: async () => {
        running.stop();
        const closed = listening.close();
        streams.closeAll();
        await closed;
        store.close();
      },
    };
  } catch (error) {
    service?.stop();
    store.close();
    throw error;
  }
}
