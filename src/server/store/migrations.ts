/**
 * Schema history, append-only: a released migration is never edited, a new one is added. The
 * version table records how far a database got; each migration runs in its own transaction.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: principals, tokens, requests, votes, questions, events.
  `
  CREATE TABLE principals (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('human', 'agent', 'ci')),
    groups TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT
  );
  -- A name belongs to one active principal; after revocation it may be issued again.
  CREATE UNIQUE INDEX principals_active_name ON principals (name) WHERE revoked_at IS NULL;

  CREATE TABLE tokens (
    id TEXT PRIMARY KEY,
    principal_id TEXT NOT NULL REFERENCES principals (id),
    hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    revoked_at TEXT
  );

  CREATE TABLE requests (
    id TEXT PRIMARY KEY,
    status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'denied', 'expired', 'cancelled', 'executing', 'executed')),
    requester_id TEXT NOT NULL REFERENCES principals (id),
    requester TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    expires_ms INTEGER NOT NULL,
    decided_at TEXT,
    command TEXT NOT NULL,
    command_digest TEXT NOT NULL,
    context TEXT NOT NULL,
    requirement TEXT NOT NULL,
    rules TEXT NOT NULL,
    client_decision TEXT NOT NULL,
    policy_digest TEXT NOT NULL,
    denial TEXT,
    receipt TEXT,
    outcome TEXT,
    last_seq INTEGER NOT NULL DEFAULT 0
  );
  CREATE INDEX requests_pending_expiry ON requests (expires_ms) WHERE status = 'pending';
  CREATE INDEX requests_status_created ON requests (status, created_at);
  CREATE INDEX requests_created ON requests (created_at);

  -- The primary key makes "one vote per approver" a property of the data, not only of the code.
  CREATE TABLE votes (
    request_id TEXT NOT NULL REFERENCES requests (id),
    approver TEXT NOT NULL COLLATE NOCASE,
    ordinal INTEGER NOT NULL,
    kind TEXT NOT NULL,
    groups TEXT NOT NULL,
    channel TEXT NOT NULL,
    at TEXT NOT NULL,
    comment TEXT,
    PRIMARY KEY (request_id, approver)
  ) WITHOUT ROWID;

  CREATE TABLE questions (
    id TEXT PRIMARY KEY,
    request_id TEXT NOT NULL REFERENCES requests (id),
    ordinal INTEGER NOT NULL,
    asked_by TEXT NOT NULL,
    question TEXT NOT NULL,
    at TEXT NOT NULL,
    answer TEXT,
    answered_at TEXT
  );
  CREATE INDEX questions_request ON questions (request_id, ordinal);

  CREATE TABLE events (
    request_id TEXT NOT NULL REFERENCES requests (id),
    seq INTEGER NOT NULL CHECK (seq > 0),
    type TEXT NOT NULL,
    at TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (request_id, seq)
  ) WITHOUT ROWID;
  `,
  // 2: web page sign-in (src/server/web/store.ts): sessions and one-time sign-in links, both kept
  // only as the SHA-256 of their secret. Every sign-in (re-authentication too) starts a new
  // session, so created_ms is also when its holder last proved who they are.
  `
  CREATE TABLE web_sessions (
    hash TEXT PRIMARY KEY,
    principal_id TEXT NOT NULL REFERENCES principals (id),
    created_ms INTEGER NOT NULL,
    seen_ms INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX web_sessions_created ON web_sessions (created_ms);

  CREATE TABLE signin_links (
    hash TEXT PRIMARY KEY,
    principal_id TEXT NOT NULL REFERENCES principals (id),
    created_at TEXT NOT NULL,
    expires_ms INTEGER NOT NULL,
    used_at TEXT
  ) WITHOUT ROWID;
  `,
  // 3: notification outbox (src/server/notify/): one row per request and destination (a Slack
  // channel, ...). It records what was delivered (the message's id there, the last event seq it
  // shows), so a crash or an outage neither loses nor repeats a post, and updates edit that message.
  `
  CREATE TABLE notify_outbox (
    request_id TEXT NOT NULL REFERENCES requests (id),
    destination TEXT NOT NULL,
    target TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('new', 'posting', 'posted', 'failed')),
    ref TEXT,
    rendered_seq INTEGER NOT NULL DEFAULT 0,
    reply TEXT NOT NULL DEFAULT 'none' CHECK (reply IN ('none', 'posting', 'done', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_ms INTEGER NOT NULL DEFAULT 0,
    posting_since_ms INTEGER,
    last_error TEXT,
    done INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    PRIMARY KEY (request_id, destination, target)
  ) WITHOUT ROWID;
  CREATE INDEX notify_outbox_open ON notify_outbox (next_attempt_ms) WHERE done = 0;
  `,
  // 4: audit (docs/audit.md). audit_heads: every host audit log head the service received, with the
  // signed checkpoint it answered (payload JSON + signature, kept as sent); `conflict` marks a head
  // that went back or forked. service_log: the service's own hash-chained signed log, one row per
  // line, the line's exact bytes (the same format as a host log), so a download verifies as a file.
  `
  CREATE TABLE audit_heads (
    id INTEGER PRIMARY KEY,
    log_id TEXT NOT NULL,
    seq INTEGER NOT NULL CHECK (seq >= 0),
    hash TEXT NOT NULL,
    host TEXT NOT NULL,
    principal_id TEXT NOT NULL REFERENCES principals (id),
    principal_name TEXT NOT NULL,
    received_at TEXT NOT NULL,
    conflict TEXT CHECK (conflict IN ('regressed', 'forked')),
    payload TEXT NOT NULL,
    signature TEXT NOT NULL
  );
  CREATE INDEX audit_heads_log ON audit_heads (log_id, seq);
  CREATE INDEX audit_heads_host ON audit_heads (host, log_id);

  CREATE TABLE service_log (
    log TEXT NOT NULL,
    seq INTEGER NOT NULL CHECK (seq >= 0),
    hash TEXT NOT NULL,
    line BLOB NOT NULL,
    PRIMARY KEY (log, seq)
  ) WITHOUT ROWID;
  `,
  // 5: request signatures accepted recently (Slack interactions), kept across restarts so a captured
  // request cannot be replayed after one within its 5-minute window. Rows older than that are purged.
  `
  CREATE TABLE seen_once (
    key TEXT PRIMARY KEY,
    at INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX seen_once_at ON seen_once (at);
  `,
];
