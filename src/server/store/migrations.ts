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
];
