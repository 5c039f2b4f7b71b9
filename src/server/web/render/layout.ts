import type { Principal } from '../../../approval/protocol.js';
import { html, type Html, type Part } from '../html.js';

/** What every page needs besides its own data. */
export interface PageContext {
  /** Path prefix of the page when served under a sub-path of its public URL ('' at the root). */
  readonly base: string;
  /** The signed-in principal; absent on sign-in pages. */
  readonly viewer?: Principal;
  /** The session's CSRF token, put in every form. */
  readonly csrf?: string;
  readonly nowMs: number;
}

/** The hidden field every POST form carries. */
export const csrfField = (token: string | undefined): Html => html`<input type="hidden" name="csrf" value="${token ?? ''}">`;

/**
 * The whole document around a page's content: one stylesheet and one deferred script from
 * /static (CSP forbids inline code), a skip link, the signed-in name with a sign-out button, and
 * the polite live region that script uses to announce updates.
 */
export function layout(ctx: PageContext, title: string, content: Part): string {
  const { base, viewer } = ctx;
  const account =
    viewer === undefined
      ? ''
      : html`<div class="account">
        <span>Signed in as <strong>${viewer.name}</strong></span>
        <form method="post" action="${base}/signout">${csrfField(ctx.csrf)}<button type="submit" class="link">Sign out</button></form>
      </div>`;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title} · gate</title>
<link rel="stylesheet" href="${base}/static/gate.css">
<script src="${base}/static/gate.js" defer></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
  <a class="brand" href="${base}/requests">gate</a>
  ${account}
</header>
<main id="main" tabindex="-1">
${content}
</main>
<div id="announce" class="visually-hidden" role="status" aria-live="polite"></div>
</body>
</html>
`.value;
}

/** A page that only says what went wrong (and where to go next). */
export function messagePage(ctx: PageContext, title: string, message: string, next?: { href: string; label: string }): string {
  return layout(
    ctx,
    title,
    html`<h1>${title}</h1>
<p class="notice error" role="alert">${message}</p>
${next === undefined ? '' : html`<p><a href="${next.href}">${next.label}</a></p>`}`,
  );
}
