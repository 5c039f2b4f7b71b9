import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * A local Slack for tests: a real HTTP server on 127.0.0.1 that answers the Web API methods gate
 * calls with the documented shapes, limits and error replies (shared/reference/protocols.md §1),
 * records every call, and can misbehave on demand (429 + Retry-After, ok:false codes, slow or
 * dropped replies). It also plays Slack's side of interactivity: clicks and modal submissions,
 * form-encoded and signed exactly as Slack sends them, POSTed to gate's Request URL.
 *
 * Written from the protocol notes, not from gate's code: its limits and checks are its own, so a
 * bug in gate's message builder cannot be mirrored here.
 */

export interface FakeChannel {
  readonly id: string;
  readonly name: string;
  /** Is the bot a member (else chat.postMessage says not_in_channel)? Default true. */
  readonly member?: boolean;
  readonly archived?: boolean;
  /** Users in the channel (chat.postEphemeral needs the recipient there). */
  readonly users?: readonly string[];
}

export interface FakeUser {
  readonly id: string;
  readonly team_id: string;
  readonly name: string;
  readonly email?: string;
  readonly deleted?: boolean;
  readonly is_bot?: boolean;
  readonly is_restricted?: boolean;
}

export interface FakeSlackOptions {
  readonly token: string;
  readonly signingSecret: string;
  readonly teamId?: string;
  readonly appId?: string;
  readonly channels?: readonly FakeChannel[];
  readonly users?: readonly FakeUser[];
  /** Scopes the bot token has; profile.email needs users:read.email, history needs channels:history. */
  readonly scopes?: readonly string[];
}

export interface SlackCall {
  readonly method: string;
  readonly contentType: string;
  readonly args: Record<string, unknown>;
  /** What the fake answered (HTTP 200 body or the fault). */
  readonly status: number;
  readonly reply: Record<string, unknown> | undefined;
}

export interface StoredMessage {
  readonly channel: string;
  ts: string;
  text: string;
  blocks: readonly Record<string, unknown>[];
  readonly thread_ts?: string;
  readonly metadata?: { event_type: string; event_payload: Record<string, unknown> };
  edits: number;
}

export interface OpenedView {
  readonly trigger_id: string;
  readonly view: Record<string, unknown>;
  readonly user: string;
  readonly id: string;
}

/** What the next call of a method gets instead of its normal answer. */
export type SlackFault =
  | { readonly kind: 'ratelimited'; readonly retryAfterSeconds: number }
  | { readonly kind: 'error'; readonly error: string }
  | { readonly kind: 'http'; readonly status: number }
  /** Do the work, then never answer (the client times out): a post whose outcome gate cannot know. */
  | { readonly kind: 'lost-reply' }
  /** Drop the connection without doing anything. */
  | { readonly kind: 'reset' };

export interface Click {
  /** gate's Request URL. */
  readonly url: string;
  readonly user: string;
  readonly team?: string;
  readonly action: 'gate.approve' | 'gate.deny' | 'gate.ask' | 'gate.open' | string;
  readonly value: string;
  /** The message clicked; default: the latest message about `value`. */
  readonly message?: StoredMessage;
  /** Signing overrides, for forged / stale / replayed requests. */
  readonly timestamp?: number;
  readonly secret?: string;
}

export interface Posted {
  readonly status: number;
  readonly text: string;
  readonly ms: number;
  /** The exact signed request, to replay it. */
  readonly sent: { readonly body: string; readonly headers: Record<string, string> };
}

const LIMIT = {
  blocks: 50,
  viewBlocks: 100,
  blockId: 255,
  header: 150,
  section: 3000,
  fields: 10,
  field: 2000,
  context: 10,
  actions: 25,
  buttonText: 75,
  actionId: 255,
  value: 2000,
  url: 3000,
  confirmTitle: 100,
  confirmText: 300,
  confirmButton: 30,
  viewTitle: 24,
  callbackId: 255,
  privateMetadata: 3000,
  text: 40_000,
} as const;

const WRITE_METHODS = new Set(['chat.postMessage', 'chat.update', 'chat.postEphemeral', 'views.open']);
const READ_METHODS = new Set(['users.info', 'conversations.history']);

export class FakeSlack {
  readonly calls: SlackCall[] = [];
  readonly messages: StoredMessage[] = [];
  readonly ephemerals: { channel: string; user: string; text: string }[] = [];
  readonly views: OpenedView[] = [];
  private readonly faults = new Map<string, SlackFault[]>();
  private readonly triggers = new Map<string, { user: string; issuedMs: number; used: boolean }>();
  private readonly channels: FakeChannel[];
  private readonly users: FakeUser[];
  private readonly scopes: Set<string>;
  private readonly sockets = new Set<Socket>();
  private server: Server | undefined;
  private counter = 0;
  url = '';

  constructor(readonly options: FakeSlackOptions) {
    this.channels = [...(options.channels ?? [{ id: 'C0APPROVALS', name: 'approvals' }])];
    this.users = [...(options.users ?? [])];
    this.scopes = new Set(options.scopes ?? ['chat:write', 'users:read', 'users:read.email', 'channels:history', 'groups:history']);
  }

  get teamId(): string {
    return this.options.teamId ?? 'T0ACME';
  }

  /** Listens on 127.0.0.1 (`port` 0: any free port; a fixed one to come back after close()). */
  async start(port = 0): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/api`;
    return this;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server === undefined ? resolve() : this.server.close(() => resolve())));
  }

  /** The next `times` calls of `method` get `fault`. */
  fail(method: string, fault: SlackFault, times = 1): void {
    const list = this.faults.get(method) ?? [];
    for (let i = 0; i < times; i++) list.push(fault);
    this.faults.set(method, list);
  }

  addUser(user: FakeUser): void {
    this.users.push(user);
  }

  callsOf(method: string): SlackCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  /** Top-level messages (not thread replies) about a request, from their metadata. */
  messagesFor(requestId: string): StoredMessage[] {
    return this.messages.filter((m) => m.thread_ts === undefined && m.metadata?.event_payload.request_id === requestId);
  }

  repliesTo(message: StoredMessage): StoredMessage[] {
    return this.messages.filter((m) => m.channel === message.channel && m.thread_ts === message.ts);
  }

  // -------------------------------------------------------------------------------------------
  // Slack -> gate: interactivity

  /** Signs a body as Slack does: v0=hex(HMAC-SHA256(secret, "v0:" + ts + ":" + body)). */
  sign(body: string, timestamp: number, secret = this.options.signingSecret): string {
    return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
  }

  /** Clicks a button of a message, as `user`: a signed block_actions payload with a fresh trigger_id. */
  click(click: Click): Promise<Posted> {
    const message = click.message ?? this.messagesFor(click.value).at(-1);
    const trigger = `${Date.now()}.${++this.counter}.${Math.random().toString(16).slice(2, 12)}`;
    this.triggers.set(trigger, { user: click.user, issuedMs: Date.now(), used: false });
    const team = click.team ?? this.teamId;
    const payload = {
      type: 'block_actions',
      team: { id: team, domain: 'acme' },
      user: { id: click.user, username: 'someone', name: 'someone', team_id: team },
      api_app_id: this.options.appId ?? 'A0GATE',
      token: 'legacy-verification-token',
      container: message === undefined ? { type: 'message' } : { type: 'message', message_ts: message.ts, channel_id: message.channel, is_ephemeral: false },
      trigger_id: trigger,
      channel: message === undefined ? undefined : { id: message.channel, name: this.channels.find((c) => c.id === message.channel)?.name ?? 'x' },
      message: message === undefined ? undefined : { type: 'message', ts: message.ts, text: message.text, blocks: message.blocks },
      state: { values: {} },
      response_url: `${this.url.replace(/\/api$/, '')}/actions/${team}/1/abc`,
      actions: [
        { type: 'button', action_id: click.action, block_id: 'gate.act.1', text: { type: 'plain_text', text: 'x', emoji: true }, value: click.value, action_ts: `${Math.floor(Date.now() / 1000)}.000001` },
      ],
      is_enterprise_install: false,
      enterprise: null,
    };
    return this.post(click.url, payload, click);
  }

  /** Submits the latest modal opened for `user` with `text` in its input, as Slack sends view_submission. */
  submit(options: { url: string; user: string; text: string; team?: string; view?: OpenedView }): Promise<Posted> {
    const opened = options.view ?? this.views.filter((v) => v.user === options.user).at(-1);
    if (opened === undefined) throw new Error(`no modal was opened for ${options.user}`);
    const view = opened.view as { callback_id: string; private_metadata?: string; blocks: { type: string; block_id: string; element?: { action_id: string } }[] };
    const input = view.blocks.find((b) => b.type === 'input')!;
    const team = options.team ?? this.teamId;
    const payload = {
      type: 'view_submission',
      team: { id: team, domain: 'acme' },
      user: { id: options.user, username: 'someone', name: 'someone', team_id: team },
      api_app_id: this.options.appId ?? 'A0GATE',
      token: 'legacy-verification-token',
      trigger_id: `${Date.now()}.${++this.counter}.submit`,
      view: {
        id: opened.id,
        team_id: team,
        type: 'modal',
        callback_id: view.callback_id,
        private_metadata: view.private_metadata ?? '',
        state: { values: { [input.block_id]: { [input.element!.action_id]: { type: 'plain_text_input', value: options.text } } } },
        hash: '1767225612.abc',
      },
    };
    return this.post(options.url, payload, {});
  }

  /** POSTs `payload=<json>` form-encoded and signed (or as overridden), like Slack. */
  async post(url: string, payload: unknown, sign: { timestamp?: number; secret?: string }): Promise<Posted> {
    const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
    const timestamp = sign.timestamp ?? Math.floor(Date.now() / 1000);
    const headers = {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': String(timestamp),
      'x-slack-signature': this.sign(body, timestamp, sign.secret),
      'user-agent': 'Slackbot 1.0 (+https://api.slack.com/robots)',
    };
    return this.send(url, body, headers);
  }

  /** Sends an exact body with exact headers (replays, missing headers, altered bodies). */
  async send(url: string, body: string, headers: Record<string, string>): Promise<Posted> {
    const started = performance.now();
    const res = await fetch(url, { method: 'POST', body, headers });
    const text = await res.text();
    return { status: res.status, text, ms: performance.now() - started, sent: { body, headers } };
  }

  // -------------------------------------------------------------------------------------------
  // gate -> Slack: the Web API

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const method = (req.url ?? '').replace(/^\/api\//, '').split('?')[0]!;
    const contentType = String(req.headers['content-type'] ?? '');
    const args = parseArgs(contentType, raw);
    const record = (status: number, reply: Record<string, unknown> | undefined): void => {
      this.calls.push({ method, contentType, args, status, reply });
    };
    const answer = (reply: Record<string, unknown>, status = 200, headers: Record<string, string> = {}): void => {
      record(status, reply);
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
      res.end(JSON.stringify(reply));
    };

    const fault = this.faults.get(method)?.shift();
    if (fault?.kind === 'reset') {
      record(0, undefined);
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'ratelimited') return answer({ ok: false, error: 'ratelimited' }, 429, { 'retry-after': String(fault.retryAfterSeconds) });
    if (fault?.kind === 'error') return answer({ ok: false, error: fault.error });
    if (fault?.kind === 'http') return answer({ ok: false, error: 'http_error' }, fault.status);

    // Tokens: the Authorization header (JSON bodies require it; form bodies may carry `token`).
    const auth = /^Bearer (\S+)$/.exec(String(req.headers.authorization ?? ''))?.[1] ?? (typeof args.token === 'string' ? args.token : undefined);
    if (auth === undefined) return answer({ ok: false, error: 'not_authed' });
    if (auth !== this.options.token) return answer({ ok: false, error: 'invalid_auth' });
    if (!WRITE_METHODS.has(method) && !READ_METHODS.has(method)) return answer({ ok: false, error: 'unknown_method' }, 404);

    const isJson = contentType.startsWith('application/json');
    // Read methods take form fields or a query string only; a JSON body is not read.
    const input = READ_METHODS.has(method) && isJson ? {} : args;
    const warnings = isJson && !/charset=utf-8/i.test(contentType) ? { warning: 'missing_charset', response_metadata: { warnings: ['missing_charset'] } } : {};
    const reply = this.api(method, input);
    if (fault?.kind === 'lost-reply') {
      record(0, reply);
      // The work is done; the reply never comes (the client's timeout fires).
      return;
    }
    answer({ ...reply, ...(reply.ok === true ? warnings : {}) });
  }

  private api(method: string, a: Record<string, unknown>): Record<string, unknown> {
    switch (method) {
      case 'chat.postMessage':
        return this.postMessage(a);
      case 'chat.update':
        return this.update(a);
      case 'chat.postEphemeral':
        return this.postEphemeral(a);
      case 'views.open':
        return this.viewsOpen(a);
      case 'users.info':
        return this.usersInfo(a);
      case 'conversations.history':
        return this.history(a);
      default:
        return { ok: false, error: 'unknown_method' };
    }
  }

  private channel(ref: unknown): FakeChannel | undefined {
    if (typeof ref !== 'string') return undefined;
    const name = ref.replace(/^#/, '');
    return this.channels.find((c) => c.id === ref || c.name === name);
  }

  private nextTs(): string {
    this.counter += 1;
    return `${Math.floor(Date.now() / 1000)}.${String(this.counter).padStart(6, '0')}`;
  }

  private postMessage(a: Record<string, unknown>): Record<string, unknown> {
    const ch = this.channel(a.channel);
    if (ch === undefined) return a.channel === undefined ? { ok: false, error: 'invalid_arguments' } : { ok: false, error: 'channel_not_found' };
    if (ch.archived) return { ok: false, error: 'is_archived' };
    if (ch.member === false) return { ok: false, error: 'not_in_channel' };
    const content = checkContent(a);
    if (content !== undefined) return content;
    let threadTs: string | undefined;
    if (a.thread_ts !== undefined) {
      if (typeof a.thread_ts !== 'string' || !this.messages.some((m) => m.channel === ch.id && m.ts === a.thread_ts)) return { ok: false, error: 'thread_not_found' };
      threadTs = a.thread_ts;
    }
    const metadata = a.metadata as StoredMessage['metadata'] | undefined;
    if (metadata !== undefined && (typeof metadata !== 'object' || typeof metadata.event_type !== 'string' || typeof metadata.event_payload !== 'object')) {
      return { ok: false, error: 'invalid_metadata_format' };
    }
    const message: StoredMessage = {
      channel: ch.id,
      ts: this.nextTs(),
      text: String(a.text ?? ''),
      blocks: (a.blocks as Record<string, unknown>[] | undefined) ?? [],
      ...(threadTs !== undefined ? { thread_ts: threadTs } : {}),
      ...(metadata !== undefined ? { metadata } : {}),
      edits: 0,
    };
    this.messages.push(message);
    return { ok: true, channel: ch.id, ts: message.ts, message: { type: 'message', subtype: 'bot_message', bot_id: 'B0GATE', ts: message.ts, text: message.text, blocks: message.blocks } };
  }

  private update(a: Record<string, unknown>): Record<string, unknown> {
    if (typeof a.channel !== 'string' || typeof a.ts !== 'string') return { ok: false, error: 'invalid_arguments' };
    const ch = this.channel(a.channel);
    if (ch === undefined) return { ok: false, error: 'channel_not_found' };
    const message = this.messages.find((m) => m.channel === ch.id && m.ts === a.ts);
    if (message === undefined) return { ok: false, error: 'message_not_found' };
    const content = checkContent(a);
    if (content !== undefined) return content;
    // block_id must be new on an update (Slack keeps state by block id); reusing one is `block_mismatch`-prone.
    message.text = String(a.text ?? message.text);
    if (a.blocks !== undefined) message.blocks = a.blocks as Record<string, unknown>[];
    message.edits += 1;
    return { ok: true, channel: ch.id, ts: message.ts, text: message.text, message: { text: message.text, blocks: message.blocks } };
  }

  private postEphemeral(a: Record<string, unknown>): Record<string, unknown> {
    const ch = this.channel(a.channel);
    if (ch === undefined) return { ok: false, error: 'channel_not_found' };
    if (typeof a.user !== 'string') return { ok: false, error: 'invalid_arguments' };
    if (ch.users !== undefined && !ch.users.includes(a.user)) return { ok: false, error: 'user_not_in_channel' };
    const content = checkContent(a);
    if (content !== undefined) return content;
    this.ephemerals.push({ channel: ch.id, user: a.user, text: String(a.text ?? '') });
    return { ok: true, message_ts: this.nextTs() };
  }

  private viewsOpen(a: Record<string, unknown>): Record<string, unknown> {
    const trigger = typeof a.trigger_id === 'string' ? this.triggers.get(a.trigger_id) : undefined;
    if (trigger === undefined) return { ok: false, error: 'invalid_trigger_id' };
    if (trigger.used) return { ok: false, error: 'exchanged_trigger_id' };
    // A trigger lives 3 s.
    if (Date.now() - trigger.issuedMs > 3000) return { ok: false, error: 'expired_trigger_id' };
    const view = a.view as Record<string, unknown> | undefined;
    const problems = view === undefined ? ['view: required'] : checkView(view);
    if (problems.length > 0) return { ok: false, error: 'invalid_arguments', response_metadata: { messages: problems.map((p) => `[ERROR] ${p}`) } };
    trigger.used = true;
    const id = `V${++this.counter}`;
    this.views.push({ trigger_id: a.trigger_id as string, view: view!, user: trigger.user, id });
    return { ok: true, view: { id, team_id: this.teamId, type: 'modal', ...view } };
  }

  private usersInfo(a: Record<string, unknown>): Record<string, unknown> {
    if (typeof a.user !== 'string') return { ok: false, error: 'invalid_arguments' };
    if (!this.scopes.has('users:read')) return { ok: false, error: 'missing_scope', needed: 'users:read', provided: [...this.scopes].join(',') };
    const u = this.users.find((x) => x.id === a.user);
    if (u === undefined) return { ok: false, error: 'user_not_found' };
    const profile: Record<string, unknown> = { real_name: u.name, display_name: u.name };
    if (u.email !== undefined && this.scopes.has('users:read.email')) profile.email = u.email;
    return {
      ok: true,
      user: { id: u.id, team_id: u.team_id, name: u.name, deleted: u.deleted ?? false, is_bot: u.is_bot ?? false, is_restricted: u.is_restricted ?? false, is_ultra_restricted: false, profile },
    };
  }

  private history(a: Record<string, unknown>): Record<string, unknown> {
    if (!this.scopes.has('channels:history')) return { ok: false, error: 'missing_scope', needed: 'channels:history', provided: [...this.scopes].join(',') };
    const ch = typeof a.channel === 'string' ? this.channels.find((c) => c.id === a.channel) : undefined;
    if (ch === undefined) return { ok: false, error: 'channel_not_found' };
    const oldest = Number(a.oldest ?? 0);
    const withMetadata = a.include_all_metadata === 'true' || a.include_all_metadata === true;
    const limit = Math.min(Number(a.limit ?? 100), 999);
    const messages = this.messages
      .filter((m) => m.channel === ch.id && m.thread_ts === undefined && Number(m.ts) >= oldest)
      .reverse()
      .slice(0, limit)
      .map((m) => ({ type: 'message', ts: m.ts, text: m.text, bot_id: 'B0GATE', ...(withMetadata && m.metadata !== undefined ? { metadata: m.metadata } : {}) }));
    return { ok: true, messages, has_more: false };
  }
}

function parseArgs(contentType: string, raw: string): Record<string, unknown> {
  if (contentType.startsWith('application/json')) {
    try {
      const value = JSON.parse(raw) as unknown;
      return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
    } catch {
      return { __invalid_json: true };
    }
  }
  return Object.fromEntries(new URLSearchParams(raw));
}

/** text/blocks of a message: no_text, msg_too_long, invalid_blocks (with the reasons, as Slack's response_metadata). */
function checkContent(a: Record<string, unknown>): Record<string, unknown> | undefined {
  if (a.__invalid_json === true) return { ok: false, error: 'invalid_json' };
  const text = a.text;
  if ((text === undefined || text === '') && a.blocks === undefined) return { ok: false, error: 'no_text' };
  if (typeof text === 'string' && text.length > LIMIT.text) return { ok: false, error: 'msg_too_long' };
  if (a.blocks === undefined) return undefined;
  if (!Array.isArray(a.blocks)) return { ok: false, error: 'invalid_blocks_format' };
  const problems = checkBlocks(a.blocks as unknown[], LIMIT.blocks);
  return problems.length === 0 ? undefined : { ok: false, error: 'invalid_blocks', response_metadata: { messages: problems.map((p) => `[ERROR] ${p}`) } };
}

type Obj = Record<string, unknown>;

function checkText(t: unknown, path: string, max: number, problems: string[], plainOnly = false): void {
  const o = t as Obj | undefined;
  if (o === undefined || typeof o !== 'object' || (o.type !== 'plain_text' && o.type !== 'mrkdwn') || typeof o.text !== 'string') {
    problems.push(`${path}: must be a text object`);
    return;
  }
  if (plainOnly && o.type !== 'plain_text') problems.push(`${path}: must be plain_text`);
  if (o.text.length === 0) problems.push(`${path}: must not be empty`);
  if (o.text.length > max) problems.push(`${path}: must be at most ${max} characters (got ${o.text.length})`);
}

export function checkBlocks(blocks: readonly unknown[], maxBlocks: number): string[] {
  const problems: string[] = [];
  if (blocks.length > maxBlocks) problems.push(`no more than ${maxBlocks} items allowed [json-pointer:/blocks]`);
  const ids = new Set<string>();
  blocks.forEach((b, i) => {
    const block = b as Obj;
    const at = `/blocks/${i}`;
    if (typeof block.block_id === 'string') {
      if (block.block_id.length > LIMIT.blockId) problems.push(`${at}/block_id: too long`);
      if (ids.has(block.block_id)) problems.push(`${at}/block_id: duplicate block_id ${block.block_id}`);
      ids.add(block.block_id);
    }
    switch (block.type) {
      case 'header':
        checkText(block.text, `${at}/text`, LIMIT.header, problems, true);
        break;
      case 'section': {
        if (block.text === undefined && block.fields === undefined) problems.push(`${at}: section needs text or fields`);
        if (block.text !== undefined) checkText(block.text, `${at}/text`, LIMIT.section, problems);
        if (block.fields !== undefined) {
          const fields = block.fields as unknown[];
          if (!Array.isArray(fields) || fields.length > LIMIT.fields) problems.push(`${at}/fields: at most ${LIMIT.fields} items`);
          else fields.forEach((f, j) => checkText(f, `${at}/fields/${j}`, LIMIT.field, problems));
        }
        break;
      }
      case 'context': {
        const els = block.elements as unknown[];
        if (!Array.isArray(els) || els.length === 0 || els.length > LIMIT.context) problems.push(`${at}/elements: 1 to ${LIMIT.context} items`);
        else els.forEach((e, j) => checkText(e, `${at}/elements/${j}`, LIMIT.section, problems));
        break;
      }
      case 'actions': {
        const els = block.elements as Obj[];
        if (!Array.isArray(els) || els.length === 0 || els.length > LIMIT.actions) {
          problems.push(`${at}/elements: 1 to ${LIMIT.actions} items`);
          break;
        }
        const actionIds = new Set<string>();
        let primaries = 0;
        els.forEach((el, j) => {
          const p = `${at}/elements/${j}`;
          if (el.type !== 'button') return void problems.push(`${p}: unsupported element ${String(el.type)}`);
          checkText(el.text, `${p}/text`, LIMIT.buttonText, problems, true);
          if (typeof el.action_id === 'string') {
            if (el.action_id.length > LIMIT.actionId) problems.push(`${p}/action_id: too long`);
            if (actionIds.has(el.action_id)) problems.push(`${p}/action_id: duplicate`);
            actionIds.add(el.action_id);
          }
          if (el.value !== undefined && (typeof el.value !== 'string' || el.value.length > LIMIT.value)) problems.push(`${p}/value: at most ${LIMIT.value} characters`);
          if (el.url !== undefined && (typeof el.url !== 'string' || el.url.length > LIMIT.url)) problems.push(`${p}/url: at most ${LIMIT.url} characters`);
          if (el.style !== undefined && el.style !== 'primary' && el.style !== 'danger') problems.push(`${p}/style: must be primary or danger`);
          if (el.style === 'primary') primaries += 1;
          if (el.confirm !== undefined) {
            const c = el.confirm as Obj;
            checkText(c.title, `${p}/confirm/title`, LIMIT.confirmTitle, problems, true);
            checkText(c.text, `${p}/confirm/text`, LIMIT.confirmText, problems);
            checkText(c.confirm, `${p}/confirm/confirm`, LIMIT.confirmButton, problems, true);
            checkText(c.deny, `${p}/confirm/deny`, LIMIT.confirmButton, problems, true);
          }
        });
        if (primaries > 1) problems.push(`${at}: at most one primary button`);
        break;
      }
      case 'divider':
        break;
      case 'input': {
        checkText(block.label, `${at}/label`, 2000, problems, true);
        const el = block.element as Obj | undefined;
        if (el?.type !== 'plain_text_input') problems.push(`${at}/element: unsupported`);
        else if (typeof el.max_length === 'number' && el.max_length > 3000) problems.push(`${at}/element/max_length: at most 3000`);
        break;
      }
      default:
        problems.push(`${at}: unsupported block type ${String(block.type)}`);
    }
  });
  return problems;
}

export function checkView(view: Obj): string[] {
  const problems: string[] = [];
  if (view.type !== 'modal') problems.push('view.type: must be modal');
  checkText(view.title, 'view.title', LIMIT.viewTitle, problems, true);
  if (view.submit !== undefined) checkText(view.submit, 'view.submit', LIMIT.viewTitle, problems, true);
  if (view.close !== undefined) checkText(view.close, 'view.close', LIMIT.viewTitle, problems, true);
  if (typeof view.callback_id === 'string' && view.callback_id.length > LIMIT.callbackId) problems.push('view.callback_id: too long');
  if (typeof view.private_metadata === 'string' && view.private_metadata.length > LIMIT.privateMetadata) problems.push('view.private_metadata: too long');
  if (!Array.isArray(view.blocks)) problems.push('view.blocks: required');
  else problems.push(...checkBlocks(view.blocks as unknown[], LIMIT.viewBlocks));
  return problems;
}
