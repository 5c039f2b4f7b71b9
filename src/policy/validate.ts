import { createHash } from 'node:crypto';
import { PolicyError, type PolicyIssue } from '../errors.js';
import { BUILTIN_APPROVAL, compilePolicy, resolveApproval, type CompiledPolicy } from './compile.js';
import { mergeApprovals } from './decide.js';
import { parseDuration } from './duration.js';
import { ruleFiresOn, toSample } from './examples.js';
import type { ParsedFile } from './load-files.js';
import { compilePattern } from './pattern.js';
import { checkSchema } from './schema-check.js';
import { locate, type FieldPath, formatField } from './source-map.js';
import { stricter, type ApprovalDoc, type ConditionsDoc, type DecisionKind, type PatternDoc, type PolicyFileDoc, type PolicySet, type RuleDoc } from './types.js';

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
  };
  checkApproval(doc.defaults?.approval, ['defaults', 'approval']);
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
  const approvals = [];
  const programs: Record<string, { value_options: string[]; flag_options: string[]; optional_value_options: string[]; long_option_prefixes: boolean; single_dash_long_options: boolean }> = Object.create(null);
  const rules: PolicySet['rules'][number][] = [];
  const tests: PolicySet['tests'][number][] = [];
  for (const { file, doc } of files) {
    if (doc.defaults?.unmatched !== undefined) unmatched = unmatched === undefined ? doc.defaults.unmatched : stricter(unmatched, doc.defaults.unmatched);
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
    defaultApproval: mergeApprovals(approvals, BUILTIN_APPROVAL),
    programs: { ...programs },
    rules,
    tests,
    digest: digest.digest('hex'),
  };
}

/** Copies known keys only, so nothing but validated fields reaches the matcher. */
function copyRule(rule: RuleDoc): RuleDoc {
  const { id, description, decision, message, approval, program, subcommand, flags, options, args, env, cwd, requester, unless, match, not_match } = rule;
  const out: Record<string, unknown> = { id, description, decision, message, approval, program, subcommand, flags, options, args, env, cwd, requester, unless, match, not_match };
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
            const sample = toSample(example);
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
