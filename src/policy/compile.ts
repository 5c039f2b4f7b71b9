import type { Conditions } from './match.js';
import { compilePatterns, type Pattern } from './pattern.js';
import { BUILTIN_PROGRAMS, buildProgramSpec, type ProgramSpec } from './programs.js';
import { parseDuration } from './duration.js';
import { resolveNotify, withNotify } from './notify.js';
import type { SignalName } from '../shell/signals.js';
import type {
  AllowScriptDoc,
  FailClosedDecision,
  WrapperDoc,
  ApprovalDoc,
  ApprovalRequirement,
  ConditionsDoc,
  DecisionKind,
  EscalateDoc,
  Escalation,
  PolicySet,
  RequesterKind,
  SourceRef,
} from './types.js';

export interface CompiledRule {
  /** Position in the merged policy, for stable, file-order output. */
  readonly ordinal: number;
  readonly id: string;
  readonly description: string | undefined;
  readonly decision: DecisionKind;
  readonly message: string | undefined;
  readonly approval: ApprovalRequirement;
  /** Audit this rule's matches even when they are allowed. */
  readonly audit: boolean;
  readonly source: SourceRef;
  readonly when: Conditions;
  /** Exceptions: the rule does not match where any of these holds. */
  readonly unless: readonly Conditions[];
  /** Cheap pre-check on the program name alone (undefined: unknown, may be anything). */
  programMayMatch(program: string | undefined): boolean;
}

/** An immutable, indexed policy: rules are looked up by program name, never scanned wholesale. */
export interface CompiledPolicy {
  readonly set: PolicySet;
  readonly rules: readonly CompiledRule[];
  readonly byProgram: ReadonlyMap<string, readonly CompiledRule[]>;
  /** Rules whose program condition is absent or a pattern: candidates for every invocation. */
  readonly anyProgram: readonly CompiledRule[];
  specFor(program: string | undefined): ProgramSpec;
  /** The policy's decision for a fail-closed signal (merged per signal when the set was built). */
  signalDecision(name: SignalName): FailClosedDecision;
  readonly allowScripts: readonly (AllowScriptDoc & { readonly source: SourceRef })[];
  /** Site-specific wrappers, for the analyzer (in addition to its built-in table). */
  readonly wrappers: readonly WrapperDoc[];
}

const PLAIN_NAME = /^[^*?[\\]+$/;

/**
 * A rule whose patterns are compiled on first use: a command only ever touches the rules indexed
 * under its program, so a large policy costs nothing for the rules a command cannot match.
 */
class LazyRule implements CompiledRule {
  readonly id: string;
  readonly description: string | undefined;
  readonly decision: DecisionKind;
  readonly message: string | undefined;
  readonly audit: boolean;
  readonly source: SourceRef;
  private programPatterns: readonly Pattern[] | null | undefined;
  private compiled: { when: Conditions; unless: readonly Conditions[]; approval: ApprovalRequirement } | undefined;

  constructor(
    private readonly doc: PolicySet['rules'][number],
    readonly ordinal: number,
    private readonly defaultApproval: ApprovalRequirement,
  ) {
    this.id = doc.id;
    this.description = doc.description;
    this.decision = doc.decision;
    this.message = doc.message;
    this.audit = doc.audit === true;
    this.source = doc.source;
  }

  private get parts(): { when: Conditions; unless: readonly Conditions[]; approval: ApprovalRequirement } {
    const doc = this.doc;
    this.compiled ??= {
      when: compileConditions(doc),
      unless: doc.unless === undefined ? [] : (Array.isArray(doc.unless) ? doc.unless : [doc.unless]).map(compileConditions),
      approval: resolveApproval(doc.approval, this.defaultApproval),
    };
    return this.compiled;
  }

  // Rules indexed under "any program" (a pattern or no program condition) are checked for every
  // command: test the program first and compile the rest of the rule only when it can matter.
  programMayMatch(program: string | undefined): boolean {
    if (program === undefined) return true;
    this.programPatterns ??= this.doc.program === undefined ? null : compilePatterns(this.doc.program);
    return this.programPatterns === null || this.programPatterns.some((p) => p.test(program));
  }

  get when(): Conditions {
    return this.parts.when;
  }
  get unless(): readonly Conditions[] {
    return this.parts.unless;
  }
  get approval(): ApprovalRequirement {
    return this.parts.approval;
  }
}

export function compilePolicy(set: PolicySet): CompiledPolicy {
  const rules = set.rules.map((doc, ordinal) => new LazyRule(doc, ordinal, set.defaultApproval));
  const byProgram = new Map<string, CompiledRule[]>();
  const anyProgram: CompiledRule[] = [];
  for (const rule of rules) {
    const names = exactProgramNames(set.rules[rule.ordinal]!.program);
    if (names === null) {
      anyProgram.push(rule);
      continue;
    }
    for (const name of names) {
      const list = byProgram.get(name);
      if (list === undefined) byProgram.set(name, [rule]);
      else if (!list.includes(rule)) list.push(rule);
    }
  }

  const specs = new Map<string, ProgramSpec>();
  const specFor = (program: string | undefined): ProgramSpec => {
    const key = program ?? '';
    let spec = specs.get(key);
    if (spec === undefined) {
      // Own properties only: a program named "constructor" must not pick up Object.prototype.
      const docs = [BUILTIN_PROGRAMS, set.programs].filter((table) => Object.hasOwn(table, key)).map((table) => table[key]!);
      spec = buildProgramSpec(docs);
      specs.set(key, spec);
    }
    return spec;
  };

  // Sets cached or built by older code may lack the analysis fields: the safe defaults apply.
  const failClosed = set.failClosed ?? 'approve';
  const signals = set.signals ?? {};
  const signalDecision = (name: SignalName): FailClosedDecision => (Object.hasOwn(signals, name) ? signals[name]! : failClosed);
  return { set, rules, byProgram, anyProgram, specFor, signalDecision, allowScripts: set.allowScripts ?? [], wrappers: set.wrappers ?? [] };
}

function exactProgramNames(doc: ConditionsDoc['program']): string[] | null {
  if (doc === undefined) return null;
  const list = Array.isArray(doc) ? doc : [doc];
  const names: string[] = [];
  for (const p of list) {
    if (typeof p !== 'string' || !PLAIN_NAME.test(p)) return null;
    names.push(p);
  }
  return names;
}

export function compileConditions(doc: ConditionsDoc): Conditions {
  const options = doc.options === undefined ? [] : Array.isArray(doc.options) ? doc.options : [doc.options];
  return {
    program: doc.program === undefined ? null : compilePatterns(doc.program),
    subcommand: doc.subcommand === undefined ? null : doc.subcommand.map(compilePatterns),
    flags: doc.flags === undefined ? null : [...doc.flags],
    options: options.map((o) => ({
      names: typeof o.name === 'string' ? [o.name] : [...o.name],
      values: o.value === undefined ? null : compilePatterns(o.value),
    })),
    args: doc.args === undefined ? null : compilePatterns(doc.args),
    env: Object.entries(doc.env ?? {}).map(([name, patterns]) => ({ name, patterns: compilePatterns(patterns) })),
    cwd: doc.cwd === undefined ? null : compilePatterns(doc.cwd),
    requester:
      doc.requester === undefined
        ? null
        : new Set<RequesterKind>(typeof doc.requester === 'string' ? [doc.requester] : doc.requester),
  };
}

export const BUILTIN_APPROVAL: ApprovalRequirement = {
  from: [],
  expiresSeconds: 15 * 60,
  reasonRequired: false,
  onBehalfMayApprove: false,
};

/** Applies defaults field by field; a rule's own setting replaces the default for that field. */
export function resolveApproval(doc: ApprovalDoc | undefined, base: ApprovalRequirement): ApprovalRequirement {
  if (doc === undefined) return base;
  const reauthSeconds = doc.reauth === undefined ? base.reauthSeconds : parseDuration(doc.reauth) ?? base.reauthSeconds;
  return {
    from: doc.from === undefined ? base.from : doc.from.map((a) => ({ group: a.group, count: a.count ?? 1 })),
    expiresSeconds: doc.expires === undefined ? base.expiresSeconds : parseDuration(doc.expires) ?? base.expiresSeconds,
    reasonRequired: doc.reason_required ?? base.reasonRequired,
    onBehalfMayApprove: doc.on_behalf_may_approve ?? base.onBehalfMayApprove,
    ...withNotify(resolveNotify(doc.notify, base.notify)),
    ...(reauthSeconds !== undefined ? { reauthSeconds } : {}),
    ...withRemind(doc.remind_before === undefined ? base.remindBeforeSeconds : remindSeconds(doc.remind_before)),
    ...withEscalation(doc.escalate === undefined ? base.escalate : resolveEscalation(doc.escalate)),
  };
}

/** `false` and 0 turn the reminder off (0 s); a duration is its seconds. */
const remindSeconds = (v: string | false | 0): number | undefined => (v === false || v === 0 ? 0 : parseDuration(v));

const withRemind = (seconds: number | undefined): { remindBeforeSeconds?: number } => (seconds === undefined ? {} : { remindBeforeSeconds: seconds });

const withEscalation = (escalate: Escalation | undefined): { escalate?: Escalation } => (escalate === undefined ? {} : { escalate });

/** An escalation's own notify names only where the escalation is announced: no inheritance from the request's. */
function resolveEscalation(doc: EscalateDoc): Escalation | undefined {
  const afterSeconds = parseDuration(doc.after);
  if (afterSeconds === undefined) return undefined;
  return {
    afterSeconds,
    to: doc.to.map((a) => ({ group: a.group, count: a.count ?? 1 })),
    ...withNotify(resolveNotify(doc.notify, undefined)),
  };
}
