import type { ProgramDoc } from './types.js';

/**
 * What gate knows about each program's option syntax, so that `kubectl --context prod -n x delete`
 * reads as `kubectl delete`. Options not listed here are treated as ambiguous (they may or may not
 * take a value) and both readings are evaluated. Policies extend this table under `programs:`.
 */
export interface ProgramSpec {
  readonly valueOptions: ReadonlySet<string>;
  readonly flagOptions: ReadonlySet<string>;
  /** Options whose value can only be attached (`-pSECRET`, `--dry-run=client`); never the next word. */
  readonly optionalValueOptions: ReadonlySet<string>;
  /** git accepts any unambiguous prefix of a long option (`--force-w` = `--force-with-lease`). */
  readonly longOptionPrefixes: boolean;
  /** Go-style `-name` long options (terraform, find predicates): no short clusters. */
  readonly singleDashLong: boolean;
}

const KUBECTL: ProgramDoc = {
  value_options: [
    '-n', '--namespace', '--context', '--cluster', '--kubeconfig', '-s', '--server', '--token', '--as', '--as-group',
    '--as-uid', '--user', '-l', '--selector', '-o', '--output', '-f', '--filename', '-c', '--container',
    '--field-selector', '--request-timeout', '--certificate-authority', '--client-certificate', '--client-key',
    '--cache-dir', '-v', '--v', '--grace-period', '--timeout', '-k', '--kustomize', '-p', '--patch', '--type',
    '--template', '--sort-by', '--replicas', '--image', '--port', '--tls-server-name', '--profile',
    '--profile-output', '--log-file', '--vmodule', '--field-manager', '--subresource',
    '-L', '--label-columns', '--since', '--since-time', '--tail', '--limit-bytes', '--chunk-size', '--username',
    '--password', '--current-replicas', '--resource-version', '--to-revision', '--pod-selector',
  ],
  flag_options: [
    '-A', '--all-namespaces', '--all', '--force', '--wait', '--now', '--insecure-skip-tls-verify', '-w', '--watch',
    '-i', '--stdin', '-t', '--tty', '-R', '--recursive', '--ignore-not-found', '--cascade', '--dry-run',
    '--validate', '--overwrite', '--record', '-q', '--quiet', '--warnings-as-errors', '--match-server-version',
    '--disable-compression', '--server-side', '--force-conflicts', '--prune',
    '--show-labels', '--no-headers', '--previous', '--timestamps', '--all-containers', '--prefix', '--show-kind',
    '--show-managed-fields', '--ignore-daemonsets', '--delete-emptydir-data', '--delete-local-data',
    '--disable-eviction', '--local',
  ],
  optional_value_options: ['--dry-run', '--cascade', '--validate'],
};

const GIT: ProgramDoc = {
  value_options: [
    '-C', '-c', '--git-dir', '--work-tree', '--namespace', '--config-env', '--super-prefix', '-m', '--message',
    '-F', '--file', '-b', '-B', '-o', '--push-option', '--receive-pack', '--exec', '--upload-pack', '-X',
    '--strategy-option', '-s', '--strategy', '--author', '--date', '--depth', '--reference', '--origin',
    '--template', '--separate-git-dir', '--shallow-since', '--shallow-exclude', '-j', '--jobs',
  ],
  flag_options: [
    '-f', '--force', '-u', '--set-upstream', '-v', '--verbose', '-q', '--quiet', '-n', '--dry-run', '--all',
    '--mirror', '--tags', '--follow-tags', '--atomic', '--no-verify', '--delete', '-d', '--prune', '-a',
    '--amend', '--no-edit', '--hard', '--soft', '--mixed', '--porcelain', '--bare', '--paginate', '-p',
    '--no-pager', '-P', '--no-replace-objects', '--literal-pathspecs', '--glob-pathspecs', '--no-optional-locks',
    '--force-if-includes', '--ipv4', '--ipv6', '-4', '-6',
  ],
  optional_value_options: ['--exec-path', '--force-with-lease', '--signed', '--recurse-submodules', '--thin'],
  long_option_prefixes: true,
};

const DOCKER: ProgramDoc = {
  value_options: [
    '--context', '-c', '-H', '--host', '--config', '-l', '--log-level', '--tlscacert', '--tlscert', '--tlskey',
    '-e', '--env', '--env-file', '-v', '--volume', '-w', '--workdir', '-u', '--user', '--name', '--network',
    '--net', '--entrypoint', '-p', '--publish', '--mount', '-h', '--hostname', '--cap-add', '--cap-drop',
    '--security-opt', '--device', '--pid', '--ipc', '--uts', '--userns', '--label', '--platform', '-m',
    '--memory', '--cpus', '--restart', '--detach-keys', '--add-host', '--dns', '--group-add', '--ulimit',
    '--volumes-from', '--tmpfs', '--log-driver', '--log-opt', '-f', '--file', '--tag', '--build-arg',
    '--target', '--filter', '--format',
  ],
  // `-t` is left out on purpose: `--tty` (a flag) for run/exec, `--tag` (takes a value) for build.
  flag_options: ['-d', '--detach', '-i', '--interactive', '--tty', '--rm', '--privileged', '-a', '--all',
    '--read-only', '--init', '-q', '--quiet', '--no-cache', '--pull', '-D', '--debug', '--tls', '--tlsverify'],
};

const TERRAFORM: ProgramDoc = {
  value_options: ['-chdir', '-var', '-var-file', '-target', '-state', '-state-out', '-out', '-lock-timeout',
    '-parallelism', '-replace', '-backup', '-generate-config-out', '-exclude'],
  flag_options: ['-auto-approve', '-destroy', '-refresh-only', '-no-color', '-compact-warnings', '-json',
    '-upgrade', '-reconfigure', '-migrate-state', '-force-copy', '-help', '-version'],
  optional_value_options: ['-input', '-lock', '-refresh', '-backend'],
  single_dash_long_options: true,
};

const PSQL: ProgramDoc = {
  value_options: ['-c', '--command', '-d', '--dbname', '-h', '--host', '-p', '--port', '-U', '--username', '-f',
    '--file', '-v', '--set', '--variable', '-o', '--output', '-P', '--pset', '-F', '--field-separator', '-R',
    '--record-separator', '-T', '--table-attr', '-L', '--log-file'],
  flag_options: ['-X', '--no-psqlrc', '-q', '--quiet', '-A', '--no-align', '-t', '--tuples-only', '-x',
    '--expanded', '-w', '--no-password', '-W', '--password', '-1', '--single-transaction', '-a', '-e', '-E',
    '-b', '-n', '-s', '-S', '-l', '--list', '-V', '--version'],
};

const MYSQL: ProgramDoc = {
  value_options: ['-e', '--execute', '-u', '--user', '-h', '--host', '-P', '--port', '-D', '--database', '-S',
    '--socket', '--defaults-file', '--defaults-extra-file', '--login-path', '--init-command', '--default-character-set'],
  flag_options: ['-B', '--batch', '-N', '--skip-column-names', '-s', '--silent', '-v', '--verbose', '-f',
    '--force', '-E', '--vertical', '-t', '--table', '-X', '--xml', '-H', '--html', '-A', '--no-auto-rehash'],
  optional_value_options: ['-p', '--password'],
};

const AWS: ProgramDoc = {
  value_options: ['--profile', '--region', '--output', '--endpoint-url', '--query', '--cli-read-timeout',
    '--cli-connect-timeout', '--color', '--ca-bundle', '--cli-input-json', '--cli-input-yaml', '--page-size',
    '--max-items', '--starting-token', '--exclude', '--include', '--sse', '--acl', '--storage-class',
    '--bucket', '--key', '--db-instance-identifier', '--db-snapshot-identifier', '--s3-bucket-name',
    '--export-task-identifier', '--iam-role-arn', '--kms-key-id', '--source-arn', '--table-arn', '--s3-bucket',
    '--s3-prefix', '--export-format', '--export-time', '--source-region', '--content-type', '--cache-control',
    '--metadata-directive', '--expires-in', '--table-name', '--secret-id', '--version-stage', '--name', '--names',
    '--attribute-name', '--values-to-add', '--snapshot-id', '--image-id'],
  flag_options: ['--debug', '--no-paginate', '--no-verify-ssl', '--no-sign-request', '--recursive', '--dryrun',
    '--quiet', '--delete', '--force', '--no-cli-pager', '--cli-auto-prompt', '--no-cli-auto-prompt',
    '--only-show-errors', '--no-progress', '--follow-symlinks', '--no-follow-symlinks', '--size-only',
    '--exact-timestamps', '--no-guess-mime-type', '--with-decryption', '--no-with-decryption'],
};

const GCLOUD: ProgramDoc = {
  value_options: ['--project', '--account', '--configuration', '--format', '--verbosity', '--region', '--zone',
    '--impersonate-service-account', '--billing-project', '--flags-file', '--database', '--uri', '--bucket',
    '--collection-ids', '--output-url-prefix', '--query', '--destination-uri', '--instance'],
  flag_options: ['--quiet', '-q', '--async', '--log-http', '--no-user-output-enabled', '--recursive', '-r'],
};

/** gsutil's top-level options, plus the common ones of cp/mv/rsync/rm (`gsutil -m cp -r gs://b .`). */
const GSUTIL: ProgramDoc = {
  value_options: ['-u', '-o', '-h', '-i', '-a', '-z', '-j', '-s', '-L', '-x'],
  flag_options: ['-m', '-q', '-D', '-DD', '-d', '-r', '-R', '-n', '-e', '-c', '-C', '-P', '-U', '-v', '-I', '-f',
    '-J', '-Z', '-p', '--help', '--version'],
};

const HELM: ProgramDoc = {
  value_options: ['--kube-context', '-n', '--namespace', '--kubeconfig', '-f', '--values', '--set', '--set-string',
    '--set-file', '--version', '-o', '--output', '--repo', '--timeout', '--description', '--registry-config'],
  flag_options: ['--install', '-i', '--wait', '--atomic', '--force', '--dry-run', '--debug', '--create-namespace',
    '--all-namespaces', '-A', '--purge', '--keep-history', '--no-hooks'],
};

const SYSTEMCTL: ProgramDoc = {
  value_options: ['-H', '--host', '-M', '--machine', '-t', '--type', '-p', '--property', '-s', '--signal', '-n',
    '--lines', '-o', '--output', '--state', '--root', '--kill-whom', '--job-mode', '--what', '--timestamp'],
  flag_options: ['--now', '--force', '-f', '-q', '--quiet', '--user', '--system', '--no-block', '--no-pager',
    '-a', '--all', '-l', '--full', '--runtime', '--global', '-i', '--ignore-inhibitors'],
};

const SSH: ProgramDoc = {
  value_options: ['-b', '-c', '-D', '-E', '-e', '-F', '-I', '-i', '-J', '-L', '-l', '-m', '-O', '-o', '-p', '-Q',
    '-R', '-S', '-W', '-w', '-B'],
};

const RSYNC: ProgramDoc = {
  value_options: ['-e', '--rsh', '--exclude', '--include', '--exclude-from', '--include-from', '--files-from',
    '-f', '--filter', '--rsync-path', '--bwlimit', '--port', '--password-file', '--log-file', '--chmod',
    '--chown', '-B', '--block-size', '-T', '--temp-dir', '--backup-dir', '--suffix', '--partial-dir'],
};

const DUMP: ProgramDoc = {
  value_options: ['-h', '--host', '-p', '--port', '-U', '--username', '-d', '--dbname', '-f', '--file', '-F',
    '--format', '-t', '--table', '-T', '--exclude-table', '-n', '--schema', '-N', '--exclude-schema', '-j',
    '--jobs', '-Z', '--compress', '-E', '--encoding', '--role', '-u', '--user', '-P', '-r', '--result-file'],
};

/** mysqldump: `-p` is the password, attached only (`-pSECRET`), unlike pg_dump's `-p PORT`. */
const MYSQLDUMP: ProgramDoc = {
  value_options: ['-h', '--host', '-P', '--port', '-u', '--user', '-S', '--socket', '-r', '--result-file', '-w',
    '--where', '--ignore-table', '--default-character-set', '--defaults-file', '--defaults-extra-file',
    '--login-path', '--tab', '-T'],
  flag_options: ['-A', '--all-databases', '-B', '--databases', '--single-transaction', '-q', '--quick', '-d',
    '--no-data', '-t', '--no-create-info', '-R', '--routines', '-E', '--events', '--triggers', '--skip-triggers',
    '-c', '--complete-insert', '-e', '--extended-insert', '-f', '--force', '-x', '--lock-all-tables', '-l',
    '--lock-tables', '--add-drop-table', '--add-drop-database', '--no-tablespaces', '--tables', '-v', '--verbose',
    '-C', '--compress', '--hex-blob', '--skip-lock-tables'],
  optional_value_options: ['-p', '--password'],
};

const FIND: ProgramDoc = {
  value_options: ['-name', '-iname', '-path', '-ipath', '-regex', '-iregex', '-type', '-xtype', '-newer', '-maxdepth',
    '-mindepth', '-user', '-group', '-perm', '-size', '-mtime', '-mmin', '-atime', '-amin', '-ctime', '-cmin',
    '-uid', '-gid', '-links', '-inum', '-samefile', '-wholename', '-iwholename', '-fprint', '-fprint0', '-fls',
    '-printf', '-fprintf', '-regextype', '-D', '-O', '-lname', '-ilname', '-context', '-newermt', '-used',
    // An action's first word is the command it runs (`-exec rm {} ;`); the rest are positionals up to `;`.
    '-exec', '-execdir', '-ok', '-okdir'],
  flag_options: ['-delete', '-print', '-print0', '-ls', '-prune', '-quit', '-depth', '-xdev', '-mount', '-empty',
    '-follow', '-L', '-H', '-P', '-not', '-a', '-o', '-and', '-or', '-true', '-false', '-readable', '-writable',
    '-executable', '-nouser', '-nogroup', '-daystart', '-ignore_readdir_race', '-noleaf', '-help', '-version'],
  single_dash_long_options: true,
};

export const BUILTIN_PROGRAMS: Readonly<Record<string, ProgramDoc>> = {
  kubectl: KUBECTL,
  oc: KUBECTL,
  git: GIT,
  docker: DOCKER,
  podman: DOCKER,
  nerdctl: DOCKER,
  terraform: TERRAFORM,
  tofu: TERRAFORM,
  terragrunt: TERRAFORM,
  psql: PSQL,
  mysql: MYSQL,
  mariadb: MYSQL,
  aws: AWS,
  gcloud: GCLOUD,
  gsutil: GSUTIL,
  bq: GCLOUD,
  helm: HELM,
  systemctl: SYSTEMCTL,
  ssh: SSH,
  rsync: RSYNC,
  pg_dump: DUMP,
  pg_dumpall: DUMP,
  mysqldump: MYSQLDUMP,
  find: FIND,
};

/** Merges a program's built-in knowledge with policy additions. A conflict makes the option ambiguous. */
export function buildProgramSpec(docs: readonly ProgramDoc[]): ProgramSpec {
  const values = new Set<string>();
  const flags = new Set<string>();
  const optional = new Set<string>();
  let longOptionPrefixes = false;
  let singleDashLong = false;
  for (const doc of docs) {
    for (const name of doc.value_options ?? []) values.add(name);
    for (const name of doc.flag_options ?? []) flags.add(name);
    for (const name of doc.optional_value_options ?? []) optional.add(name);
    longOptionPrefixes ||= doc.long_option_prefixes === true;
    singleDashLong ||= doc.single_dash_long_options === true;
  }
  for (const name of values) {
    if (flags.has(name) || optional.has(name)) {
      values.delete(name);
      flags.delete(name);
      optional.delete(name);
    }
  }
  for (const name of optional) flags.delete(name);
  return { valueOptions: values, flagOptions: flags, optionalValueOptions: optional, longOptionPrefixes, singleDashLong };
}

export const UNKNOWN_PROGRAM: ProgramSpec = buildProgramSpec([]);
