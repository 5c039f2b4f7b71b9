// Generates a large, deterministic, realistic policy file for the benchmarks (bench/run.mjs).
// The output is a PolicyFileDoc (what a user writes in YAML); toPolicySet() turns it into the
// merged PolicySet shape the matcher compiles, the same shape `gate policy validate` produces.

/** Small seeded PRNG (mulberry32): the same seed always yields the same policy. */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// [pattern, a value it matches]
const GENERIC_ARGS = [
  ['/etc/*', '/etc/hosts'],
  ['/', '/'],
  ['*.sql', 'dump.sql'],
  [{ regex: '^s3://[^/]*prod' }, 's3://prod-data/x'],
  ['/dev/sd?', '/dev/sda'],
  [{ glob: '*PROD*', ignore_case: true }, 'orders-prod'],
  [{ regex: '^/var/lib/(postgresql|mysql)(/|$)' }, '/var/lib/mysql'],
  ['/home/*/.ssh/*', '/home/dev/.ssh/id_ed25519'],
  ['*.pem', 'server.pem'],
];

const ENVS = [
  [{ KUBECONFIG: '*prod*' }, { KUBECONFIG: '/home/dev/.kube/prod-config' }],
  [{ AWS_PROFILE: ['prod', 'prod-*'] }, { AWS_PROFILE: 'prod-admin' }],
  [{ PGHOST: '*.prod.internal' }, { PGHOST: 'db1.prod.internal' }],
  [{ DEPLOY_ENV: { regex: '^prod' } }, { DEPLOY_ENV: 'production' }],
  [{ CLUSTER: 'eu-*', KUBE_ROLE: 'admin' }, { CLUSTER: 'eu-west', KUBE_ROLE: 'admin' }],
  [{ VAULT_ADDR: { regex: '^https://vault\\.prod\\.' } }, { VAULT_ADDR: 'https://vault.prod.example.com' }],
];

const UNLESS = [
  [{ flags: ['--dry-run'] }, {}],
  [{ options: { name: ['--env'], value: ['dev', 'test', 'staging'] } }, {}],
  [{ env: { GATE_SANDBOX: '1' } }, {}],
  [[{ flags: ['--dry-run'] }, { requester: 'human' }], { requester: 'agent' }],
  [{ args: ['--help', '-h'] }, {}],
];

const GENERIC = {
  subs: [
    ['deploy', 'rollback', 'migrate', 'restart', 'scale', 'sync', 'purge', 'restore', 'backup', 'drop', 'reset', 'delete', 'apply', 'import', 'export', 'rotate'],
    ['all', 'db', 'cache', 'service', 'cluster', 'users', 'keys'],
  ],
  flags: [['--force', '-f'], ['--yes', '-y'], ['--all', '-a'], ['--recursive', '-r'], ['--prune'], ['--no-backup'], ['--skip-checks']],
  options: [
    { name: ['--env', '-e'], vals: [[['prod', 'production'], 'prod'], ['prod-*', 'prod-eu'], [{ regex: '^(prod|live)' }, 'live-1']] },
    { name: ['--region'], vals: [['eu-*', 'eu-west-1'], [{ glob: 'US-*', ignore_case: true }, 'us-east-1']] },
    { name: ['--target', '-t'], vals: [['*primary*', 'db-primary-1']] },
    { name: ['--replicas'], vals: [[{ regex: '^[0-9]{3,}$' }, '250']] },
    { name: ['--token'], vals: null },
  ],
};

const SIMPLE = {
  subs: null,
  flags: [['-r', '-R', '--recursive'], ['-f', '--force'], ['-9'], ['-a', '--all'], ['--no-preserve-root'], ['-v', '--verbose']],
  options: [
    { name: ['--output', '-o'], vals: [['/etc/*', '/etc/motd'], [{ regex: '^/(boot|usr)/' }, '/usr/bin/x']] },
    { name: ['--mode'], vals: [['*7', '777']] },
    { name: ['--owner'], vals: [['root', 'root']] },
  ],
};

/** Programs gate has built-in option tables for; vocabularies use options the tables know. */
const KNOWN = {
  kubectl: {
    subs: [
      ['delete', 'apply', 'scale', 'drain', 'cordon', 'exec', 'rollout', 'patch', 'edit', 'replace', 'create', 'label', 'annotate', 'taint', 'cp'],
      ['ns', 'namespace', 'deployment', 'pod', 'node', 'secret', 'configmap', 'pvc', 'statefulset'],
    ],
    flags: [['--force'], ['--all'], ['-A', '--all-namespaces'], ['--now'], ['-R', '--recursive'], ['--overwrite'], ['--prune']],
    options: [
      { name: ['--context'], vals: [['*prod*', 'prod-eu'], [['prod', 'prod-*'], 'prod-us']] },
      { name: ['-n', '--namespace'], vals: [[['kube-system', 'kube-public'], 'kube-system'], ['prod-*', 'prod-payments']] },
      { name: ['--cluster'], vals: [[{ regex: '^prod-' }, 'prod-1']] },
      { name: ['-l', '--selector'], vals: [['app=*', 'app=web']] },
      { name: ['--as'], vals: [['system:*', 'system:admin']] },
    ],
  },
  git: {
    subs: [
      ['push', 'reset', 'clean', 'rebase', 'commit', 'branch', 'tag', 'checkout', 'filter-branch', 'gc', 'reflog', 'stash'],
      ['origin', 'upstream', 'main'],
    ],
    flags: [['--force', '-f'], ['--force-with-lease'], ['--delete', '-d'], ['--hard'], ['--mirror'], ['--no-verify'], ['--all']],
    options: [
      { name: ['--git-dir'], vals: [['/srv/*', '/srv/repo.git']] },
      { name: ['--author'], vals: [[{ regex: 'bot', ignore_case: true }, 'Release-Bot']] },
      { name: ['-m', '--message'], vals: [[{ glob: '*WIP*', ignore_case: true }, 'wip-change']] },
      { name: ['-o', '--push-option'], vals: [['ci.skip', 'ci.skip']] },
    ],
  },
  docker: {
    subs: [['run', 'exec', 'rm', 'rmi', 'system', 'volume', 'network', 'compose', 'push', 'build'], ['prune', 'rm', 'up', 'down']],
    flags: [['--privileged'], ['--rm'], ['-d', '--detach'], ['-a', '--all'], ['--no-cache']],
    options: [
      { name: ['--context'], vals: [['prod*', 'prod-swarm']] },
      { name: ['-v', '--volume'], vals: [[['/:*', '/var/run/docker.sock:*'], '/:/host']] },
      { name: ['--network', '--net'], vals: [['host', 'host']] },
      { name: ['--cap-add'], vals: [[['SYS_ADMIN', 'ALL'], 'SYS_ADMIN']] },
      { name: ['-u', '--user'], vals: [[['root', '0'], 'root']] },
    ],
  },
  terraform: {
    subs: [['apply', 'destroy', 'import', 'state', 'taint', 'workspace', 'force-unlock'], ['rm', 'mv', 'push', 'delete']],
    flags: [['-auto-approve'], ['-destroy'], ['-refresh-only'], ['-reconfigure']],
    options: [
      { name: ['-var'], vals: [['*prod*', 'env=prod']] },
      { name: ['-target'], vals: [['module.db*', 'module.db_primary']] },
      { name: ['-chdir'], vals: [['*prod*', 'envs/prod']] },
    ],
  },
  helm: {
    subs: [['install', 'upgrade', 'uninstall', 'rollback', 'delete']],
    flags: [['--force'], ['--atomic'], ['--wait'], ['--create-namespace'], ['--no-hooks']],
    options: [
      { name: ['--kube-context'], vals: [['*prod*', 'prod-eu']] },
      { name: ['-n', '--namespace'], vals: [[['kube-system', 'monitoring'], 'monitoring']] },
      { name: ['--set'], vals: [['replicaCount=0', 'replicaCount=0']] },
      { name: ['-f', '--values'], vals: [['*prod*.yaml', 'values-prod.yaml']] },
    ],
  },
  aws: {
    subs: [
      ['s3', 'ec2', 'rds', 'iam', 'lambda', 'dynamodb', 'eks', 'cloudformation'],
      ['rm', 'rb', 'terminate-instances', 'delete-db-instance', 'delete-user', 'delete-function', 'delete-table', 'delete-stack', 'sync', 'cp'],
    ],
    flags: [['--recursive'], ['--force'], ['--delete'], ['--no-verify-ssl']],
    options: [
      { name: ['--profile'], vals: [[['prod', 'prod-*'], 'prod'], ['*admin*', 'org-admin']] },
      { name: ['--region'], vals: [['us-*', 'us-east-1']] },
      { name: ['--db-instance-identifier'], vals: [['*prod*', 'orders-prod']] },
    ],
  },
  psql: {
    subs: null,
    flags: [['-1', '--single-transaction'], ['-X', '--no-psqlrc']],
    options: [
      { name: ['-h', '--host'], vals: [['*.prod.internal', 'db1.prod.internal']] },
      { name: ['-c', '--command'], vals: [[{ regex: '\\b(drop|truncate|delete|alter)\\b', ignore_case: true }, 'DROP TABLE users']] },
      { name: ['-U', '--username'], vals: [[['postgres', 'admin'], 'postgres']] },
      { name: ['-d', '--dbname'], vals: [['*prod*', 'orders_prod']] },
    ],
  },
  systemctl: {
    subs: [['stop', 'restart', 'disable', 'mask', 'kill', 'reboot', 'poweroff'], ['nginx', 'postgresql', 'docker', 'sshd', 'kubelet']],
    flags: [['--now'], ['--force', '-f'], ['--no-block']],
    options: [
      { name: ['-H', '--host'], vals: [['*prod*', 'web1.prod']] },
      { name: ['-s', '--signal'], vals: [[['KILL', 'SIGKILL', '9'], 'KILL']] },
    ],
  },
  gcloud: {
    subs: [['compute', 'sql', 'container', 'projects', 'iam', 'storage'], ['instances', 'clusters', 'delete', 'rm']],
    flags: [['--quiet', '-q'], ['--recursive', '-r'], ['--async']],
    options: [
      { name: ['--project'], vals: [['*-prod', 'shop-prod']] },
      { name: ['--zone'], vals: [['europe-*', 'europe-west1-b']] },
    ],
  },
};
KNOWN.oc = KNOWN.kubectl;

const SIMPLE_PROGRAMS = [
  'rm', 'mv', 'cp', 'chmod', 'chown', 'chgrp', 'dd', 'mkfs', 'mount', 'umount', 'kill', 'pkill', 'killall', 'shutdown',
  'reboot', 'crontab', 'iptables', 'ip6tables', 'nft', 'ufw', 'useradd', 'userdel', 'usermod', 'passwd', 'truncate',
  'shred', 'ln', 'tee', 'curl', 'wget', 'scp', 'rsync', 'ssh', 'find', 'ls', 'cat', 'grep', 'tar', 'unzip', 'sed',
  'sysctl', 'modprobe', 'fdisk', 'parted', 'wipefs', 'losetup', 'setfacl', 'visudo', 'true',
];
const SUBCOMMAND_PROGRAMS = [
  'docker-compose', 'podman', 'tofu', 'terragrunt', 'mysql', 'gsutil', 'bq', 'pg_dump', 'apt', 'apt-get', 'yum', 'dnf',
  'npm', 'pnpm', 'yarn', 'pip', 'cargo', 'make', 'gh', 'az', 'doctl', 'vault', 'consul', 'nomad', 'ansible-playbook',
  'redis-cli', 'heroku', 'flyctl', 'vercel', 'brew', 'snap', 'kubeadm', 'eksctl', 'minikube', 'kind', 'argocd',
  'istioctl', 'velero', 'pulumi', 'serverless', 'firebase', 'supabase', 'stripe', 'mongosh', 'etcdctl', 'crictl',
  'journalctl', 'certbot', 'openssl', 'gpg',
];
const TEAMS = ['billing', 'search', 'infra', 'data', 'auth', 'payments', 'ml', 'edge', 'ledger', 'growth', 'ads',
  'media', 'mail', 'risk', 'fraud', 'catalog', 'orders', 'identity', 'notify', 'metrics'];
const SUFFIXES = ['ctl', 'admin', 'deploy', 'migrate', 'cli', 'sync', 'ops', 'tool', 'runner', 'backfill', 'shell', 'jobs'];

/** Rules whose program is a pattern or absent: candidates for every command. */
const ANY_PROGRAM_RULES = [
  { decision: 'approve', program: 'python*', args: { regex: '^-c$' }, requester: 'agent', match: [{ command: 'python3 -c x', requester: 'agent' }] },
  { decision: 'approve', program: { regex: '^pip[0-9.]*$' }, subcommand: ['uninstall'], match: ['pip3 uninstall requests'] },
  { decision: 'deny', program: 'mkfs.*', message: 'Formatting filesystems is never allowed from here.', match: ['mkfs.ext4 /dev/sda1'] },
  { decision: 'approve', program: '*sql*', env: { DB_ENV: 'prod*' }, match: [{ command: 'mysql -e x', env: { DB_ENV: 'prod-1' } }] },
  { decision: 'approve', program: ['node*', 'deno'], args: 'eval', match: ['deno eval x'] },
  { decision: 'deny', program: '*-admin', flags: ['--force'], match: ['billing-admin purge --force'] },
  { decision: 'approve', env: { DEPLOY_ENV: ['prod', 'production'] }, requester: 'agent', match: [{ command: 'ls', env: { DEPLOY_ENV: 'prod' }, requester: 'agent' }] },
  { decision: 'approve', cwd: '/srv/prod/*', requester: ['agent', 'ci'], match: [{ command: 'make deploy', cwd: '/srv/prod/app', requester: 'ci' }] },
  { decision: 'approve', args: { regex: '^--no-verify$' }, requester: 'agent', match: [{ command: 'git commit --no-verify', requester: 'agent' }] },
  { decision: 'deny', args: ['/etc/shadow', '/etc/sudoers*'], message: 'Credential files are off limits.', match: ['cat /etc/shadow'], not_match: ['cat /etc/hosts'] },
  { decision: 'approve', program: { regex: '^(ba|z|k|c|da|fi)?sh$' }, args: '-c', requester: 'agent', match: [{ command: ['bash', '-c', 'rm -rf /tmp/x'], requester: 'agent' }] },
  { decision: 'approve', program: '*ctl', subcommand: [['stop', 'kill', 'disable']], match: ['systemctl stop nginx'] },
  { decision: 'deny', program: { glob: 'DOCKER*', ignore_case: true }, flags: ['--privileged'], match: ['docker run --privileged alpine'] },
  { decision: 'deny', program: 'terraform*', subcommand: ['destroy'], match: ['terraform destroy'] },
  { decision: 'approve', args: { regex: 'prod.*\\.(internal|corp)$' }, match: ['ssh admin@db1.prod.internal'] },
  { decision: 'approve', program: '[a-z]*-migrate', options: { name: ['--env'], value: 'prod*' }, match: ['billing-migrate up --env=prod-eu'] },
];

const SHELL_SAFE = /^[A-Za-z0-9_./:=,@%+-]+$/;

/**
 * @returns {{ doc: object, programs: string[], unspecified: string[], stats: object }}
 * `unspecified`: programs that have rules but no option table (every option is ambiguous).
 */
export function generatePolicy({ rules: total = 1000, programs: programCount = 300, seed = 0x6a7e } = {}) {
  const random = rng(seed);
  const pick = (list) => list[Math.floor(random() * list.length)];
  const chance = (p) => random() < p;

  // Program names: built-ins first (they get the most rules), then common tools, then in-house tools.
  const names = [...Object.keys(KNOWN), ...SIMPLE_PROGRAMS, ...SUBCOMMAND_PROGRAMS];
  for (const suffix of SUFFIXES) for (const team of TEAMS) if (names.length < programCount) names.push(`${team}-${suffix}`);
  const vocab = (name) => KNOWN[name] ?? (SIMPLE_PROGRAMS.includes(name) ? SIMPLE : GENERIC);

  // Option tables for half of the in-house tools (the rest leave every option ambiguous).
  const programs = {};
  const unspecified = [];
  for (const name of names) {
    if (KNOWN[name] || SIMPLE_PROGRAMS.includes(name) || SUBCOMMAND_PROGRAMS.includes(name)) continue;
    if (chance(0.5)) {
      programs[name] = {
        value_options: GENERIC.options.flatMap((o) => o.name),
        flag_options: [...GENERIC.flags.flat(), '--dry-run'],
      };
    } else {
      unspecified.push(name);
    }
  }

  // Rules per program: one each, the rest Zipf-distributed over the list order.
  const weights = names.map((_, i) => 1 / (i + 1) ** 0.9);
  const sum = weights.reduce((a, b) => a + b, 0);
  const owners = [...names];
  const extra = total - names.length - ANY_PROGRAM_RULES.length;
  for (let k = 0; k < extra; k++) {
    let x = random() * sum;
    let i = 0;
    while (i < names.length - 1 && (x -= weights[i]) > 0) i++;
    if (names[i] === 'true') k--; // `true` keeps its single allow rule
    else owners.push(names[i]);
  }

  const stats = { allow: 0, approve: 0, deny: 0, subcommand: 0, flags: 0, options: 0, args: 0, env: 0, cwd: 0, requester: 0, unless: 0, regex: 0, anyProgram: ANY_PROGRAM_RULES.length, examples: 0 };
  const countRegex = (value) => {
    if (Array.isArray(value)) value.forEach(countRegex);
    else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) if (k === 'regex') stats.regex++; else countRegex(v);
  };

  const rules = [];
  const seenTrue = { done: false };
  owners.forEach((program, n) => {
    const id = `r${String(n + 1).padStart(4, '0')}-${program}`;
    if (program === 'true' && !seenTrue.done) {
      // The no-op every allow-path benchmark runs; must be allowed.
      seenTrue.done = true;
      rules.push({ id, description: 'No-op, used by health checks', decision: 'allow', program: 'true', match: ['true'] });
      return;
    }
    const v = vocab(program);
    const x = random();
    const decision = x < 0.35 ? 'allow' : x < 0.75 ? 'approve' : 'deny';
    const rule = { id };
    if (chance(0.5)) rule.description = `${decision} ${program} (${pick(['SRE runbook', 'security review', 'incident follow-up', 'platform team', 'audit finding'])})`;
    rule.decision = decision;
    if (decision === 'deny') rule.message = `${program}: ${pick(['use the deploy pipeline instead', 'not from workstations', 'ask #platform', 'see the runbook'])}`;
    if (decision === 'approve' && chance(0.4)) {
      rule.approval = { from: [{ group: pick(['sre', 'dba', 'security', 'platform']), ...(chance(0.3) ? { count: 2 } : {}) }], expires: pick(['10m', '30m', '1h']) };
      if (chance(0.3)) rule.approval.reason_required = true;
    }
    rule.program = chance(0.05) && KNOWN[program] === KNOWN.kubectl ? ['kubectl', 'oc'] : program;

    const positionals = [];
    const tail = [];
    const sample = {};
    if (v.subs && chance(0.7)) {
      const level = (words) => {
        const w = pick(words);
        const y = random();
        if (y < 0.55) return [w, w];
        if (y < 0.85) return [[w, pick(words.filter((o) => o !== w))], w];
        return [{ glob: `${w.slice(0, 3)}*` }, w];
      };
      const first = level(v.subs[0]);
      rule.subcommand = [first[0]];
      positionals.push(first[1]);
      if (v.subs[1] && chance(0.35)) {
        const second = level(v.subs[1]);
        rule.subcommand.push(second[0]);
        positionals.push(second[1]);
      }
      stats.subcommand++;
    }
    if (chance(0.25)) {
      const chosen = [pick(GENERIC_ARGS)];
      if (chance(0.4)) chosen.push(pick(GENERIC_ARGS));
      rule.args = chosen.length === 1 ? chosen[0][0] : chosen.map((c) => c[0]);
      positionals.push(chosen[0][1]);
      stats.args++;
    }
    if (chance(0.3)) {
      const count = chance(0.15) ? 2 : 1;
      const used = new Set();
      const conds = [];
      for (let k = 0; k < count; k++) {
        const opt = pick(v.options);
        if (used.has(opt)) continue;
        used.add(opt);
        const long = opt.name.find((nm) => nm.startsWith('--')) ?? opt.name[0];
        const val = opt.vals === null || chance(0.1) ? null : pick(opt.vals);
        conds.push(val === null ? { name: opt.name.length === 1 ? opt.name[0] : opt.name } : { name: opt.name.length === 1 ? opt.name[0] : opt.name, value: val[0] });
        tail.push(`${long}=${val === null ? 'x' : val[1]}`);
      }
      rule.options = conds.length === 1 ? conds[0] : conds;
      stats.options++;
    }
    if (chance(0.35)) {
      const group = pick(v.flags);
      rule.flags = group;
      tail.push(group[0]); // last word: a flag never takes the next word as its value
      stats.flags++;
    }
    if (chance(0.1)) {
      const [cond, env] = pick(ENVS);
      rule.env = cond;
      sample.env = env;
      stats.env++;
    }
    if (chance(0.05)) {
      rule.cwd = pick(['/srv/prod/*', { regex: '^/opt/(live|prod)/' }]);
      sample.cwd = typeof rule.cwd === 'string' ? '/srv/prod/app' : '/opt/live/app';
      stats.cwd++;
    }
    if (chance(0.08)) {
      rule.requester = pick(['agent', ['agent', 'ci']]);
      sample.requester = 'agent';
      stats.requester++;
    }
    if (chance(0.12)) {
      const [cond, needs] = pick(UNLESS);
      rule.unless = cond;
      if (needs.requester) sample.requester = needs.requester;
      stats.unless++;
    }

    const argv = [program, ...positionals, ...tail];
    const command = argv.every((w) => SHELL_SAFE.test(w)) && chance(0.75) ? argv.join(' ') : argv;
    const example = Object.keys(sample).length === 0 ? command : { command, ...sample };
    rule.match = [example];
    if (rule.subcommand && chance(0.4)) {
      const miss = [program, 'zz-not-a-subcommand'];
      rule.not_match = [Object.keys(sample).length === 0 ? miss.join(' ') : { command: miss.join(' '), ...sample }];
    }
    rules.push(rule);
  });

  ANY_PROGRAM_RULES.forEach((r, k) => rules.splice(Math.floor(((k + 1) * rules.length) / (ANY_PROGRAM_RULES.length + 1)), 0, { id: `any-${String(k + 1).padStart(2, '0')}`, ...r }));

  for (const r of rules) {
    stats[r.decision]++;
    countRegex([r.program, r.subcommand, r.options, r.args, r.env, r.cwd, r.unless]);
    stats.examples += (r.match?.length ?? 0) + (r.not_match?.length ?? 0);
  }

  const doc = {
    version: 1,
    defaults: { unmatched: 'approve', approval: { from: [{ group: 'oncall' }], expires: '15m' } },
    programs,
    rules,
  };
  return { doc, programs: names, unspecified, stats };
}

/** The merged PolicySet for one file, shaped like validate.ts's mergeFiles() output. */
export function toPolicySet(doc, file) {
  const programs = {};
  for (const [name, spec] of Object.entries(doc.programs ?? {})) {
    programs[name] = {
      value_options: [...(spec.value_options ?? [])],
      flag_options: [...(spec.flag_options ?? [])],
      optional_value_options: [...(spec.optional_value_options ?? [])],
      long_option_prefixes: spec.long_option_prefixes === true,
      single_dash_long_options: spec.single_dash_long_options === true,
    };
  }
  const from = doc.defaults?.approval?.from ?? [];
  return {
    files: [{ path: file, sha256: '0'.repeat(64) }],
    unmatched: doc.defaults?.unmatched ?? 'allow',
    defaultApproval: { from: from.map((f) => ({ group: f.group, count: f.count ?? 1 })), expiresSeconds: 15 * 60, reasonRequired: false, onBehalfMayApprove: false },
    programs,
    rules: doc.rules.map((r, i) => ({ ...r, source: { file, line: 10 + i * 8, column: 5 } })),
    tests: [],
    digest: '0'.repeat(64),
  };
}
