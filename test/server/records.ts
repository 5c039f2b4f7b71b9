import type { RequestEventType } from '../../src/approval/protocol.js';
import type { RenderedTransition } from '../../src/server/store/store.js';
import type { PrincipalRecord, RequestRecord } from '../../src/server/types.js';
import { toApprovalRequest } from '../../src/server/wire.js';

/** A plain pending request record for store-level tests (no policy or service involved). */
export function pendingRecord(id: string, requester: PrincipalRecord, options: { expiresAt?: string; createdAt?: string } = {}): RequestRecord {
  const created = options.createdAt ?? '2030-01-01T00:00:00.000Z';
  return {
    id,
    status: 'pending',
    created_at: created,
    expires_at: options.expiresAt ?? '2030-01-01T00:10:00.000Z',
    requester_id: requester.id,
    requester: { name: requester.name, kind: requester.kind, groups: [...requester.groups] },
    command: { argv: ['kubectl', 'delete', 'ns', 'x'], cwd: '/srv', host: 'h', program_path: '/usr/bin/kubectl' },
    command_digest: 'sha256:00',
    context: { os_user: 'u', custom: { ticket: 'OPS-1' }, env: { PGHOST: 'db' }, gate_version: '0.1.0' },
    requirement: { from: [], expires_seconds: 600, reason_required: false, on_behalf_may_approve: false },
    rules: [{ id: 'k8s-delete', decision: 'approve', source: 'server' }],
    client_decision: { decision: 'approve', rules: ['x'], requirement: { from: [], expires_seconds: 600, reason_required: false, on_behalf_may_approve: false }, policy_digest: 'd' },
    policy_digest: 'p',
    approvals: [],
    questions: [],
  };
}

export function rendered(next: RequestRecord, events: RequestEventType[], at = '2030-01-01T00:00:00.000Z'): RenderedTransition {
  return { next, events, at, snapshot: toApprovalRequest(next, 'http://test') };
}
