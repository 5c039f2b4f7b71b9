import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { api, createToken, Processes, startGateAs, startServe, type ClientIdentity, type Served } from '../helpers/approval-e2e.js';
import { ROOT, runGate, tempDir, writeFile } from '../helpers/gate.js';

// The web page driven end to end in headless Chromium (Debian's package, driven by playwright-core;
// .ci/run installs it): real `gate serve`, real waiting `gate -- cmd` requesters, a real browser.

const CHROMIUM = process.env.GATE_CHROMIUM ?? '/usr/bin/chromium';
const SKIP = process.env.GATE_SKIP_BROWSER_TESTS === '1';
const TIMEOUT = 90_000;

const POLICY = `version: 1
defaults: { unmatched: allow }
rules:
  - id: marker-sre
    decision: approve
    message: Making markers needs an SRE.
    program: make-marker
    approval: { from: [{ group: sre }], expires: 2m }
  - id: argv-two-sre
    decision: approve
    program: print-argv
    approval: { from: [{ group: sre, count: 2 }], expires: 2m }
  - id: exit-fresh-sign-in
    decision: approve
    message: High risk; approvers sign in again.
    program: exit-with
    approval: { from: [{ group: sre }], expires: 2m, reauth: 2s }
`;

const PRINCIPALS = { bot: ['agent', []], alice: ['human', ['sre']], bob: ['human', ['sre']], carol: ['human', ['sre']] } as const;
type Name = keyof typeof PRINCIPALS;

const serverProcesses = new Processes();
const processes = new Processes();
let root: { path: string; cleanup: () => void };
let serverHome = '';
let db = '';
let policyFile = '';
let server: Served;
let browser: Browser;
const tokens = {} as Record<Name, string>;
const contexts: BrowserContext[] = [];
let testNo = 0;

const as = (name: Name): ClientIdentity => ({ home: join(root.path, 'homes', name), url: server.url, token: tokens[name], env: { GATE_POLICY: policyFile } });

/** A fresh browser context (no cookies) the size of a phone. */
async function phone(): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 375, height: 740 }, isMobile: true, hasTouch: true });
  contexts.push(context);
  const page = await context.newPage();
  // A script error, a CSP violation or a failed script, stylesheet or fetch fails the test. Pages
  // answered with an error status on purpose (401 "sign in again", 410 "link used") are documents,
  // which Chromium also reports as "Failed to load resource": those are checked by the tests.
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('response', (r) => {
    if (r.status() >= 400 && r.request().resourceType() !== 'document') errors.push(`${r.status()} ${r.url()}`);
  });
  return page;
}
const errors: string[] = [];

async function signIn(page: Page, name: Name): Promise<void> {
  await page.getByLabel('API token').fill(tokens[name]);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect.poll(() => page.getByText(`Signed in as ${name}`).count()).toBe(1);
}

/** Nothing wider than the screen: the page scrolls only vertically. */
// Page-side code is given as strings: this project's TypeScript has no DOM library.
const fitsWidth = (page: Page): Promise<boolean> => page.evaluate<boolean>('document.documentElement.scrollWidth <= window.innerWidth');

describe.skipIf(SKIP)('the web page in Chromium', () => {
  beforeAll(async () => {
    if (!existsSync(join(ROOT, 'dist', 'main.js'))) throw new Error('dist/main.js is missing: run `npm run build` first');
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (as .ci/run does), or set GATE_SKIP_BROWSER_TESTS=1`);
    root = tempDir('gate-web-e2e-');
    serverHome = join(root.path, 'server-home');
    db = join(serverHome, 'gate.db');
    policyFile = writeFile(join(root.path, 'policy.yaml'), POLICY);
    for (const name of Object.keys(PRINCIPALS)) writeFile(join(root.path, 'homes', name, '.keep'), '');
    for (const [name, [kind, groups]] of Object.entries(PRINCIPALS) as [Name, (typeof PRINCIPALS)[Name]][]) tokens[name] = await createToken(serverHome, db, name, kind, groups);
    server = await startServe({ home: serverHome, db, policy: policyFile }, serverProcesses);
    // playwright-core launches with a fresh temporary user-data-dir of its own.
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  }, 60_000);

  afterEach(async () => {
    for (const context of contexts.splice(0)) await context.close();
    processes.killAll();
    const seen = errors.splice(0);
    expect(seen, 'browser console errors').toEqual([]);
  });

  afterAll(async () => {
    await browser?.close();
    processes.killAll();
    serverProcesses.killAll();
    root?.cleanup();
  });

  it(
    'sign in, find the request in the list, open it, approve: the waiting gate runs the command',
    async () => {
      const marker = join(root.path, `approved-${++testNo}.marker`);
      const gate = startGateAs(as('bot'), ['--reason', 'tidy <up> the build', '--', 'make-marker', marker], processes);
      const id = await gate.requestId();

      const page = await phone();
      await page.goto(`${server.url}/`);
      await expect.poll(() => page.url()).toContain('/signin');
      await signIn(page, 'alice');
      expect(new URL(page.url()).pathname).toBe('/requests');
      const entry = page.locator(`a[href="/requests/${id}"]`);
      await expect.poll(() => entry.textContent()).toBe(`make-marker ${marker}`);
      expect(await fitsWidth(page)).toBe(true);

      await entry.click();
      await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toContain(id);
      expect(await page.locator('pre.command').textContent()).toBe(`make-marker ${marker}`);
      expect(await page.getByText('tidy <up> the build').count()).toBe(1);
      expect(await page.locator('#state .status').textContent()).toBe('Pending: 0 of 1 approval from sre');
      expect(await fitsWidth(page)).toBe(true);
      expect(existsSync(marker)).toBe(false);

      await page.getByLabel('Comment (optional)').fill('looks right');
      await page.getByRole('button', { name: 'Approve' }).click();
      await expect.poll(() => page.getByText('Your approval is recorded.').count()).toBe(1);

      const result = await gate.result;
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).toContain('approved by alice');
      expect(readFileSync(marker, 'utf8')).toBe('ran\n');
      // The open page follows the request to its end without a reload.
      await expect.poll(() => page.locator('#state').getAttribute('data-status'), { timeout: 15_000 }).toBe('executed');
      const stored = await api(server.url, 'GET', `/v1/requests/${id}`, tokens.bot);
      expect(stored.body.approvals.map((a) => [a.approver, a.channel, a.comment])).toEqual([['alice', 'web', 'looks right']]);
    },
    TIMEOUT,
  );

  it(
    'keyboard only: Tab and Enter sign in, open the request and approve it, with a visible focus ring',
    async () => {
      const marker = join(root.path, `keyboard-${++testNo}.marker`);
      const gate = startGateAs(as('bot'), ['--', 'make-marker', marker], processes);
      const id = await gate.requestId();
      const page = await phone();
      await page.goto(`${server.url}/signin`);

      /** Presses Tab until `matches` holds for the focused element (at most 40 times). */
      const tabTo = async (what: string, matches: string): Promise<void> => {
        for (let i = 0; i < 40; i++) {
          await page.keyboard.press('Tab');
          if (await page.evaluate<boolean>(`document.activeElement?.matches(${JSON.stringify(matches)}) ?? false`)) return;
        }
        throw new Error(`Tab never reached ${what}`);
      };
      await tabTo('the token field', '#token');
      await page.keyboard.type(tokens.bob);
      await page.keyboard.press('Enter');
      await expect.poll(() => page.getByText('Signed in as bob').count()).toBe(1);
      await tabTo('the request link', `a[href="/requests/${id}"]`);
      const ring = await page.evaluate<string>('getComputedStyle(document.activeElement).outlineStyle');
      expect(ring).toBe('solid');
      await page.keyboard.press('Enter');
      await expect.poll(() => page.url()).toContain(`/requests/${id}`);
      await tabTo('the Approve button', 'button.approve');
      await page.keyboard.press('Enter');
      const result = await gate.result;
      expect(result.code, result.stderr).toBe(0);
      expect(existsSync(marker)).toBe(true);
    },
    TIMEOUT,
  );

  it(
    "updates live without a reload when another approver approves through the API, and the list shows new requests",
    async () => {
      const list = await phone();
      await list.goto(`${server.url}/requests`);
      await signIn(list, 'carol');
      const gate = startGateAs(as('bot'), ['--', 'print-argv', 'two', 'words'], processes);
      const id = await gate.requestId();
      // The list refreshes itself (every few seconds): the new request appears without a reload.
      await list.evaluate('window.stayed = true');
      await expect.poll(() => list.locator(`a[href="/requests/${id}"]`).count(), { timeout: 15_000 }).toBe(1);
      expect(await list.evaluate('window.stayed')).toBe(true);

      await list.locator(`a[href="/requests/${id}"]`).click();
      await expect.poll(() => list.locator('#state .status').textContent()).toBe('Pending: 0 of 2 approvals from sre');
      await list.evaluate('window.stayed = true');
      await list.getByLabel('Reason for denying (required; the requester sees it)').fill('half-typed');

      const bob = await api(server.url, 'POST', `/v1/requests/${id}/approve`, tokens.bob, { comment: 'fine by me' });
      expect(bob.status).toBe(200);
      await expect.poll(() => list.locator('#state .status').textContent(), { timeout: 15_000 }).toBe('Pending: 1 of 2 approvals from sre');
      expect(await list.locator('#state').getByText('fine by me').count()).toBe(1);
      await expect.poll(() => list.locator('#announce').textContent()).toBe('Pending: 1 of 2 approvals from sre');
      expect(await list.evaluate('window.stayed')).toBe(true);
      // What the approver was typing survives the update.
      expect(await list.getByLabel('Reason for denying (required; the requester sees it)').inputValue()).toBe('half-typed');

      await list.getByRole('button', { name: 'Approve' }).click();
      const result = await gate.result;
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toContain('two');
    },
    TIMEOUT,
  );

  it(
    'a denial needs a reason (the browser will not send the form without one), and the requester sees it',
    async () => {
      const marker = join(root.path, `denied-${++testNo}.marker`);
      const gate = startGateAs(as('bot'), ['--', 'make-marker', marker], processes);
      const id = await gate.requestId();
      const page = await phone();
      await page.goto(`${server.url}/requests/${id}`);
      await signIn(page, 'alice');
      await page.getByRole('button', { name: 'Deny' }).click();
      expect(await page.evaluate("document.getElementById('reason').validity.valueMissing")).toBe(true);
      expect((await api(server.url, 'GET', `/v1/requests/${id}`, tokens.bot)).body.status).toBe('pending');
      await page.getByLabel('Reason for denying (required; the requester sees it)').fill('not during the freeze');
      await page.getByRole('button', { name: 'Deny' }).click();
      const result = await gate.result;
      expect(result.code).toBe(126);
      expect(result.stderr).toContain('denied by alice: not during the freeze');
      expect(existsSync(marker)).toBe(false);
      await expect.poll(() => page.locator('#state').getAttribute('data-status')).toBe('denied');
    },
    TIMEOUT,
  );

  it(
    'a high-risk rule asks for the token again before approving, then returns to the request',
    async () => {
      const gate = startGateAs(as('bot'), ['--', 'exit-with', '3'], processes);
      const id = await gate.requestId();
      const page = await phone();
      await page.goto(`${server.url}/requests/${id}`);
      await signIn(page, 'carol');
      await new Promise((r) => setTimeout(r, 3000));
      await page.reload();
      expect(await page.locator('#reauth-note').count()).toBe(1);
      await page.getByRole('button', { name: 'Approve' }).click();
      await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Sign in again to approve');
      expect((await api(server.url, 'GET', `/v1/requests/${id}`, tokens.bot)).body.approvals).toEqual([]);
      await page.getByLabel('API token').fill(tokens.carol);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await expect.poll(() => new URL(page.url()).pathname).toBe(`/requests/${id}`);
      await page.getByRole('button', { name: 'Approve' }).click();
      const result = await gate.result;
      expect(result.code, result.stderr).toBe(3);
    },
    TIMEOUT,
  );

  it(
    'the requester, signed in, is told they cannot decide their own request',
    async () => {
      const marker = join(root.path, `own-${++testNo}.marker`);
      const gate = startGateAs(as('alice'), ['--', 'make-marker', marker], processes);
      const id = await gate.requestId();
      const page = await phone();
      await page.goto(`${server.url}/requests/${id}`);
      await signIn(page, 'alice');
      expect(await page.getByText('You asked for this command, so someone else must decide it.').count()).toBe(1);
      expect(await page.getByRole('button', { name: 'Approve' }).count()).toBe(0);
      expect((await api(server.url, 'GET', `/v1/requests/${id}`, tokens.alice)).body.status).toBe('pending');
    },
    TIMEOUT,
  );

  it(
    'gate token link: opening the link changes nothing, its button signs in once, a second use is refused',
    async () => {
      const made = await runGate(['token', 'link', 'bob', '--ttl', '5m', '--db', db, '--public-url', server.url], { home: serverHome });
      expect(made.code, made.stderr).toBe(0);
      const url = made.stdout.trim();
      expect(url).toMatch(new RegExp(`^${server.url}/signin/link/[A-Za-z0-9_-]{43}$`));
      expect(made.stderr).toContain('one-time sign-in link for bob');

      const scanner = await phone();
      await scanner.goto(url);
      await scanner.goto(url);
      expect(await scanner.getByText('Signed in as').count()).toBe(0);

      const page = await phone();
      await page.goto(url);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await expect.poll(() => page.getByText('Signed in as bob').count()).toBe(1);
      expect(new URL(page.url()).pathname).toBe('/requests');
      const cookie = (await page.context().cookies()).find((c) => c.name === 'gate_session')!;
      expect([cookie.httpOnly, cookie.sameSite, cookie.path, cookie.secure]).toEqual([true, 'Lax', '/', false]);

      const late = await phone();
      await late.goto(url);
      await late.getByRole('button', { name: 'Sign in' }).click();
      await expect.poll(() => late.getByText('This sign-in link was already used').count()).toBe(1);
      expect(await late.getByText('Signed in as').count()).toBe(0);
    },
    TIMEOUT,
  );
});
