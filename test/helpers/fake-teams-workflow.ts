import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * A local Teams Workflows webhook ("When a Teams webhook request is received", who may trigger:
 * Anyone) for tests: a real HTTP server on 127.0.0.1 with both URL shapes Microsoft has issued,
 * following shared/reference/protocols.md §2 and written from it, not from gate's code.
 *
 * The real trigger answers 202 before the flow runs, so a bad card only fails in the flow's run
 * history; this fake checks the card up front and answers 400, so a test sees what Teams would
 * have silently dropped. Checks: the `sig` query, JSON, `type: message`, `attachments[]` with the
 * Adaptive Card content type, `content.type == AdaptiveCard`, `version <= 1.5`, the body within
 * 28 KB, and no action other than Action.OpenUrl anywhere in the card.
 */

export const MAX_BODY_BYTES = 28 * 1024;

export interface FakeWorkflow {
  readonly id: string;
  readonly shape: 'legacy' | 'powerplatform';
  readonly sig: string;
  /** What goes into gate's config: the whole thing is the secret. */
  readonly url: string;
}

export interface WorkflowCall {
  readonly workflow: string | undefined;
  readonly status: number;
  readonly bytes: number;
  /** Why the fake refused it, if it did. */
  readonly error?: string;
}

export interface PostedCard {
  readonly workflow: string;
  readonly bytes: number;
  readonly message: Record<string, unknown>;
  /** attachments[0].content */
  readonly card: Record<string, unknown>;
}

/** What the next POST to a workflow gets instead of 202. */
export type WorkflowFault =
  | { readonly status: 400 | 401 | 403 | 404 | 413 | 500 | 502 | 503 | 504 }
  | { readonly status: 429; readonly retryAfterSeconds?: number }
  /** Accept (record the card), then never answer: the sender cannot know it was posted. */
  | { readonly status: 'lost-reply' };

export class FakeTeamsWorkflow {
  readonly calls: WorkflowCall[] = [];
  readonly cards: PostedCard[] = [];
  private readonly workflows = new Map<string, FakeWorkflow>();
  private readonly faults = new Map<string, WorkflowFault[]>();
  private readonly sockets = new Set<Socket>();
  private server: Server | undefined;
  private base = '';

  async start(port = 0): Promise<this> {
    const server = createServer((req, res) => void this.handle(req, res));
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    this.server = server;
    this.base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    // Workflows added before a restart keep their ids; their URLs follow the port.
    for (const [id, w] of this.workflows) this.workflows.set(id, { ...w, url: this.urlOf(w) });
    return this;
  }

  get port(): number {
    return Number(new URL(this.base).port);
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server === undefined ? resolve() : this.server.close(() => resolve())));
    this.server = undefined;
  }

  /** A new flow with its own id and signature. */
  addWorkflow(shape: FakeWorkflow['shape'] = 'powerplatform'): FakeWorkflow {
    const id = randomBytes(16).toString('hex');
    const sig = randomBytes(32).toString('base64url').slice(0, 43);
    const w = { id, shape, sig, url: '' };
    const full = { ...w, url: this.urlOf(w) };
    this.workflows.set(id, full);
    return full;
  }

  /** Queues faults for the next POSTs to `workflowId`, in order. */
  fail(workflowId: string, ...faults: WorkflowFault[]): void {
    this.faults.set(workflowId, [...(this.faults.get(workflowId) ?? []), ...faults]);
  }

  cardsOf(workflowId: string): PostedCard[] {
    return this.cards.filter((c) => c.workflow === workflowId);
  }

  /** Every card whose text mentions `text` (e.g. a request id). */
  cardsMentioning(text: string): PostedCard[] {
    return this.cards.filter((c) => JSON.stringify(c.card).includes(text));
  }

  private urlOf(w: Omit<FakeWorkflow, 'url'>): string {
    const query = `sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=${w.sig}`;
    return w.shape === 'legacy'
      ? `${this.base}/workflows/${w.id}/triggers/manual/paths/invoke?api-version=2016-06-01&${query}`
      : `${this.base}/powerautomate/automations/direct/workflows/${w.id}/triggers/manual/paths/invoke?api-version=1&${query}`;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    const url = new URL(req.url ?? '/', this.base);
    const match = /^\/(?:workflows|powerautomate\/automations\/direct\/workflows)\/([0-9a-f]{32})\/triggers\/manual\/paths\/invoke$/.exec(url.pathname);
    const workflow = match === null ? undefined : this.workflows.get(match[1]!);
    const answer = (status: number, error?: string, headers: Record<string, string> = {}): void => {
      this.calls.push({ workflow: workflow?.id, status, bytes: raw.length, ...(error !== undefined ? { error } : {}) });
      res.writeHead(status, error === undefined ? headers : { ...headers, 'content-type': 'application/json' });
      res.end(error === undefined ? undefined : JSON.stringify({ error: { code: status === 401 ? 'DirectApiAuthorizationRequired' : 'InvalidRequestContent', message: error } }));
    };
    if (req.method !== 'POST') return answer(405, 'only POST triggers a flow');
    if (workflow === undefined || (workflow.shape === 'legacy') !== url.pathname.startsWith('/workflows/')) return answer(404, 'no such workflow');
    if (url.searchParams.get('sig') !== workflow.sig) return answer(401, 'the signature (sig) is missing or wrong');
    const fault = this.faults.get(workflow.id)?.shift();
    if (fault !== undefined && fault.status !== 'lost-reply') {
      return answer(fault.status, `injected ${fault.status}`, fault.status === 429 && fault.retryAfterSeconds !== undefined ? { 'retry-after': String(fault.retryAfterSeconds) } : {});
    }
    if (raw.length > MAX_BODY_BYTES) return answer(413, `Request Entity Too Large: ${raw.length} bytes`);
    if (!/^application\/json\b/.test(req.headers['content-type'] ?? '')) return answer(400, 'content-type must be application/json');
    const problem = checkMessage(raw);
    if (typeof problem === 'string') return answer(400, problem);
    this.cards.push({ workflow: workflow.id, bytes: raw.length, message: problem.message, card: problem.card });
    if (fault?.status === 'lost-reply') {
      this.calls.push({ workflow: workflow.id, status: 0, bytes: raw.length });
      return; // the card is in the channel; the reply never comes
    }
    answer(202);
  }
}

/** The documented request shape (size aside); a string says what is wrong. Also used by the card unit tests. */
export function checkMessage(raw: Buffer): string | { message: Record<string, unknown>; card: Record<string, unknown> } {
  let message: unknown;
  try {
    message = JSON.parse(raw.toString('utf8'));
  } catch {
    return 'body is not JSON';
  }
  if (!isObject(message)) return 'body is not an object';
  if (message.type !== 'message') return 'type must be "message"';
  const attachments = message.attachments;
  // The template's "for each" over a missing attachments array fails the run ("… is of type 'Null'").
  if (!Array.isArray(attachments) || attachments.length === 0) return 'attachments must be a non-empty array';
  for (const a of attachments) {
    if (!isObject(a) || a.contentType !== 'application/vnd.microsoft.card.adaptive') return 'attachment contentType must be application/vnd.microsoft.card.adaptive';
    if (!('contentUrl' in a) || a.contentUrl !== null) return 'attachment contentUrl must be null';
    const card = a.content;
    if (!isObject(card) || card.type !== 'AdaptiveCard') return 'content.type must be AdaptiveCard';
    const version = typeof card.version === 'string' ? /^(\d+)\.(\d+)$/.exec(card.version) : null;
    if (version === null) return 'content.version missing';
    if (Number(version[1]) > 1 || (Number(version[1]) === 1 && Number(version[2]) > 5)) return `version ${card.version} is above what Teams renders (1.5)`;
    if (!Array.isArray(card.body)) return 'content.body must be an array';
    const bad = badAction(card);
    if (bad !== undefined) return bad;
  }
  return { message, card: (attachments[0] as { content: Record<string, unknown> }).content };
}

/** Any action other than a plain http(s) link: cards posted by the flow bot cannot submit anything. */
function badAction(node: unknown): string | undefined {
  if (Array.isArray(node)) {
    for (const n of node) {
      const bad = badAction(n);
      if (bad !== undefined) return bad;
    }
    return undefined;
  }
  if (!isObject(node)) return undefined;
  if (typeof node.type === 'string' && node.type.startsWith('Action.')) {
    if (node.type !== 'Action.OpenUrl') return `${node.type} does not work in a card posted by a workflow (only Action.OpenUrl)`;
    if (typeof node.url !== 'string' || !/^https?:\/\//.test(node.url)) return 'Action.OpenUrl needs an http(s) url';
    if (typeof node.title !== 'string' || node.title === '') return 'Action.OpenUrl needs a title';
  }
  for (const value of Object.values(node)) {
    const bad = badAction(value);
    if (bad !== undefined) return bad;
  }
  return undefined;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
