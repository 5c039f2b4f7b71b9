import '../bundle-layout.js'; // see src/bundle-layout.ts
import { createHash } from 'node:crypto';
import { PolicyError, type PolicyIssue } from '../errors.js';
import { BUILTIN_APPROVAL, compilePolicy, resolveApproval, type CompiledPolicy } from './compile.js';
import { mergeApprovals } from './decide.js';
import { parseDuration } from './duration.js';
import { ruleFiresOn, toSample } from './examples.js';
import type { ParsedFile } from './load-files.js';
import { compilePattern } from './pattern.js';
import { checkSchema } from './schema-check.js';
import { isSignalName, SIGNAL_NAMES, type SignalName } from '../shell/signals.js';
import { locate, type FieldPath, formatField } from './source-map.js';
import { stricter, type ApprovalDoc, type ConditionsDoc, type DecisionKind, type FailClosedDecision, type PatternDoc, type PolicyFileDoc, type PolicySet, type RuleDoc, type WrapperDoc } from './types.js';

/**
 * Turns parsed files into one validated PolicySet, or throws a PolicyError listing every problem.
 * Nothing is dropped or defaulted silently: an unknown key, a bad pattern, a duplicate id or a
 * rule whose own examples disagree with it makes the whole set invalid.
 */
export function buildPolicySet(files: readonly ParsedFile[]): { set: PolicySet; compiled: CompiledPolicy } {
  const issues: PolicyIssue[] = [];
  const valid: { file: ParsedFile; doc: PolicyFileDoc }[] = [];
  for (const file of files) {
    const schemaIssues = checkSchema(file);
    if (schemaIssues.length > 0) {
      issues.push(...schemaIssues);
      continue;
    }
    const doc = file.data as PolicyFileDoc;
    issues.push(...checkSemantics(file, doc));
    valid.push({ file, doc });
  }
  issues.push(...duplicateIds(valid));
  if (issues.length > 0) throw new PolicyError(issues);

  const set = mergeFiles(valid);
  const compiled = compilePolicy(set);
  const exampleIssues = checkExamples(compiled, valid);
  if (exampleIssues.length > 0) throw new PolicyError(exampleIssues, 'the rule does not do what its examples say: fix the rule or the example');
  return { set, compiled };
}

function issueAt(file: ParsedFile, path: FieldPath, message: string): PolicyIssue {
  return { file: file.display, ...locate(file.doc, file.lines, path), field: formatField(path), message };
}

function checkSemantics(file: ParsedFile, doc: PolicyFileDoc): PolicyIssue[] {
  const issues: PolicyIssue[] = [];
  const checkPatterns = (value: unknown, path: FieldPath): void => {
    const list = Array.isArray(value) ? value : [value];
    list.forEach((p, i) => {
      try {
        compilePattern(p as PatternDoc);
      } catch (error) {
        issues.push(issueAt(file, Array.isArray(value) ? [...path, i] : path, `invalid pattern: ${(error as Error).message}`));
      }
    });
  };
  const checkConditions = (c: ConditionsDoc, path: FieldPath): void => {
    if (c.program !== undefined) checkPatterns(c.program, [...path, 'program']);
    c.subcommand?.forEach((s, i) => checkPatterns(s, [...path, 'subcommand', i]));
    if (c.args !== undefined) checkPatterns(c.args, [...path, 'args']);
    if (c.cwd !== undefined) checkPatterns(c.cwd, [...path, 'cwd']);
    for (const [name, value] of Object.entries(c.env ?? {})) checkPatterns(value, [...path, 'env', name]);
    const options = c.options === undefined ? [] : Array.isArray(c.options) ? c.options : [c.options];
    options.forEach((o, i) => {
      if (o.value !== undefined) checkPatterns(o.value, Array.isArray(c.options) ? [...path, 'options', i, 'value'] : [...path, 'options', 'value']);
    });
  };
  const checkApproval = (a: ApprovalDoc | undefined, path: FieldPath): void => {
    if (a?.expires !== undefined && parseDuration(a.expires) === undefined) {
      issues.push(issueAt(file, [...path, 'expires'], `invalid duration "${a.expires}"; use e.g. 90s, 15m, 1h30m, 2d`));
    }
    if (a?.reauth !== undefined && parseDuration(a.reauth) === undefined) {
      issues.push(issueAt(file, [...path, 'reauth'], `invalid duration "${a.reauth}"; use e.g. 5m, 10m, 1h`));
    }
    if (typeof a?.remind_before === 'string' && parseDuration(a.remind_before) === undefined) {
      issues.push(issueAt(file, [...path, 'remind_before'], `invalid duration "${a.remind_before}"; use e.g. 5m, or false for no reminder`));
    }
    if (a?.escalate !== undefined) {
      const after = parseDuration(a.escalate.after);
      const expires = a.expires === undefined ? undefined : parseDuration(a.expires);
      if (after === undefined) issues.push(issueAt(file, [...path, 'escalate', 'after'], `invalid duration "${a.escalate.after}"; use e.g. 10m`));
      // An escalation due at or after the expiry could never take effect: a silent no-op is a trap.
      else if (expires !== undefined && after >= expires) {
        issues.push(issueAt(file, [...path, 'escalate', 'after'], `escalate.after (${a.escalate.after}) must be shorter than expires (${a.expires})`));
      }
    }
  };
  checkApproval(doc.defaults?.approval, ['defaults', 'approval']);
  // The schema already rejects these; checked again because a signal must never allow.
  if ((doc.defaults?.fail_closed as string | undefined) === 'allow') {
    issues.push(issueAt(file, ['defaults', 'fail_closed'], 'fail_closed cannot be allow: a command gate cannot see into is never allowed blindly; use allow_scripts for specific scripts'));
  }
  for (const [name, decision] of Object.entries(doc.defaults?.signals ?? {})) {
    if (!isSignalName(name)) issues.push(issueAt(file, ['defaults', 'signals', name], `unknown signal "${name}"; known signals: ${SIGNAL_NAMES.join(', ')}`));
    if ((decision as string) === 'allow') issues.push(issueAt(file, ['defaults', 'signals', name], `signal ${name} cannot be allow; use approve or deny`));
  }
  doc.rules?.forEach((rule, i) => {
    const path = ['rules', i];
    checkConditions(rule, path);
    const unless = rule.unless === undefined ? [] : Array.isArray(rule.unless) ? rule.unless : [rule.unless];
    unless.forEach((u, j) => checkConditions(u, Array.isArray(rule.unless) ? [...path, 'unless', j] : [...path, 'unless']));
    checkApproval(rule.approval, [...path, 'approval']);
    if (rule.decision !== 'approve' && rule.approval !== undefined) {
      issues.push(issueAt(file, [...path, 'approval'], `"approval" only applies to rules with decision: approve (this rule is ${rule.decision})`));
    }
  });
  return issues;
}

function duplicateIds(files: readonly { file: ParsedFile; doc: PolicyFileDoc }[]): PolicyIssue[] {
  const first = new Map<string, string>();
  const issues: PolicyIssue[] = [];
  for (const { file, doc } of files) {
    doc.rules?.forEach((rule, i) => {
      const at = locate(file.doc, file.lines, ['rules', i, 'id']);
      const previous = first.get(rule.id);
      if (previous !== undefined) issues.push({ file: file.display, ...at, field: `rules[${i}].id`, message: `duplicate rule id "${rule.id}" (first defined at ${previous})` });
      else first.set(rule.id, `${file.display}:${at.line}`);
    });
  }
  return issues;
}

function mergeFiles(files: readonly { file: ParsedFile; doc: PolicyFileDoc }[]): PolicySet {
  let unmatched: DecisionKind | undefined;
  let auditAllowed = false;
  const approvals = [];
  const programs: Record<string, { value_options: string[]; flag_options: string[]; optional_value_options: string[]; long_option_prefixes: boolean; single_dash_long_options: boolean }> = Object.create(null);
  const rules: PolicySet['rules'][number][] = [];
  const tests: PolicySet['tests'][number][] = [];
  let failClosed: FailClosedDecision = 'approve';
  const signals: Partial<Record<SignalName, FailClosedDecision>> = Object.create(null);
  const allowScripts: PolicySet['allowScripts'][number][] = [];
  const wrappers: WrapperDoc[] = [];
  for (const { file, doc } of files) {
    auditAllowed ||= doc.defaults?.audit_allowed === true;
    if (doc.defaults?.unmatched !== undefined) unmatched = unmatched === undefined ? doc.defaults.unmatched : stricter(unmatched, doc.defaults.unmatched);
    // Fail-closed decisions: a file's per-signal entry overrides its own fail_closed; across
    // files the strictest wins, so a file can make a signal stricter, never looser.
    const fileDefault = doc.defaults?.fail_closed;
    if (fileDefault !== undefined) failClosed = stricter(failClosed, fileDefault) as FailClosedDecision;
    for (const name of SIGNAL_NAMES) {
      const own = doc.defaults?.signals?.[name] ?? fileDefault;
      if (own === undefined) continue;
      const previous = signals[name];
      signals[name] = previous === undefined ? own : (stricter(previous, own) as FailClosedDecision);
    }
    doc.allow_scripts?.forEach((entry, i) => {
      allowScripts.push({ path: entry.path, sha256: entry.sha256.toLowerCase(), ...(entry.description === undefined ? {} : { description: entry.description }), source: { file: file.display, ...locate(file.doc, file.lines, ['allow_scripts', i]) } });
    });
    for (const wrapper of doc.wrappers ?? []) wrappers.push(copyWrapper(wrapper));
    if (doc.defaults?.approval !== undefined) approvals.push(resolveApproval(doc.defaults.approval, BUILTIN_APPROVAL));
    for (const [name, spec] of Object.entries(doc.programs ?? {})) {
      const target = (programs[name] ??= { value_options: [], flag_options: [], optional_value_options: [], long_option_prefixes: false, single_dash_long_options: false });
      target.value_options.push(...(spec.value_options ?? []));
      target.flag_options.push(...(spec.flag_options ?? []));
      target.optional_value_options.push(...(spec.optional_value_options ?? []));
      target.long_option_prefixes ||= spec.long_option_prefixes === true;
      target.single_dash_long_options ||= spec.single_dash_long_options === true;
    }
    doc.rules?.forEach((rule, i) => rules.push({ ...copyRule(rule), source: { file: file.display, ...locate(file.doc, file.lines, ['rules', i]) } }));
    doc.tests?.forEach((test, i) => tests.push({ ...test, source: { file: file.display, ...locate(file.doc, file.lines, ['tests', i]) } }));
  }
  const fileList = files.map(({ file }) => ({ path: file.path, sha256: file.sha256 }));
  const digest = createHash('sha256');
  for (const f of fileList) digest.update(`${f.sha256}  ${f.path}\n`);
  return {
    files: fileList,
    unmatched: unmatched ?? 'allow',
    auditAllowed,
    defaultApproval: mergeApprovals(approvals, BUILTIN_APPROVAL),
    failClosed,
    signals: { ...signals },
    allowScripts,
    wrappers,
    programs: { ...programs },
    rules,
    tests,
    digest: digest.digest('hex'),
  };
}

const WRAPPER_KEYS = ['name', 'value_options', 'flag_options', 'optional_value_options', 'command_options', 'env_options', 'no_exec_options', 'shell_options', 'operands', 'assignments', 'runs', 'shell_without_command', 'unknown_options', 'long_option_prefixes', 'numeric_flags'] as const;

/** Copies known keys only (the analyzer reads these as data). */
function copyWrapper(doc: WrapperDoc): WrapperDoc {
  const out: Record<string, unknown> = {};
  for (const key of WRAPPER_KEYS) if (doc[key] !== undefined) out[key] = doc[key];
  return out as unknown as WrapperDoc;
}

/** Copies known keys only, so nothing but validated fields reaches the matcher. */
function copyRule(rule: RuleDoc): RuleDoc {
  const { id, description, decision, message, approval, audit, program, subcommand, flags, options, args, env, cwd, requester, unless, match, not_match } = rule;
  const out: Record<string, unknown> = { id, description, decision, message, approval, audit, program, subcommand, flags, options, args, env, cwd, requester, unless, match, not_match };
  for (const key of Object.keys(out)) if (out[key] === undefined) delete out[key];
  return out as unknown as RuleDoc;
}

function checkExamples(compiled: CompiledPolicy, files: readonly { file: ParsedFile; doc: PolicyFileDoc }[]): PolicyIssue[] {
  const issues: PolicyIssue[] = [];
  let ordinal = 0;
  for (const { file, doc } of files) {
    for (const [i, ruleDoc] of (doc.rules ?? []).entries()) {
      const rule = compiled.rules[ordinal++]!;
      for (const [kind, list] of [['match', ruleDoc.match], ['not_match', ruleDoc.not_match]] as const) {
        list?.forEach((example, j) => {
          const path = ['rules', i, kind, j];
          try {
            const sample = toSample(example, compiled.wrappers);
            const fires = ruleFiresOn(compiled, rule, sample);
            if (kind === 'match' && !fires) issues.push(issueAt(file, path, `rule "${rule.id}" does not match its example ${sample.display}`));
            if (kind === 'not_match' && fires) issues.push(issueAt(file, path, `rule "${rule.id}" matches ${sample.display}, listed under not_match`));
          } catch (error) {
            issues.push(issueAt(file, path, (error as Error).message));
          }
        });
      }
    }
  }
  return issues;
}
