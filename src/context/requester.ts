import type { RequesterKind } from '../policy/types.js';
import type { UserConfig } from '../config/resolve.js';

/** Environment markers set by coding agents when they run shell commands. */
const AGENT_MARKERS = ['GATE_AGENT', 'CLAUDECODE', 'GEMINI_CLI', 'CODEX_SANDBOX', 'CURSOR_AGENT'];
const CI_MARKERS = ['CI', 'GITHUB_ACTIONS', 'GITLAB_CI', 'BUILDKITE', 'JENKINS_URL', 'CIRCLECI'];

/**
 * Who is asking, as far as this machine can tell. It is a claim: the approval service decides by
 * the caller's token. Explicit settings win; an agent marker beats CI (an agent in CI is an agent).
 */
export function detectRequester(env: NodeJS.ProcessEnv, config: UserConfig): RequesterKind {
  const explicit = env.GATE_REQUESTER_KIND ?? config.identity?.kind;
  if (explicit === 'human' || explicit === 'agent' || explicit === 'ci') return explicit;
  if (AGENT_MARKERS.some((name) => truthy(env[name]))) return 'agent';
  if (CI_MARKERS.some((name) => truthy(env[name]))) return 'ci';
  return 'human';
}

function truthy(value: string | undefined): boolean {
  return value !== undefined && value !== '' && value !== '0' && value.toLowerCase() !== 'false';
}
