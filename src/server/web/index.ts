/** The approvers' web page: `gate serve` mounts it (app.ts), `gate token link` makes sign-in links. */
export { DEFAULT_PUBLIC_URL, parseLinkTtl, signinLinkPrefix } from './link.js';
export { createWebApp, type WebOptions } from './routes.js';
export { WebStore } from './store.js';
