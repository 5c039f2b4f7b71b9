import { describe, expect, it } from 'vitest';
import type { ApprovalRequest } from '../../src/approval/protocol.js';
import { CONTRAST_PAIRS, PALETTE } from '../../src/server/web/assets/style.js';
import { csrfToken, fromOwnOrigin, tokensMatch } from '../../src/server/web/csrf.js';
import { ago, timeLeft } from '../../src/server/web/format.js';
import { escapeHtml, html, trusted } from '../../src/server/web/html.js';
import { reauthDue } from '../../src/server/web/reauth.js';
import { listPage } from '../../src/server/web/render/list.js';
import type { PageContext } from '../../src/server/web/render/layout.js';
import { requestPage } from '../../src/server/web/render/request.js';
import { linkPage, signinPage } from '../../src/server/web/render/signin.js';
import { stateSection } from '../../src/server/web/render/state.js';
import { cookieHeader, sessionAlive, sessionCookie, useSecureCookies } from '../../src/server/web/sessions.js';

// Pure parts of the web page: no server, no database.

const NOW = Date.parse('2030-01-01T00:00:00.000Z');
const ctx: PageContext = { base: '', nowMs: NOW, viewer: { name: 'bob', kind: 'human', groups: ['sre'] }, csrf: 'CSRF-TOKEN' };

function request(overrides: Partial<ApprovalRequest> = {}): ApprovalRequest {
  return {
    id: 'req_aaaaaaaaaaaaaaaaaaaa',
    status: 'pending',
    created_at: '2030-01-01T00:00:00.000Z',
    expires_at: '2030-01-01T00:10:00.000Z',
    requester: { name: 'bot', kind: 'agent', groups: [] },
    command: { argv: ['kubectl', 'delete', 'ns', 'x'], cwd: '/srv', host: 'build-1', program_path: '/usr/bin/kubectl' },
    command_digest: 'sha256:00',
    context: { os_user: 'dev', custom: {}, env: {}, gate_version: '0.1.0' },
    requirement: { from: [{ group: 'sre', count: 1 }], expires_seconds: 600, reason_required: false, on_behalf_may_approve: false },
    rules: [{ id: 'k8s-delete', decision: 'approve', source: 'server', message: 'Deleting needs an SRE.' }],
    approvals: [],
    questions: [],
    progress: '0 of 1 approval from sre',
    url: 'https://gate.example/requests/req_aaaaaaaaaaaaaaaaaaaa',
    ...overrides,
  };
}

describe('html', () => {
  it('escapes interpolated text for content and attributes, keeps Html, joins lists, drops nothing-values', () => {
    const out = html`<a title="${`"><script>x</script>`}">${['<b>', trusted('<i>ok</i>'), 3, undefined, null, false]}</a>`;
    expect(out.value).toBe('<a title="&quot;&gt;&lt;script&gt;x&lt;/script&gt;">&lt;b&gt;<i>ok</i>3</a>');
    expect(escapeHtml(`&<>"'`)).toBe('&amp;&lt;&gt;&quot;&#39;');
  });
});

describe('request page', () => {
  it('shows shell text with its line breaks, control characters escaped, and every argv word', () => {
    const text = 'rm -rf build\necho \u001b[31mred\u202e';
    const r = request({ command: { argv: ['bash', '--noprofile', '--norc', '-c', '--', text, ''], cwd: '/srv', host: 'h', program_path: '/bin/bash', shell_text: text } });
    const page = requestPage(ctx, { request: r });
    expect(page).toContain('<pre class="command"><code>rm -rf build\necho \\x1b[31mred\\u202e</code></pre>');
    expect(page).toContain('run exactly as shown by <code>bash --noprofile --norc -c --</code>');
    expect(page).toContain('Exact argument list (7 words)');
    expect(page).toContain('<li><code>&#39;&#39;</code></li>');
    expect(page).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u202e]/);
  });

  it('links a CI run only when it is an http(s) URL', () => {
    const ci = (run_url: string) => request({ context: { os_user: 'ci', custom: {}, env: {}, gate_version: '0.1.0', ci: { provider: 'github-actions', run_url } } });
    expect(requestPage(ctx, { request: ci('javascript:alert(1)') })).not.toContain('href="javascript:');
    expect(requestPage(ctx, { request: ci('https://ci.example/run/1') })).toContain('<a href="https://ci.example/run/1" rel="noreferrer noopener">');
  });

  it('labels every field, and every form carries the CSRF token', () => {
    const pages = [
      requestPage(ctx, { request: request() }),
      signinPage({ base: '', nowMs: NOW }, { formSecret: 'S', next: '/requests' }),
      linkPage({ base: '', nowMs: NOW }, { formSecret: 'S', token: 'T' }),
    ];
    for (const page of pages) {
      const fields = [...page.matchAll(/<(?:input|textarea)\b(?![^>]*type="hidden")[^>]*\bid="([^"]+)"/g)].map((m) => m[1]);
      const unlabelled = [...page.matchAll(/<(?:input|textarea)\b(?![^>]*type="hidden")(?![^>]*\bid=)[^>]*>/g)];
      expect(unlabelled).toEqual([]);
      for (const id of fields) expect(page).toContain(`<label for="${id}">`);
      const forms = page.split('<form').length - 1;
      expect(forms).toBeGreaterThan(0);
      expect(page.split('name="csrf"').length - 1).toBe(forms);
    }
    expect(pages[0]).toContain('name="csrf" value="CSRF-TOKEN"');
  });

  it('has a viewport, a language, a skip link and a polite live region', () => {
    const page = listPage(ctx, [request()]);
    expect(page).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    expect(page).toContain('<html lang="en">');
    expect(page).toContain('<a class="skip" href="#main">');
    expect(page).toContain('aria-live="polite"');
  });

  it('offers no decision once the request is final, and tells the script so', () => {
    const denied = request({ status: 'denied', denial: { by: 'alice', reason: 'no <way>', at: '2030-01-01T00:01:00.000Z', by_policy: false }, progress: 'denied by alice' });
    const page = requestPage(ctx, { request: denied });
    expect(page).not.toContain('/approve"');
    expect(page).toContain('<strong>Denied by alice</strong>');
    expect(page).toContain('no &lt;way&gt;');
    const state = stateSection(ctx, denied).value;
    expect(state).toContain('data-status="denied" data-final="true"');
    expect(state).toContain('data-announce="Denied: denied by alice"');
  });

  it('names the re-authentication window in the requirement', () => {
    const r = request({ requirement: { from: [{ group: 'sre', count: 2 }], expires_seconds: 600, reason_required: true, on_behalf_may_approve: false, reauth_seconds: 600 } });
    expect(stateSection(ctx, r).value).toContain('<dd>2 from sre; a reason from the requester; approvers signed in within 10m</dd>');
  });
});

describe('colours', () => {
  // WCAG 2.x relative luminance and contrast ratio.
  const luminance = (hex: string): number => {
    const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255).map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
    return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
  };
  const contrast = (a: string, b: string): number => {
    const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
    return (hi! + 0.05) / (lo! + 0.05);
  };

  it.each(CONTRAST_PAIRS.map(([fg, bg, min]) => [fg, bg, min]))('%s on %s reaches %s:1', (fg, bg, min) => {
    expect(contrast(PALETTE[fg as keyof typeof PALETTE], PALETTE[bg as keyof typeof PALETTE])).toBeGreaterThanOrEqual(min as number);
  });

  it('the contrast formula itself: black on white is 21:1, grey #777 on white fails AA', () => {
    expect(contrast('#000000', '#ffffff')).toBeCloseTo(21, 5);
    expect(contrast('#777777', '#ffffff')).toBeLessThan(4.5);
  });
});

describe('sessions, CSRF and re-authentication', () => {
  it('builds cookie headers with the flags asked for', () => {
    expect(sessionCookie('ID', true, '')).toBe('gate_session=ID; Path=/; HttpOnly; SameSite=Lax; Max-Age=86400; Secure');
    expect(sessionCookie('ID', false, '/gate')).toBe('gate_session=ID; Path=/gate; HttpOnly; SameSite=Lax; Max-Age=86400');
    expect(cookieHeader('x', 'y', { secure: false, path: '/signin', sameSite: 'Strict' })).toBe('x=y; Path=/signin; HttpOnly; SameSite=Strict');
  });

  it('uses Secure cookies for an https public URL, a TLS request or a proxy that says https', () => {
    expect(useSecureCookies('https://gate.example', 'http://10.0.0.1/requests', undefined)).toBe(true);
    expect(useSecureCookies('http://127.0.0.1:8787', 'https://127.0.0.1:8787/', undefined)).toBe(true);
    expect(useSecureCookies('http://127.0.0.1:8787', 'http://127.0.0.1:8787/', 'https, http')).toBe(true);
    expect(useSecureCookies('http://127.0.0.1:8787', 'http://127.0.0.1:8787/', 'http')).toBe(false);
  });

  it('ends sessions after 12 h idle or 24 h in all', () => {
    const h = 3_600_000;
    expect(sessionAlive({ createdMs: 0, seenMs: 0 }, 12 * h - 1)).toBe(true);
    expect(sessionAlive({ createdMs: 0, seenMs: 0 }, 12 * h)).toBe(false);
    expect(sessionAlive({ createdMs: 0, seenMs: 23 * h }, 24 * h - 1)).toBe(true);
    expect(sessionAlive({ createdMs: 0, seenMs: 23 * h }, 24 * h)).toBe(false);
  });

  it('derives a per-session CSRF token and compares tokens exactly', () => {
    const a = csrfToken('A'.repeat(43));
    expect(a).toBe(csrfToken('A'.repeat(43)));
    expect(a).not.toBe(csrfToken('B'.repeat(43)));
    expect(a).not.toContain('AAAA');
    expect(tokensMatch(a, a)).toBe(true);
    expect(tokensMatch(a, `${a.slice(0, -1)}x`)).toBe(false);
    expect(tokensMatch(a, a.slice(1))).toBe(false);
    expect(tokensMatch('', '')).toBe(false);
  });

  it.each([
    [{ origin: 'https://gate.example', secFetchSite: 'same-origin' }, true],
    [{ origin: 'null', secFetchSite: 'same-origin' }, true],
    [{ origin: undefined, secFetchSite: undefined }, true],
    [{ origin: 'https://gate.example', secFetchSite: undefined }, true],
    [{ origin: 'https://gate.example', secFetchSite: 'same-site' }, false],
    [{ origin: 'https://gate.example', secFetchSite: 'cross-site' }, false],
    [{ origin: undefined, secFetchSite: 'none' }, false],
    [{ origin: 'https://evil.example', secFetchSite: undefined }, false],
    [{ origin: 'null', secFetchSite: undefined }, false],
  ])('fetch metadata %o from our pages: %s', (meta, ok) => {
    expect(fromOwnOrigin(meta, ['https://gate.example'])).toBe(ok);
  });

  it('asks again only when the sign-in is older than the rule window', () => {
    const req = { from: [], expires_seconds: 600, reason_required: false, on_behalf_may_approve: false };
    expect(reauthDue(req, 0, 10 ** 9)).toBeUndefined();
    expect(reauthDue({ ...req, reauth_seconds: 600 }, 0, 600_000)).toBeUndefined();
    expect(reauthDue({ ...req, reauth_seconds: 600 }, 0, 601_000)).toEqual({ windowSeconds: 600, ageSeconds: 601 });
  });
});

describe('time text', () => {
  it('counts down and back', () => {
    expect(timeLeft(NOW + 61_500, NOW)).toBe('1m1s left');
    expect(timeLeft(NOW, NOW)).toBe('expired');
    expect(ago(NOW - 3_600_000, NOW)).toBe('1h ago');
    expect(ago(NOW, NOW)).toBe('just now');
  });
});
