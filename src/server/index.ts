/** The approval service: `gate serve` and `gate token` use only what is exported here. */
export { defaultDbPath, parseListen, parsePublicUrl, parseReceiptTtl, serverDir, serverKeyPath } from './config.js';
export { startServer, type RunningServer, type ServerConfig } from './server.js';
export { SqliteStore } from './store/sqlite.js';
export type { Store } from './store/store.js';
export { checkPrincipalInput, createToken } from './tokens.js';
export type { PrincipalRecord } from './types.js';
