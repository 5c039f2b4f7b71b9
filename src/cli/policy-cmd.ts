import { gateHome } from '../config/paths.js';
import { policySources, readUserConfig } from '../config/resolve.js';
import { gateVersion } from '../config/version.js';
import { loadPolicy } from '../policy/index.js';
import { runPolicyTests } from '../policy/examples.js';
import { sanitize } from '../display.js';

async function loadUncached(files: readonly string[]) {
  const { sources } = policySources(files, process.env, readUserConfig(gateHome()));
  // Always validate from source: `validate` must never answer from a cache.
  return loadPolicy(sources, { version: gateVersion() });
}

/** `gate policy validate [FILES]`: schema, semantics and every rule's examples. */
export async function validateCommand(files: readonly string[]): Promise<number> {
  const policy = await loadUncached(files);
  const examples = policy.set.rules.reduce((n, r) => n + (r.match?.length ?? 0) + (r.not_match?.length ?? 0), 0);
  process.stdout.write(
    `ok: ${policy.set.files.length} file(s), ${policy.set.rules.length} rule(s), ${examples} example(s) checked; unmatched commands: ${policy.set.unmatched}\n`,
  );
  for (const file of policy.set.files) process.stdout.write(`  ${file.path}\n`);
  return 0;
}

/** `gate policy test [FILES]`: runs every `tests:` case (command -> expected decision). */
export async function testCommand(files: readonly string[]): Promise<number> {
  const policy = await loadUncached(files);
  const outcomes = runPolicyTests(policy);
  let failed = 0;
  for (const o of outcomes) {
    const name = o.test.name ?? (typeof o.test.command === 'string' ? o.test.command : JSON.stringify(o.test.command));
    const where = `${o.test.source.file}:${o.test.source.line}`;
    if (o.passed) {
      process.stdout.write(`ok    ${o.actual.padEnd(7)} ${sanitize(name)}\n`);
    } else {
      failed++;
      process.stdout.write(`FAIL  ${sanitize(name)} (${where})\n      expected ${o.expected}, got ${o.actual}${o.rules.length ? ` (rules: ${o.rules.join(', ')})` : ''}\n`);
      if (o.detail) process.stdout.write(`      ${sanitize(o.detail)}\n`);
    }
  }
  if (outcomes.length === 0) process.stdout.write('no tests found: add a `tests:` list to a policy file\n');
  process.stdout.write(`${outcomes.length - failed} passed, ${failed} failed\n`);
  return failed > 0 || outcomes.length === 0 ? 1 : 0;
}
