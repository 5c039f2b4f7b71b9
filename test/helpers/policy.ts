import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readPolicyFiles } from '../../src/policy/load-files.js';
import { buildPolicySet } from '../../src/policy/validate.js';
import { decide, type Decision } from '../../src/policy/decide.js';
import type { CompiledPolicy } from '../../src/policy/compile.js';
import type { MatchContext } from '../../src/policy/match.js';
import { analyzeTextSync } from '../../src/shell/analyze.js';
import { invocationFromArgv, type Invocation } from '../../src/shell/types.js';

const dir = mkdtempSync(join(tmpdir(), 'gate-policy-unit-'));
let counter = 0;

/** Writes YAML to a temp file and returns its path. */
export function policyFile(yaml: string, name?: string): string {
  const path = join(dir, name ?? `p${counter++}.yaml`);
  writeFileSync(path, yaml);
  return path;
}

/** Loads and validates policy YAML through the real loader (no cache). */
export function compileYaml(yaml: string): CompiledPolicy {
  return buildPolicySet(readPolicyFiles([policyFile(yaml)])).compiled;
}

export const CTX: MatchContext = { env: {}, cwd: '/home/dev/project', requester: 'human' };

export function decideArgv(policy: CompiledPolicy, argv: readonly string[], ctx: Partial<MatchContext> = {}): Decision {
  return decide(policy, [invocationFromArgv(argv)], { ...CTX, ...ctx });
}

/** Shell text -> invocations, for cases with words that cannot be known statically. */
export function decideShell(policy: CompiledPolicy, text: string, ctx: Partial<MatchContext> = {}): Decision {
  const invocations: readonly Invocation[] = analyzeTextSync(text).invocations;
  return decide(policy, invocations, { ...CTX, ...ctx });
}

export function ruleIds(decision: Decision): string[] {
  return [...new Set(decision.matches.map((m) => m.rule.id))].sort();
}
