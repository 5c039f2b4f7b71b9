import type { CiRun } from '../approval/protocol.js';

type Env = Readonly<Record<string, string | undefined>>;

/** Longest value sent per field (the server's limits). */
const LIMITS = { actor: 200, repository: 1000, commit: 200, run_url: 2000 } as const;

/**
 * The CI run this command is part of, from each provider's documented environment variables, so
 * approvers can see which pipeline, repository and commit asks. These are claims made by the
 * environment; the server decides by the token. Undefined outside CI.
 */
export function detectCi(env: Env): CiRun | undefined {
  const v = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  if (v('GITHUB_ACTIONS') === 'true') {
    const server = v('GITHUB_SERVER_URL') ?? 'https://github.com';
    const repo = v('GITHUB_REPOSITORY');
    const runId = v('GITHUB_RUN_ID');
    return run('github-actions', {
      actor: v('GITHUB_TRIGGERING_ACTOR') ?? v('GITHUB_ACTOR'),
      repository: repo,
      commit: v('GITHUB_SHA'),
      run_url: repo !== undefined && runId !== undefined ? `${server}/${repo}/actions/runs/${runId}` : undefined,
    });
  }
  if (v('GITLAB_CI') === 'true') {
    return run('gitlab-ci', {
      actor: v('GITLAB_USER_LOGIN'),
      repository: v('CI_PROJECT_PATH'),
      commit: v('CI_COMMIT_SHA'),
      run_url: v('CI_JOB_URL') ?? v('CI_PIPELINE_URL'),
    });
  }
  if (v('BUILDKITE') === 'true') {
    return run('buildkite', {
      actor: v('BUILDKITE_BUILD_CREATOR') ?? v('BUILDKITE_BUILD_CREATOR_EMAIL'),
      repository: v('BUILDKITE_REPO'),
      commit: v('BUILDKITE_COMMIT'),
      run_url: v('BUILDKITE_BUILD_URL'),
    });
  }
  if (v('JENKINS_URL') !== undefined || v('JENKINS_HOME') !== undefined) {
    return run('jenkins', {
      actor: v('BUILD_USER_ID') ?? v('CHANGE_AUTHOR'),
      repository: v('GIT_URL'),
      commit: v('GIT_COMMIT'),
      run_url: v('BUILD_URL'),
    });
  }
  if (v('CIRCLECI') === 'true') {
    const owner = v('CIRCLE_PROJECT_USERNAME');
    const name = v('CIRCLE_PROJECT_REPONAME');
    return run('circleci', {
      actor: v('CIRCLE_USERNAME'),
      repository: owner !== undefined && name !== undefined ? `${owner}/${name}` : v('CIRCLE_REPOSITORY_URL'),
      commit: v('CIRCLE_SHA1'),
      run_url: v('CIRCLE_BUILD_URL'),
    });
  }
  const ci = v('CI');
  if (ci !== undefined && ci !== '0' && ci.toLowerCase() !== 'false') return { provider: 'unknown' };
  return undefined;
}

function run(provider: CiRun['provider'], fields: { [K in keyof typeof LIMITS]: string | undefined }): CiRun {
  const out: { -readonly [K in keyof CiRun]: CiRun[K] } = { provider };
  for (const key of Object.keys(LIMITS) as (keyof typeof LIMITS)[]) {
    const value = fields[key];
    if (value !== undefined) out[key] = value.slice(0, LIMITS[key]);
  }
  return out;
}
