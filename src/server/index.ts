/** The approval service: `gate serve` and `gate token` use only what is exported here. */
export { defaultDbPath, parseListen, parsePublicUrl, parseReceiptTtl, serverConfigPath, serverDir, serverKeyPath } from './config.js';
export { loadServerConfig, type ServerFileConfig } from './config-file.js';
export { resolveNotifySettings } from './notify/index.js';
export { startServer, type RunningServer, type ServerConfig } from './server.js';
export { SqliteStore } from './store/sqlite.js';
export type { Store } from './store/store.js';
export { checkPrincipalInput, createToken } from './tokens.js';
export type { PrincipalRecord } from './types.js';
export { DEFAULT_PUBLIC_URL, parseLinkTtl, signinLinkPrefix, WebStore } from './web/index.js';
