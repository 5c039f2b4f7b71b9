// In-process harness for the web page: the real service and app on a real SQLite file (as in
// test/server/helpers.ts), with the web routes mounted, and a small cookie-keeping client that
// submits forms the way a browser does (Origin and Sec-Fetch-Site headers, form encoding).
import { join } from 'node:path';
import type { ApprovalRequest, PrincipalKind } from '../../src/approval/protocol.js';
import { createApp } from '../../src/server/app.js';
import { loadOrCreateServerKey } from '../../src/server/keys.js';
import { ApprovalService } from '../../src/server/service.js';
import { StreamRegistry } from '../../src/server/sse.js';
import { SqliteStore } from '../../src/server/store/sqlite.js';
import { createToken } from '../../src/server/tokens.js';
import { WebStore } from '../../src/server/web/store.js';
import { compilePolicyFile, createBody, TestClock } from '../server/helpers.js';

export const WEB_POLICY = `version: 1
defaults:
  unmatched: allow
  approval: { expires: 10m }
rules:
  - id: k8s-delete
    decision: approve
    message: Deleting in Kubernetes needs an SRE.
    program: kubectl
    subcommand: [delete]
    approval: { from: [{ group: sre }], expires: 30m }
  - id: pg-prod
    decision: approve
    program: psql
    approval: { from: [{ group: dba, count: 2 }], expires: 30m }
  - id: prod-deploy
    decision: approve
    message: Production deploys need a fresh sign-in.
    program: deploy
    approval: { from: [{ group: sre }], expires: 2h, reauth: 10m }
`;

export interface WebHarness {
  readonly store: SqliteStore;
  readonly web: WebStore;
  readonly service: ApprovalService;
  readonly clock: TestClock;
  readonly app: ReturnType<typeof createApp>;
  readonly origin: string;
  readonly tokens: Record<string, string>;
  readonly logs: string[];
  addPrincipal(name: string, kind: PrincipalKind, groups?: string[]): string;
  /** Creates a request as `who` (default: the agent "bot") through the JSON API. */
  create(argv: string[], who?: string, context?: NonNullable<Parameters<typeof createBody>[1]>['context']): Promise<ApprovalRequest>;
  /** A JSON API call with a bearer token. */
  api(method: string, path: string, who: string, body?: unknown): Promise<{ status: number; body: ApprovalRequest & { error?: { code: string; message: string } } }>;
  browser(): Browser;
  close(): void;
}

export async function webHarness(dir: string, publicUrl = 'https://gate.example'): Promise<WebHarness> {
  const { policy } = await compilePolicyFile(dir, WEB_POLICY);
  const dbPath = join(dir, 'gate.db');
  const store = new SqliteStore(dbPath);
  const web = new WebStore(dbPath);
  const clock = new TestClock();
  const logs: string[] = [];
  const key = loadOrCreateServerKey(join(dir, 'server-key.pem'));
  const service = new ApprovalService({ store, policy, key, publicUrl, receiptTtlSeconds: 300, clock: clock.now });
  const streams = new StreamRegistry();
  const app = createApp(service, streams, {
    version: 'test',
    logError: (line) => logs.push(line),
    web: { store: web, publicUrl, clock: clock.now, log: (line) => logs.push(line) },
  });
  const tokens: Record<string, string> = {};
  const addPrincipal = (name: string, kind: PrincipalKind, groups: string[] = []): string => {
    tokens[name] = createToken(store, { name, kind, groups }, clock.now().toISOString()).token;
    return tokens[name]!;
  };
  addPrincipal('bot', 'agent');
  addPrincipal('runner', 'ci');
  addPrincipal('dev', 'human', ['dev']);
  addPrincipal('alice', 'human', ['sre', 'dba']);
  addPrincipal('bob', 'human', ['sre']);
  addPrincipal('carol', 'human', ['dba']);
  const origin = new URL(publicUrl).origin;
  const api: WebHarness['api'] = async (method, path, who, body) => {
    const res = await app.request(`${origin}${path}`, {
      method,
      headers: { authorization: `Bearer ${tokens[who]}`, 'content-type': 'application/json' },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: text === '' ? ({} as never) : JSON.parse(text) };
  };
  return {
    store,
    web,
    service,
    clock,
    app,
    origin,
    tokens,
    logs,
    addPrincipal,
    api,
    create: async (argv, who = 'bot', context) => {
      const res = await api('POST', '/v1/requests', who, createBody(argv, context === undefined ? {} : { context }));
      if (res.status !== 201) throw new Error(`create failed: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body;
    },
    browser: () => new Browser(app, origin),
    close: () => {
      service.stop();
      streams.closeAll();
      web.close();
      store.close();
    },
  };
}

export interface Page {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  /** Set-Cookie values of this response. */
  readonly cookies: string[];
}

/** A cookie jar and form poster over app.request: what a browser does, minus rendering. */
export class Browser {
  readonly jar = new Map<string, string>();

  constructor(
    private readonly app: WebHarness['app'],
    readonly origin: string,
  ) {}

  async get(path: string, headers: Record<string, string> = {}): Promise<Page> {
    return this.send(path, { method: 'GET', headers });
  }

  /** A form POST as a same-origin page sends it, unless `headers` say otherwise. */
  async post(path: string, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<Page> {
    return this.send(path, {
      method: 'POST',
      headers: { origin: this.origin, 'sec-fetch-site': 'same-origin', 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(fields).toString(),
    });
  }

  /** Signs in with a token through the sign-in form; returns the POST's response. */
  async signIn(token: string, next = '/requests'): Promise<Page> {
    const form = await this.get(`/signin?next=${encodeURIComponent(next)}`);
    return this.post('/signin', { csrf: csrfOf(form.text, '/signin'), token, next });
  }

  private async send(path: string, init: { method: string; headers: Record<string, string>; body?: string }): Promise<Page> {
    const cookie = [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
    const res = await this.app.request(`${this.origin}${path}`, { ...init, headers: { ...init.headers, ...(cookie !== '' ? { cookie } : {}) } });
    const cookies = res.headers.getSetCookie();
    for (const line of cookies) {
      const [pair] = line.split(';');
      const [name, value] = pair!.split('=') as [string, string];
      if (/max-age=0/i.test(line) || value === '') this.jar.delete(name);
      else this.jar.set(name, value);
    }
    return { status: res.status, headers: res.headers, text: await res.text(), cookies };
  }
}

/** The CSRF token of the form posting to `action` (default: the page's first form). */
export function csrfOf(html: string, action?: string): string {
  const from = action === undefined ? 0 : html.indexOf(`action="${action}"`);
  const match = from === -1 ? null : /name="csrf" value="([^"]*)"/.exec(html.slice(from));
  if (match === null) throw new Error(`no csrf field${action === undefined ? '' : ` in the form to ${action}`} in: ${html.slice(0, 500)}`);
  return match[1]!;
}
