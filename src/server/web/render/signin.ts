import { formatDuration } from '../format.js';
import { html } from '../html.js';
import type { ReauthDue } from '../reauth.js';
import { layout, type PageContext } from './layout.js';

export interface SigninView {
  /** The sign-in form's double-submit secret (also in its cookie). */
  readonly formSecret: string;
  /** Local path to return to after signing in. */
  readonly next: string;
  readonly error?: string;
  /** Set when a high-risk request needs a fresh sign-in before it can be approved. */
  readonly reauth?: ReauthDue;
}

/** Sign in with an API token. The token field is a password field: never echoed, never prefilled. */
export function signinPage(ctx: PageContext, view: SigninView): string {
  const { base } = ctx;
  const title = view.reauth === undefined ? 'Sign in' : 'Sign in again to approve';
  const why =
    view.reauth === undefined
      ? html`<p>Paste your gate API token (from <code>gate token create --kind human</code> on the server), or open a one-time link from
  <code>gate token link</code>. Agent and CI tokens cannot sign in: only people approve.</p>`
      : html`<p class="notice warn">A rule of this request asks approvers to have signed in within the last
  <strong>${formatDuration(view.reauth.windowSeconds)}</strong>; you signed in ${formatDuration(view.reauth.ageSeconds)} ago.
  Enter your API token again, then approve.</p>`;
  return layout(
    ctx,
    title,
    html`<h1>${title}</h1>
${why}
${view.error === undefined ? '' : html`<p class="notice error" role="alert" id="signin-error">${view.error}</p>`}
<form method="post" action="${base}/signin" class="stack">
  <input type="hidden" name="csrf" value="${view.formSecret}">
  <input type="hidden" name="next" value="${view.next}">
  <label for="token">API token</label>
  <input id="token" name="token" type="password" required autocomplete="off" autocapitalize="off" spellcheck="false"
    ${view.error === undefined ? '' : html`aria-describedby="signin-error" aria-invalid="true"`}>
  <button type="submit" class="primary">Sign in</button>
</form>`,
  );
}

/**
 * The landing page of a one-time link. Opening it changes nothing (chat apps prefetch links);
 * only the button's POST uses the link up.
 */
export function linkPage(ctx: PageContext, view: { readonly formSecret: string; readonly token: string; readonly error?: string }): string {
  return layout(
    ctx,
    'Sign in with a one-time link',
    html`<h1>Sign in with a one-time link</h1>
${
      view.error === undefined
        ? html`<p>This link signs you in to gate once. It stops working when you use it or when it expires.</p>
<form method="post" action="${ctx.base}/signin/link/${view.token}" class="stack">
  <input type="hidden" name="csrf" value="${view.formSecret}">
  <button type="submit" class="primary">Sign in</button>
</form>`
        : html`<p class="notice error" role="alert">${view.error}</p>`
    }
<p><a href="${ctx.base}/signin">Sign in with a token instead</a></p>`,
  );
}
