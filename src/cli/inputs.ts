import { cacheDir, gateHome } from '../config/paths.js';
import { policySources, readUserConfig, type UserConfig } from '../config/resolve.js';
import { gateVersion } from '../config/version.js';
import { detectRequester } from '../context/requester.js';
import { loadPolicy, type CompiledPolicy, type MatchContext } from '../policy/index.js';

/** Everything a decision depends on besides the command itself. */
export interface DecisionInputs {
  readonly config: UserConfig;
  readonly policy: CompiledPolicy;
  readonly ctx: MatchContext;
}

export async function loadDecisionInputs(policyFlags: readonly string[]): Promise<DecisionInputs> {
  const home = gateHome();
  const config = readUserConfig(home);
  const { sources } = policySources(policyFlags, process.env, config);
  const policy = await loadPolicy(sources, { cacheDir: cacheDir(home), version: gateVersion() });
  const ctx: MatchContext = { env: process.env, cwd: process.cwd(), requester: detectRequester(process.env, config) };
  return { config, policy, ctx };
}
