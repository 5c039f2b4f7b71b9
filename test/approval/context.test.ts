import { describe, expect, it } from 'vitest';
import { ApprovalError } from '../../src/approval/errors.js';
import { detectCi } from '../../src/context/ci.js';
import { parseContextPairs } from '../../src/context/custom.js';

describe('detectCi', () => {
  it.each([
    [
      'GitHub Actions',
      { CI: 'true', GITHUB_ACTIONS: 'true', GITHUB_ACTOR: 'octocat', GITHUB_REPOSITORY: 'acme/api', GITHUB_SHA: 'abc123', GITHUB_SERVER_URL: 'https://github.com', GITHUB_RUN_ID: '42' },
      { provider: 'github-actions', actor: 'octocat', repository: 'acme/api', commit: 'abc123', run_url: 'https://github.com/acme/api/actions/runs/42' },
    ],
    [
      'GitLab CI',
      { CI: 'true', GITLAB_CI: 'true', GITLAB_USER_LOGIN: 'dev1', CI_PROJECT_PATH: 'acme/api', CI_COMMIT_SHA: 'def456', CI_JOB_URL: 'https://gitlab.com/acme/api/-/jobs/9' },
      { provider: 'gitlab-ci', actor: 'dev1', repository: 'acme/api', commit: 'def456', run_url: 'https://gitlab.com/acme/api/-/jobs/9' },
    ],
    [
      'Buildkite',
      { CI: 'true', BUILDKITE: 'true', BUILDKITE_BUILD_CREATOR: 'Dana', BUILDKITE_REPO: 'git@github.com:acme/api.git', BUILDKITE_COMMIT: '0a1b', BUILDKITE_BUILD_URL: 'https://buildkite.com/acme/api/builds/7' },
      { provider: 'buildkite', actor: 'Dana', repository: 'git@github.com:acme/api.git', commit: '0a1b', run_url: 'https://buildkite.com/acme/api/builds/7' },
    ],
    [
      'Jenkins',
      { JENKINS_URL: 'https://ci.acme/', BUILD_URL: 'https://ci.acme/job/api/5/', GIT_COMMIT: 'fe12', GIT_URL: 'https://github.com/acme/api.git', CHANGE_AUTHOR: 'sam' },
      { provider: 'jenkins', actor: 'sam', repository: 'https://github.com/acme/api.git', commit: 'fe12', run_url: 'https://ci.acme/job/api/5/' },
    ],
    [
      'CircleCI',
      { CI: 'true', CIRCLECI: 'true', CIRCLE_USERNAME: 'kim', CIRCLE_PROJECT_USERNAME: 'acme', CIRCLE_PROJECT_REPONAME: 'api', CIRCLE_SHA1: '99aa', CIRCLE_BUILD_URL: 'https://circleci.com/gh/acme/api/12' },
      { provider: 'circleci', actor: 'kim', repository: 'acme/api', commit: '99aa', run_url: 'https://circleci.com/gh/acme/api/12' },
    ],
    ['an unknown CI', { CI: '1' }, { provider: 'unknown' }],
  ])('%s', (_name, env, expected) => {
    expect(detectCi(env)).toEqual(expected);
  });

  it('is undefined outside CI, and omits fields that are not set', () => {
    expect(detectCi({ HOME: '/home/x', CI: 'false' })).toBeUndefined();
    expect(detectCi({ GITHUB_ACTIONS: 'true', GITHUB_SHA: ' ' })).toEqual({ provider: 'github-actions' });
  });
});

describe('parseContextPairs', () => {
  it('turns key=value pairs into an object (values may contain "=")', () => {
    expect(parseContextPairs(['ticket=OPS-1', 'query=a=b', 'empty='])).toEqual({ ticket: 'OPS-1', query: 'a=b', empty: '' });
  });

  it('reports every bad pair at once', () => {
    let error: unknown;
    try {
      parseContextPairs(['novalue', 'a=1', 'a=2', '__proto__x y=1']);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ApprovalError);
    expect((error as ApprovalError).problem).toBe('bad_context');
    expect((error as Error).message).toMatch(/"novalue".*"a": given more than once.*"__proto__x y"/);
  });
});
