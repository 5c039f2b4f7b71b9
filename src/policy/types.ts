import type { SignalName } from '../shell/signals.js';
import type { WrapperDoc } from '../shell/wrappers.js';

/**
 * Policy documents as validated from YAML (snake_case, as users write them) and the merged set that
 * the matcher compiles. The JSON Schema in policies/policy.schema.json describes the same shapes.
 */

export type DecisionKind = 'allow' | 'approve' | 'deny';
export type RequesterKind = 'human' | 'agent' | 'ci';

export const DECISION_RANK: Readonly<Record<DecisionKind, number>> = { allow: 0, approve: 1, deny: 2 };

export function stricter(a: DecisionKind, b: DecisionKind): DecisionKind {
  return DECISION_RANK[a] >= DECISION_RANK[b] ? a : b;
}

/** A string is a glob (whole-value match); objects name the flavour explicitly. */
export type PatternDoc =
  | string
  | { readonly glob: string; readonly ignore_case?: boolean }
  | { readonly regex: string; readonly ignore_case?: boolean };
export type PatternListDoc = PatternDoc | readonly PatternDoc[];

export interface OptionConditionDoc {
  readonly name: string | readonly string[];
  readonly value?: PatternListDoc;
}

export interface ConditionsDoc {
  readonly program?: PatternListDoc;
  readonly subcommand?: readonly PatternListDoc[];
  readonly flags?: readonly string[];
  readonly options?: OptionConditionDoc | readonly OptionConditionDoc[];
  readonly args?: PatternListDoc;
  readonly env?: Readonly<Record<string, PatternListDoc>>;
  readonly cwd?: PatternListDoc;
  readonly requester?: RequesterKind | readonly RequesterKind[];
}

export interface ApproverDoc {
  readonly group: string;
  readonly count?: number;
}

/**
 * Where the approval service announces a request: Slack channels, and names of Teams / webhook
 * destinations defined in the server's config (their URLs are secrets, so policies only name them).
 */
export interface NotifyDoc {
  readonly slack?: readonly string[];
  readonly teams?: readonly string[];
  readonly webhook?: readonly string[];
}

export interface ApprovalDoc {
  readonly from?: readonly ApproverDoc[];
  readonly expires?: string;
  readonly reason_required?: boolean;
  readonly on_behalf_may_approve?: boolean;
  readonly notify?: NotifyDoc;
  /** Approving needs a sign-in this recent, e.g. 10m (high-risk rules); Slack clicks are sent to the web page. */
  readonly reauth?: string;
  /** Remind the channels this long before expiry, e.g. 5m; false or 0 turns the reminder off. */
  readonly remind_before?: string | false | 0;
  /** After a delay, a second group may satisfy the requirement instead (see docs/policy.md). */
  readonly escalate?: EscalateDoc;
}

export interface EscalateDoc {
  readonly after: string;
  readonly to: readonly ApproverDoc[];
  /** Where the escalation is announced (a new post); absent: only the existing messages change. */
  readonly notify?: NotifyDoc;
}

/** A sample command: shell text, or an exact argv list, with the context it runs in. */
export type ExampleDoc =
  | string
  | readonly string[]
  | {
      readonly command: string | readonly string[];
      readonly env?: Readonly<Record<string, string>>;
      readonly cwd?: string;
      readonly requester?: RequesterKind;
    };

export interface RuleDoc extends ConditionsDoc {
  readonly id: string;
  readonly description?: string;
  readonly decision: DecisionKind;
  readonly message?: string;
  readonly approval?: ApprovalDoc;
  /** Record commands this rule matches in the audit log even when they are allowed. */
  readonly audit?: boolean;
  readonly unless?: ConditionsDoc | readonly ConditionsDoc[];
  readonly match?: readonly ExampleDoc[];
  readonly not_match?: readonly ExampleDoc[];
}

export interface ProgramDoc {
  readonly value_options?: readonly string[];
  readonly flag_options?: readonly string[];
  readonly optional_value_options?: readonly string[];
  readonly long_option_prefixes?: boolean;
  readonly single_dash_long_options?: boolean;
}

export interface TestDoc {
  readonly name?: string;
  readonly command: string | readonly string[];
  readonly decision: DecisionKind;
  readonly rules?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
  readonly requester?: RequesterKind;
}

/** The decision for a fail-closed signal: never `allow` (escape hatches are narrow and explicit). */
export type FailClosedDecision = 'approve' | 'deny';

/** A script file a shell may run (or `source`) without approval, pinned by the sha256 of its content. */
export interface AllowScriptDoc {
  /** Absolute, or relative to the working directory of the command. */
  readonly path: string;
  readonly sha256: string;
  readonly description?: string;
}

export type { WrapperDoc };

export interface PolicyFileDoc {
  readonly version: 1;
  readonly include?: readonly string[];
  readonly defaults?: {
    readonly unmatched?: DecisionKind;
    /** Record every allowed command in the audit log (denied and approved ones always are). */
    readonly audit_allowed?: boolean;
    readonly approval?: ApprovalDoc;
    /** Decision for every fail-closed signal of the shell analysis (default approve). */
    readonly fail_closed?: FailClosedDecision;
    /** Per-signal decisions, e.g. { interpreter-inline-code: deny }. */
    readonly signals?: Readonly<Partial<Record<SignalName, FailClosedDecision>>>;
  };
  readonly allow_scripts?: readonly AllowScriptDoc[];
  readonly wrappers?: readonly WrapperDoc[];
  readonly programs?: Readonly<Record<string, ProgramDoc>>;
  readonly rules?: readonly RuleDoc[];
  readonly tests?: readonly TestDoc[];
}

export interface SourceRef {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

/** Approval requirements after defaults are applied; what the approval service enforces. */
export interface ApprovalRequirement {
  readonly from: readonly { readonly group: string; readonly count: number }[];
  readonly expiresSeconds: number;
  readonly reasonRequired: boolean;
  readonly onBehalfMayApprove: boolean;
  /** Destinations named by the rules that asked (each kind merged); absent: the server's defaults. */
  readonly notify?: NotifyTargets;
  /** Seconds; absent when no rule asks for a fresh sign-in. */
  readonly reauthSeconds?: number;
  /** Seconds before expiry; 0: no reminder; absent: the default lead (see server/reminders). */
  readonly remindBeforeSeconds?: number;
  /** An alternative quorum that counts once the request has waited `afterSeconds`. */
  readonly escalate?: Escalation;
}

export interface Escalation {
  readonly afterSeconds: number;
  readonly to: readonly { readonly group: string; readonly count: number }[];
  readonly notify?: NotifyTargets;
}

export interface NotifyTargets {
  readonly slack: readonly string[];
  readonly teams: readonly string[];
  readonly webhook: readonly string[];
}

/** The merged, validated policy set: plain JSON, so it can be cached between runs. */
export interface PolicySet {
  readonly files: readonly { readonly path: string; readonly sha256: string }[];
  readonly unmatched: DecisionKind;
  /** Some file asked for every allowed command to be audited. */
  readonly auditAllowed: boolean;
  readonly defaultApproval: ApprovalRequirement;
  /** Decision for signals without their own entry; across files the strictest wins. */
  readonly failClosed: FailClosedDecision;
  readonly signals: Readonly<Partial<Record<SignalName, FailClosedDecision>>>;
  readonly allowScripts: readonly (AllowScriptDoc & { readonly source: SourceRef })[];
  readonly wrappers: readonly WrapperDoc[];
  readonly programs: Readonly<Record<string, ProgramDoc>>;
  readonly rules: readonly (RuleDoc & { readonly source: SourceRef })[];
  readonly tests: readonly (TestDoc & { readonly source: SourceRef })[];
  /** sha256 over the canonical content of every file, recorded with each decision. */
  readonly digest: string;
}
