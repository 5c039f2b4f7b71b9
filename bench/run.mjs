// gate benchmarks: `npm run bench` (builds first). Prints figures; never fails on a missed target.
// See bench/README.md for what each figure means. Knobs (environment variables):
//   BENCH_RUNS (100)          allow-path spawns per variant, interleaved
//   BENCH_COLD_RUNS (15)      cold-path (cache miss) spawns per variant
//   BENCH_BIG_RUNS (30)       allow-path spawns with the generated 1,000-rule policy
//   BENCH_DECIDE_ITERS (20000) timed decide() calls per command
//   BENCH_RULES (1000)        size of the generated policy
//   BENCH_ANALYZE_ITERS (2000) timed analyzeText calls per one-liner
//   BENCH_ONLY (all)          comma-separated sections to run: allow, analyze, approval, audit
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { generatePolicy, toPolicySet } from './policy-gen.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const GATE = join(ROOT, 'bin', 'gate.js');
const NODE = process.execPath;

const int = (name, fallback, min = 1) => {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number.parseInt(raw, 10);
  if (!Number.isFinite(n) || n < min) throw new Error(`${name} must be an integer >= ${min}, got "${raw}"`);
  return n;
};
const CFG = {
  runs: int('BENCH_RUNS', 100),
  coldRuns: int('BENCH_COLD_RUNS', 15),
  bigRuns: int('BENCH_BIG_RUNS', 30),
  iters: int('BENCH_DECIDE_ITERS', 20000, 100),
  rules: int('BENCH_RULES', 1000, 400),
  analyzeIters: int('BENCH_ANALYZE_ITERS', 2000, 50),
};
const TARGET = { ratio: 1.3, decideUs: 50, analyzeMs: 1 };

// ---------------------------------------------------------------------------------------------
// statistics and formatting

const sorted = (xs) => Float64Array.from(xs).sort();
/** Nearest-rank percentile. */
function pct(xs, p) {
  const s = sorted(xs);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}
function median(xs) {
  const s = sorted(xs);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
const f = (x, digits = 2) => x.toFixed(digits);
const sign = (x, digits = 2) => `${x >= 0 ? '+' : ''}${x.toFixed(digits)}`;
const pad = (s, n) => String(s).padEnd(n);
const lpad = (s, n) => String(s).padStart(n);
const verdict = (ok) => (ok ? 'PASS' : 'MISS');

const summary = [];
function record(label, value, target, ok) {
  summary.push({ label, value, target, status: ok === undefined ? 'info' : verdict(ok) });
}

// ---------------------------------------------------------------------------------------------
// machine

function machine() {
  let cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((l) => l.startsWith('model name'));
    if (line) cpu = line.split(':').slice(1).join(':').trim();
  } catch {}
  let distro = '';
  try {
    const m = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(readFileSync('/etc/os-release', 'utf8'));
    if (m) distro = `${m[1]}, `;
  } catch {}
  const cores = os.availableParallelism?.() ?? os.cpus().length;
  const mem = (os.totalmem() / 2 ** 30).toFixed(1);
  return `${cpu}, ${cores} cores, ${mem} GiB RAM, Node ${process.version}, ${distro}${os.type()} ${os.release()} ${os.arch()}`;
}

// ---------------------------------------------------------------------------------------------
// process spawning

/** Wall time of one spawn until exit, in ms. Everything is set up before the clock starts. */
function timedSpawn(cmd, args, env) {
  return new Promise((resolvePromise, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(cmd, args, { cwd: ROOT, env, stdio: 'ignore' });
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      const t1 = process.hrtime.bigint();
      resolvePromise({ ms: Number(t1 - t0) / 1e6, code, signal });
    });
  });
}

/** One untimed run with output captured, to fail loudly when a variant does not work. */
function checkedRun(cmd, args, env) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.once('error', reject);
    child.once('close', (code) => resolvePromise({ code, out }));
  });
}

/**
 * Runs the variants interleaved (A B C, then C B A, ...), so drift in machine load lands on all
 * of them alike. A variant is { key, cmd, args, env() } where env() runs before the clock starts.
 */
async function interleaved(variants, rounds) {
  const samples = Object.fromEntries(variants.map((v) => [v.key, []]));
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? variants : [...variants].reverse();
    for (const v of order) {
      const env = v.env();
      const result = await timedSpawn(v.cmd, v.args, env);
      if (result.code !== 0) throw new Error(`${v.key} exited with ${result.code ?? result.signal} in round ${r}`);
      samples[v.key].push(result.ms);
    }
  }
  return samples;
}

function baseEnv(extra) {
  const env = { ...process.env, ...extra };
  delete env.GATE_POLICY; // always the policy the benchmark names
  return env;
}

function printSpawnRows(rows) {
  for (const [label, xs] of rows) {
    console.log(`  ${pad(label, 34)} median ${lpad(f(median(xs)), 7)} ms   p90 ${lpad(f(pct(xs, 90)), 7)} ms   min ${lpad(f(Math.min(...xs)), 7)} ms   (n=${xs.length})`);
  }
}

function paired(a, b, op) {
  return a.map((x, i) => op(x, b[i]));
}

// ---------------------------------------------------------------------------------------------
// (a) allow path and cold path

async function allowPath(tmp) {
  console.log(`\n== (a) allow path: gate -- true vs node -e 0 vs true (shipped default policy, warm cache) ==`);
  const home = join(tmp, 'home-warm');
  mkdirSync(home);
  const gateEnv = baseEnv({ GATE_HOME: home });
  const warm = await checkedRun(NODE, [GATE, '--', 'true'], gateEnv);
  if (warm.code !== 0) throw new Error(`warm-up \`gate -- true\` exited ${warm.code}:\n${warm.out}`);
  const cacheFiles = existsSync(join(home, 'cache')) ? readdirSync(join(home, 'cache')) : [];
  if (cacheFiles.length === 0) console.log('  WARNING: the warm-up run wrote no policy cache; "warm" runs below are cache misses');
  const plainEnv = baseEnv({});
  const s = await interleaved(
    [
      { key: 'gate', cmd: NODE, args: [GATE, '--', 'true'], env: () => gateEnv },
      { key: 'node', cmd: NODE, args: ['-e', '0'], env: () => plainEnv },
      { key: 'true', cmd: 'true', args: [], env: () => plainEnv },
    ],
    CFG.runs,
  );
  printSpawnRows([
    ['node bin/gate.js -- true', s.gate],
    ['node -e 0', s.node],
    ['true (direct)', s.true],
  ]);
  const ratio = median(paired(s.gate, s.node, (g, n) => g / n));
  const ratioOfMedians = median(s.gate) / median(s.node);
  const diff = median(s.gate) - median(s.node);
  const diffPaired = median(paired(s.gate, s.node, (g, n) => g - n));
  const overTrue = median(s.gate) - median(s.true);
  console.log(`  ratio gate/node: median of paired ratios ${f(ratio, 3)} (ratio of medians ${f(ratioOfMedians, 3)})   target <= ${TARGET.ratio}   ${verdict(ratio <= TARGET.ratio)}`);
  console.log(`  gate - node: ${sign(diff)} ms (median of paired differences ${sign(diffPaired)} ms)`);
  console.log(`  gate - true: ${sign(overTrue)} ms (total cost of going through gate instead of running \`true\` directly)`);
  record('allow path: median ratio gate/node', f(ratio, 3), `<= ${TARGET.ratio}`, ratio <= TARGET.ratio);
  record('allow path: gate - node', `${sign(diff)} ms`);
  record('allow path: gate - true (direct)', `${sign(overTrue)} ms`);
  return { warmMedian: median(s.gate) };
}

async function coldPath(tmp, warmMedian) {
  console.log(`\n== (a) cold path: policy cache miss (fresh GATE_HOME per run) vs node -e 0 ==`);
  let n = 0;
  const fresh = () => {
    const home = join(tmp, `home-cold-${n++}`);
    mkdirSync(home);
    return baseEnv({ GATE_HOME: home });
  };
  const plainEnv = baseEnv({});
  const s = await interleaved(
    [
      { key: 'gate', cmd: NODE, args: [GATE, '--', 'true'], env: fresh },
      { key: 'node', cmd: NODE, args: ['-e', '0'], env: () => plainEnv },
    ],
    CFG.coldRuns,
  );
  printSpawnRows([
    ['node bin/gate.js -- true (cold)', s.gate],
    ['node -e 0', s.node],
  ]);
  const ratio = median(paired(s.gate, s.node, (g, x) => g / x));
  const diff = median(s.gate) - median(s.node);
  const validation = median(s.gate) - warmMedian;
  console.log(`  ratio gate/node: median of paired ratios ${f(ratio, 3)}; gate - node: ${sign(diff)} ms`);
  console.log(`  cost of a cache miss (cold median - warm median): ${sign(validation)} ms (YAML, schema, examples, cache write)`);
  record('cold path: median ratio gate/node', f(ratio, 3));
  record('cold path: gate - node', `${sign(diff)} ms`);
  record('cold path: cache miss cost (cold - warm)', `${sign(validation)} ms`);
}

async function bigAllowPath(tmp, file) {
  console.log(`\n== (a+) allow path with the generated ${CFG.rules}-rule policy (GATE_POLICY, warm cache) ==`);
  const home = join(tmp, 'home-big');
  mkdirSync(home);
  const gateEnv = baseEnv({ GATE_HOME: home, GATE_POLICY: file, GATE_REQUESTER_KIND: 'human' });
  gateEnv.GATE_POLICY = file;
  const warm = await checkedRun(NODE, [GATE, '--', 'true'], gateEnv);
  if (warm.code !== 0) {
    console.log(`  skipped: \`gate -- true\` under the generated policy exited ${warm.code}:\n${warm.out}`);
    return;
  }
  const plainEnv = baseEnv({});
  const s = await interleaved(
    [
      { key: 'gate', cmd: NODE, args: [GATE, '--', 'true'], env: () => gateEnv },
      { key: 'node', cmd: NODE, args: ['-e', '0'], env: () => plainEnv },
    ],
    CFG.bigRuns,
  );
  printSpawnRows([
    [`gate -- true (${CFG.rules} rules)`, s.gate],
    ['node -e 0', s.node],
  ]);
  const ratio = median(paired(s.gate, s.node, (g, x) => g / x));
  const diff = median(s.gate) - median(s.node);
  console.log(`  ratio gate/node: median of paired ratios ${f(ratio, 3)}; gate - node: ${sign(diff)} ms`);
  record(`allow path, ${CFG.rules}-rule policy: ratio gate/node`, f(ratio, 3));
  record(`allow path, ${CFG.rules}-rule policy: gate - node`, `${sign(diff)} ms`);
}

// ---------------------------------------------------------------------------------------------
// (b) decision time

async function bundleMatcher(tmp) {
  const { build, stop } = await import('esbuild');
  const outfile = join(tmp, 'decide-bundle.mjs');
  try {
    await build({
      entryPoints: [join(ROOT, 'bench', 'decide-entry.ts')],
      outfile,
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      logLevel: 'warning',
      banner: { js: "import{createRequire as __gateRequire}from'node:module';const require=__gateRequire(import.meta.url);" },
    });
  } finally {
    await stop?.();
  }
  return import(pathToFileURL(outfile).href);
}

/** A fixed, realistic environment: decisions must not depend on the machine running the bench. */
function benchEnv() {
  const env = {
    PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    HOME: '/home/dev',
    USER: 'dev',
    SHELL: '/bin/bash',
    LANG: 'C.UTF-8',
    TERM: 'xterm-256color',
    EDITOR: 'vim',
    KUBECONFIG: '/home/dev/.kube/prod-config',
    AWS_PROFILE: 'staging',
    PGHOST: 'db1.prod.internal',
    CLUSTER: 'eu-west',
  };
  for (let i = 0; i < 30; i++) env[`APP_SETTING_${i}`] = `value-${i}`;
  return env;
}

function benchCommands(unspecified) {
  const paths = Array.from({ length: 48 }, (_, i) => `build/out/chunk-${i}.js`);
  const tool = unspecified[0] ?? 'frobnicate';
  const opts = Array.from({ length: 24 }, (_, i) => [`--opt-${i}`, `v${i}`]).flat();
  return [
    ['kubectl --context prod -n x delete ns y', ['kubectl', '--context', 'prod', '-n', 'x', 'delete', 'ns', 'y']],
    ['git push --force origin main', ['git', 'push', '--force', 'origin', 'main']],
    ['ls -la', ['ls', '-la']],
    ['frobnicate --level 3 in.txt (unknown)', ['frobnicate', '--level', '3', 'in.txt']],
    ['terraform -chdir=.. apply -auto-approve', ['terraform', '-chdir=envs/prod', 'apply', '-auto-approve', '-var', 'env=prod']],
    ['psql -h .. -c "DROP TABLE users"', ['psql', '-h', 'db1.prod.internal', '-U', 'postgres', '-c', 'DROP TABLE users']],
    ['docker run --privileged -v /:/host', ['docker', 'run', '--rm', '--privileged', '-v', '/:/host', 'alpine', 'sh']],
    ['aws --profile prod s3 rm .. --recursive', ['aws', '--profile', 'prod', 's3', 'rm', 's3://prod-data/logs', '--recursive']],
    ['rm -rf + 48 paths (50 args)', ['rm', '-rf', ...paths]],
    [`${tool} + 24 unknown opts (50 args)`, [tool, 'sync', ...opts, 'final']],
  ];
}

function timeDecisions(m, policy, commands, ctx) {
  const rows = [];
  let sink = 0;
  for (const [label, argv] of commands) {
    const t0 = process.hrtime.bigint();
    const first = m.decide(policy, [m.invocationFromArgv(argv)], ctx);
    const firstUs = Number(process.hrtime.bigint() - t0) / 1e3;
    const warmup = Math.min(2000, Math.ceil(CFG.iters / 5));
    for (let i = 0; i < warmup; i++) sink += m.decide(policy, [m.invocationFromArgv(argv)], ctx).matches.length;
    const us = new Float64Array(CFG.iters);
    for (let i = 0; i < CFG.iters; i++) {
      const a = process.hrtime.bigint();
      const d = m.decide(policy, [m.invocationFromArgv(argv)], ctx);
      const b = process.hrtime.bigint();
      sink += d.matches.length;
      us[i] = Number(b - a) / 1e3;
    }
    const candidates = (policy.byProgram.get(argv[0])?.length ?? 0) + policy.anyProgram.length;
    rows.push({ label, argc: argv.length - 1, firstUs, us, kind: first.kind, matches: first.matches.length, candidates });
  }
  // Timer overhead, for reference: two hrtime.bigint() calls with nothing between.
  const empty = new Float64Array(CFG.iters);
  for (let i = 0; i < CFG.iters; i++) {
    const a = process.hrtime.bigint();
    const b = process.hrtime.bigint();
    empty[i] = Number(b - a) / 1e3;
  }
  if (sink === -1) console.log('');
  return { rows, timerUs: median(empty) };
}

async function decisionTime(tmp) {
  console.log(`\n== (b) decision time: decide() on a generated ${CFG.rules}-rule policy ==`);
  let t = process.hrtime.bigint();
  const m = await bundleMatcher(tmp);
  const bundleMs = Number(process.hrtime.bigint() - t) / 1e6;

  const gen = generatePolicy({ rules: CFG.rules });
  const file = join(tmp, 'policy-big.yaml');
  writeFileSync(file, `# generated by bench/policy-gen.mjs\n${m.toYaml(gen.doc, { lineWidth: 0 })}`);
  const st = gen.stats;
  const programsWithRules = new Set(gen.doc.rules.filter((r) => !r.id.startsWith('any-')).map((r) => (Array.isArray(r.program) ? r.program[0] : r.program))).size;
  console.log(`  matcher bundled with esbuild in ${f(bundleMs, 0)} ms; policy written to a temp file (${(readFileSync(file).length / 1024).toFixed(0)} KiB YAML)`);
  console.log(`  policy: ${gen.doc.rules.length} rules over ${programsWithRules} program names + ${st.anyProgram} rules with a pattern or no program; ` +
    `${st.allow} allow / ${st.approve} approve / ${st.deny} deny; unmatched: ${gen.doc.defaults.unmatched}`);
  console.log(`  conditions: subcommand ${st.subcommand}, flags ${st.flags}, options ${st.options}, args ${st.args}, env ${st.env}, cwd ${st.cwd}, ` +
    `requester ${st.requester}, unless ${st.unless}, regex patterns ${st.regex}; ${st.examples} match/not_match examples; ` +
    `${Object.keys(gen.doc.programs).length} option tables`);

  const set = toPolicySet(gen.doc, file);
  t = process.hrtime.bigint();
  const policy = m.compilePolicy(set);
  const compileColdMs = Number(process.hrtime.bigint() - t) / 1e6;
  const compileMs = [];
  for (let i = 0; i < 15; i++) {
    t = process.hrtime.bigint();
    m.compilePolicy(set);
    compileMs.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  const json = JSON.stringify(set);
  const parseMs = [];
  for (let i = 0; i < 15; i++) {
    t = process.hrtime.bigint();
    JSON.parse(json);
    parseMs.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  console.log(`  compilePolicy(): first ${f(compileColdMs)} ms, then median ${f(median(compileMs))} ms; ` +
    `JSON.parse of the set (what a cache hit reads, ${(json.length / 1024).toFixed(0)} KiB): median ${f(median(parseMs))} ms`);

  // Sanity: every generated example must do what it says (same check `gate policy validate` does).
  let bad = 0;
  policy.rules.forEach((rule, i) => {
    const doc = gen.doc.rules[i];
    for (const [kind, list] of [['match', doc.match], ['not_match', doc.not_match]]) {
      for (const ex of list ?? []) {
        const fires = m.ruleFiresOn(policy, rule, m.toSample(ex));
        if (fires !== (kind === 'match')) {
          bad++;
          if (bad <= 3) console.log(`  WARNING: rule ${rule.id} ${kind} example ${JSON.stringify(ex)} does not hold`);
        }
      }
    }
  });
  if (bad > 0) console.log(`  WARNING: ${bad} generated example(s) do not hold; \`policy validate\` will reject the file`);

  const ctx = { env: benchEnv(), cwd: '/home/dev/src/shop', requester: 'agent' };
  const commands = benchCommands(gen.unspecified);
  const { rows, timerUs } = timeDecisions(m, policy, commands, ctx);
  console.log(`  ${CFG.iters} timed calls per command after warm-up; requester agent, ${Object.keys(ctx.env).length} env vars; timer overhead ~${f(timerUs, 3)} us (included)`);
  console.log(`  ${pad('command', 40)} ${lpad('argc', 4)} ${lpad('cands', 5)} ${pad('decision', 12)} ${lpad('median us', 9)} ${lpad('p99 us', 8)} ${lpad('first us', 9)}`);
  for (const r of rows) {
    const decision = `${r.kind}/${r.matches}`;
    console.log(`  ${pad(r.label, 40)} ${lpad(r.argc, 4)} ${lpad(r.candidates, 5)} ${pad(decision, 12)} ${lpad(f(median(r.us)), 9)} ${lpad(f(pct(r.us, 99)), 8)} ${lpad(f(r.firstUs, 0), 9)}`);
  }
  console.log(`  (cands: rules evaluated for the program; decision/n: kind and number of rules that fired; first: first call, JIT cold for the first row only)`);
  const all = Float64Array.from(rows.flatMap((r) => Array.from(r.us)));
  const worst = rows.reduce((a, b) => (median(b.us) > median(a.us) ? b : a));
  const worstMedian = median(worst.us);
  const worstP99 = rows.reduce((a, b) => (pct(b.us, 99) > pct(a.us, 99) ? b : a));
  console.log(`  all commands: median ${f(median(all))} us, p99 ${f(pct(all, 99))} us; slowest median: ${worst.label} ${f(worstMedian)} us   target <= ${TARGET.decideUs} us   ${verdict(worstMedian <= TARGET.decideUs)}`);
  record('decide(): median, all commands', `${f(median(all))} us`, `<= ${TARGET.decideUs} us`, median(all) <= TARGET.decideUs);
  record(`decide(): slowest median (${worst.label})`, `${f(worstMedian)} us`, `<= ${TARGET.decideUs} us`, worstMedian <= TARGET.decideUs);
  record('decide(): p99, all commands', `${f(pct(all, 99))} us`);
  record(`decide(): worst p99 (${worstP99.label})`, `${f(pct(worstP99.us, 99))} us`);
  record(`compilePolicy(), ${CFG.rules} rules (runs on every gate call)`, `${f(median(compileMs))} ms`);
  return { file, m };
}

async function validateBig(tmp, file, m) {
  console.log(`\n== (b) load + validate the ${CFG.rules}-rule YAML: node bin/gate.js policy validate <file> ==`);
  const home = join(tmp, 'home-validate');
  mkdirSync(home);
  const env = baseEnv({ GATE_HOME: home });
  const t0 = process.hrtime.bigint();
  const res = await checkedRun(NODE, [GATE, 'policy', 'validate', file], env);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const first = res.out.split('\n')[0];
  if (res.code !== 0) {
    console.log(`  FAILED (exit ${res.code}) after ${f(seconds, 3)} s:\n${res.out.split('\n').slice(0, 12).join('\n')}`);
    record(`policy validate, ${CFG.rules} rules (CLI)`, `failed (exit ${res.code})`, 'exit 0', false);
    return;
  }
  console.log(`  ${f(seconds, 3)} s wall (one run, includes node start-up); gate said: ${first}`);
  // The same work in-process (already warm module code, no start-up): where the time goes.
  const t1 = process.hrtime.bigint();
  const files = m.readPolicyFiles([file]);
  const t2 = process.hrtime.bigint();
  const { set } = m.buildPolicySet(files);
  const t3 = process.hrtime.bigint();
  console.log(`  in-process: read+parse YAML ${f(Number(t2 - t1) / 1e6, 1)} ms, schema+semantics+examples+compile ${f(Number(t3 - t2) / 1e6, 1)} ms (${set.rules.length} rules)`);
  record(`policy validate, ${CFG.rules} rules (CLI, one run)`, `${f(seconds, 3)} s`);
}

// ---------------------------------------------------------------------------------------------
// (c) approval service: approve-to-child-start latency, and one server holding many waiters.
// Self-contained (own knobs, helpers and dynamic imports):
//   BENCH_APPROVE_RUNS (30)   timed approve -> child start round trips
//   BENCH_WAITERS (2000)      concurrent waiting requests, one event stream each

const APPROVAL = {
  runs: int('BENCH_APPROVE_RUNS', 30),
  waiters: int('BENCH_WAITERS', 2000),
  target: { p50Ms: 50, rssMb: 300 },
  /** After the requester printed `created`, time for it to open its event stream. */
  settleMs: 100,
};

/** Wall clock in ms with sub-ms precision: performance.now() anchored at a fresh Date.now() tick. */
function realtimeClock() {
  const start = Date.now();
  let tick;
  while ((tick = Date.now()) === start);
  const offset = tick - performance.now();
  return () => offset + performance.now();
}

/** Spawns gate with separate stdout/stderr; `lines(pattern)` resolves with the first stderr match. */
function spawnGate(args, env) {
  const child = spawn(NODE, [GATE, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const waiters = new Set();
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => {
    err += d;
    for (const w of [...waiters]) w();
  });
  const exited = new Promise((done) => child.once('close', (code, signal) => done({ code, signal, out, err })));
  const match = (pattern, timeoutMs = 20_000) =>
    new Promise((resolvePromise, reject) => {
      const timer = setTimeout(() => finish(new Error(`timed out waiting for ${pattern} from gate ${args.join(' ')}; stderr: ${err}`)), timeoutMs);
      const check = () => {
        const m = pattern.exec(err);
        if (m) finish(undefined, m);
      };
      const finish = (error, m) => {
        clearTimeout(timer);
        waiters.delete(check);
        if (error) reject(error);
        else resolvePromise(m);
      };
      waiters.add(check);
      void exited.then(() => finish(new Error(`gate ${args.join(' ')} exited before printing ${pattern}; stderr: ${err}`)));
      check();
    });
  return { child, exited, match };
}

async function gateToken(home, db, name, kind, groups) {
  const env = baseEnv({ GATE_HOME: home, HOME: home });
  const { exited } = spawnGate(['token', 'create', '--name', name, '--kind', kind, '--db', db, ...(groups ? ['--groups', groups] : [])], env);
  const r = await exited;
  if (r.code !== 0) throw new Error(`gate token create ${name} exited ${r.code}: ${r.err}`);
  return r.out.trim();
}

async function gateServe(home, db, policy) {
  const env = baseEnv({ GATE_HOME: home, HOME: home });
  const s = spawnGate(['serve', '--listen', '127.0.0.1:0', '--db', db, '--policy', policy], env);
  const m = await s.match(/^gate serve: listening on (http:\/\/127\.0\.0\.1:\d+)$/m);
  return {
    url: m[1],
    pid: s.child.pid,
    stop: async () => {
      if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGTERM');
      const timer = setTimeout(() => s.child.kill('SIGKILL'), 5000);
      await s.exited;
      clearTimeout(timer);
    },
  };
}

/** Peak and current resident set of a process, in MB (Linux /proc). */
function memoryMb(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { hwm: kb('VmHWM') / 1024, rss: kb('VmRSS') / 1024 };
  } catch {
    return { hwm: NaN, rss: NaN };
  }
}

/** One JSON request over node:http; resolves with status and parsed body (never rejects on HTTP errors). */
function jsonRequest(http, agent, base, method, path, token, body) {
  return new Promise((resolvePromise, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(new URL(path, base), {
      method,
      agent,
      headers: { authorization: `Bearer ${token}`, accept: 'application/json', ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}) },
    });
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => {
        try {
          resolvePromise({ status: res.statusCode, body: text === '' ? {} : JSON.parse(text) });
        } catch (error) {
          reject(error);
        }
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** Runs fn(i) for i in [0, n) with at most `limit` in flight. */
async function mapLimit(n, limit, fn) {
  const results = new Array(n);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, n) }, async () => {
      while (next < n) {
        const i = next++;
        results[i] = await fn(i);
      }
    }),
  );
  return results;
}

const approvalPolicy = (program, expires) =>
  `version: 1\ndefaults: { unmatched: allow }\nrules:\n  - id: bench-${program}\n    decision: approve\n    program: ${program}\n    approval: { from: [{ group: dba }], expires: ${expires} }\n`;

async function approvalLatency(tmp) {
  console.log(`\n== (c) approval: approve -> child start (real gate serve; requester \`gate --json -- date +%s%N\`; ${APPROVAL.runs} runs) ==`);
  const http = await import('node:http');
  const home = join(tmp, 'approval-latency-server');
  mkdirSync(home);
  const db = join(home, 'gate.db');
  const policy = join(tmp, 'approval-latency.yaml');
  writeFileSync(policy, approvalPolicy('date', '2m'));
  const bot = await gateToken(home, db, 'bench-bot', 'agent', '');
  const alice = await gateToken(home, db, 'bench-alice', 'human', 'dba');
  const server = await gateServe(home, db, policy);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  const requesterHome = join(tmp, 'approval-latency-requester');
  mkdirSync(requesterHome);
  const env = baseEnv({ GATE_HOME: requesterHome, HOME: requesterHome, GATE_SERVER: server.url, GATE_TOKEN: bot });
  env.GATE_POLICY = policy;
  const fromReturn = [];
  const fromSend = [];
  try {
    // One untimed run first: pins the server key, warms the server's JIT and the approver's connection.
    for (let r = 0; r <= APPROVAL.runs; r++) {
      const gate = spawnGate(['--json', '--', 'date', '+%s%N'], env);
      const id = JSON.parse((await gate.match(/^(\{"event":"created".*)$/m))[1]).request_id;
      await new Promise((done) => setTimeout(done, APPROVAL.settleMs));
      const wall = realtimeClock();
      const sent = wall();
      const res = await jsonRequest(http, agent, server.url, 'POST', `/v1/requests/${id}/approve`, alice, {});
      const returned = wall();
      if (res.status !== 200) throw new Error(`approve ${id} answered ${res.status}: ${JSON.stringify(res.body)}`);
      const done = await gate.exited;
      if (done.code !== 0 || !/^\d{19}$/.test(done.out.trim())) throw new Error(`requester exited ${done.code ?? done.signal}; stdout ${JSON.stringify(done.out)}; stderr:\n${done.err}`);
      const childMs = Number(BigInt(done.out.trim()) / 1000n) / 1000;
      if (r === 0) continue;
      fromReturn.push(childMs - returned);
      fromSend.push(childMs - sent);
    }
  } finally {
    agent.destroy();
    await server.stop();
  }
  const p50 = pct(fromReturn, 50);
  const p99 = pct(fromReturn, 99);
  console.log(`  from the approve POST's reply to the child's first instruction (\`date\` reading the clock):`);
  console.log(`    p50 ${lpad(f(p50), 7)} ms   p99 ${lpad(f(p99), 7)} ms   min ${lpad(f(Math.min(...fromReturn)), 7)} ms   max ${lpad(f(Math.max(...fromReturn)), 7)} ms   (n=${fromReturn.length})`);
  console.log(`  from sending the approve POST: p50 ${f(pct(fromSend, 50))} ms, p99 ${f(pct(fromSend, 99))} ms`);
  console.log(`  (covers: SSE delivery, receipt verification, POST claim, spawning the child; the server publishes before it replies,`);
  console.log(`   so the requester may already be working when the approver's reply arrives)   target p50 <= ${APPROVAL.target.p50Ms} ms   ${verdict(p50 <= APPROVAL.target.p50Ms)}`);
  record('approve -> child start: p50', `${f(p50)} ms`, `<= ${APPROVAL.target.p50Ms} ms`, p50 <= APPROVAL.target.p50Ms);
  record('approve -> child start: p99', `${f(p99)} ms`);
}

async function approvalWaiters(tmp) {
  const n = APPROVAL.waiters;
  console.log(`\n== (c) approval: one gate serve holding ${n} waiting requests, one event stream each, then deciding them all ==`);
  const http = await import('node:http');
  const home = join(tmp, 'approval-load-server');
  mkdirSync(home);
  const db = join(home, 'gate.db');
  const policy = join(tmp, 'approval-load.yaml');
  writeFileSync(policy, approvalPolicy('bench-deploy', '10m'));
  const bot = await gateToken(home, db, 'bench-bot', 'agent', '');
  const alice = await gateToken(home, db, 'bench-alice', 'human', 'dba');
  const server = await gateServe(home, db, policy);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
  const errors = new Map();
  const error = (what) => errors.set(what, (errors.get(what) ?? 0) + 1);
  const streams = [];
  const body = (i) => ({
    command: { argv: ['bench-deploy', `release-${i}`], cwd: '/srv/app', host: 'bench-host', program_path: '/usr/local/bin/bench-deploy' },
    context: { os_user: 'bench', custom: {}, env: {}, gate_version: 'bench' },
    client_decision: {
      decision: 'approve',
      rules: ['bench-bench-deploy'],
      requirement: { from: [{ group: 'dba', count: 1 }], expires_seconds: 600, reason_required: false, on_behalf_may_approve: false },
      policy_digest: 'sha256:bench',
    },
  });
  /** An event stream over its own socket; counts events, notes when the decision arrives. */
  const openStream = (id) => {
    const s = { id, events: 0, decision: undefined, decidedAt: 0, ended: false, wake: () => {} };
    const req = http.request(new URL(`/v1/requests/${id}/events`, server.url), {
      agent: false,
      headers: { authorization: `Bearer ${bot}`, accept: 'text/event-stream' },
    });
    s.close = () => req.destroy();
    req.on('response', (res) => {
      if (res.statusCode !== 200) error(`event stream answered ${res.statusCode}`);
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        buffer += chunk;
        let split;
        while ((split = buffer.indexOf('\n\n')) !== -1) {
          const block = buffer.slice(0, split);
          buffer = buffer.slice(split + 2);
          const type = /^event: (\w+)$/m.exec(block)?.[1];
          if (type === undefined) continue;
          s.events++;
          if (type === 'approved' || type === 'denied') {
            s.decision = type;
            s.decidedAt = performance.now();
          } else if (type !== 'created' && type !== 'approval') error(`unexpected event ${type}`);
        }
        s.wake();
      });
      res.on('close', () => {
        s.ended = true;
        s.wake();
      });
      res.on('error', () => undefined);
    });
    req.on('error', (e) => {
      if (!s.closing) error(`event stream: ${e.code ?? e.message}`);
      s.ended = true;
      s.wake();
    });
    req.end();
    streams.push(s);
    return s;
  };
  const until = (s, ok, timeoutMs) =>
    new Promise((done) => {
      const timer = setTimeout(() => finish(false), timeoutMs);
      const finish = (v) => {
        clearTimeout(timer);
        s.wake = () => {};
        done(v);
      };
      s.wake = () => {
        if (ok(s)) finish(true);
        else if (s.ended) finish(false);
      };
      s.wake();
    });

  let held = { hwm: NaN, rss: NaN };
  let peak = { hwm: NaN, rss: NaN };
  let deliveredMs = NaN;
  let postsMs = NaN;
  let createMs = NaN;
  let openMs = NaN;
  let delivered = 0;
  const lags = [];
  const baseline = memoryMb(server.pid);
  try {
    let t = performance.now();
    const ids = await mapLimit(n, 32, async (i) => {
      const res = await jsonRequest(http, agent, server.url, 'POST', '/v1/requests', bot, body(i)).catch((e) => ({ status: 0, body: { error: e.code ?? e.message } }));
      if (res.status !== 201 || res.body.status !== 'pending') {
        error(`create answered ${res.status}`);
        return undefined;
      }
      return res.body.id;
    });
    createMs = performance.now() - t;

    // Open in batches (thousands of simultaneous SYNs would only test the accept backlog); each waits for its replayed `created`.
    t = performance.now();
    const live = ids.filter((id) => id !== undefined);
    for (let i = 0; i < live.length; i += 250) {
      const batch = live.slice(i, i + 250).map(openStream);
      const ok = await Promise.all(batch.map((s) => until(s, (x) => x.events >= 1, 30_000)));
      for (const good of ok) if (!good) error('event stream did not deliver `created`');
    }
    openMs = performance.now() - t;

    // Hold them all open for a moment, then look at the server's memory.
    await new Promise((done) => setTimeout(done, 2000));
    held = memoryMb(server.pid);
    const stillOpen = streams.filter((s) => !s.ended).length;
    if (stillOpen !== live.length) error(`only ${stillOpen} of ${live.length} streams still open while holding`);

    // Decide them all: even ones approved, odd ones denied.
    t = performance.now();
    const arrivals = Promise.all(streams.map((s) => until(s, (x) => x.decision !== undefined, 30_000)));
    await mapLimit(streams.length, 32, async (i) => {
      const s = streams[i];
      const [verb, payload] = i % 2 === 0 ? ['approve', {}] : ['deny', { reason: 'bench' }];
      const res = await jsonRequest(http, agent, server.url, 'POST', `/v1/requests/${s.id}/${verb}`, alice, payload).catch((e) => ({ status: 0, body: { error: e.code ?? e.message } }));
      if (res.status !== 200) error(`${verb} answered ${res.status}`);
      s.postedAt = performance.now();
    });
    postsMs = performance.now() - t;
    const got = await arrivals;
    delivered = got.filter(Boolean).length;
    for (let i = 0; i < streams.length; i++) {
      const want = i % 2 === 0 ? 'approved' : 'denied';
      if (streams[i].decision !== want) error(`stream got ${streams[i].decision ?? 'no decision'} instead of ${want}`);
    }
    deliveredMs = Math.max(...streams.map((s) => s.decidedAt)) - t;
    // Per request: from its decision POST's reply to the event on its stream (negative: the event came first).
    lags.push(...streams.filter((s) => s.decision !== undefined && s.postedAt !== undefined).map((s) => s.decidedAt - s.postedAt));
    peak = memoryMb(server.pid);
  } finally {
    for (const s of streams) {
      s.closing = true;
      s.close();
    }
    agent.destroy();
    await server.stop();
  }
  const errorCount = [...errors.values()].reduce((a, b) => a + b, 0);
  console.log(`  created ${n} requests (HTTP API, agent token, 32 in flight) in ${f(createMs / 1000, 2)} s; opened ${streams.length} event streams in ${f(openMs / 1000, 2)} s`);
  console.log(`  server RSS: ${f(baseline.rss, 0)} MB idle, ${f(held.rss, 0)} MB holding ${streams.length} streams; peak (VmHWM) ${f(peak.hwm, 0)} MB   target <= ${APPROVAL.target.rssMb} MB   ${verdict(peak.hwm <= APPROVAL.target.rssMb)}`);
  console.log(`  decided all (half approve, half deny; 32 in flight): POSTs done in ${f(postsMs / 1000, 2)} s; all ${delivered} decisions delivered ${f(deliveredMs / 1000, 2)} s after the first POST`);
  if (lags.length > 0) console.log(`  per request, decision POST reply -> event on its stream: p50 ${f(pct(lags, 50))} ms, p99 ${f(pct(lags, 99))} ms (negative: the event arrived first)`);
  console.log(`  errors: ${errorCount}${errorCount > 0 ? ` (${[...errors].map(([k, v]) => `${v}x ${k}`).join('; ')})` : ''}   target 0   ${verdict(errorCount === 0)}`);
  record(`${n} waiters: errors`, String(errorCount), '0', errorCount === 0);
  record(`${n} waiters: server peak RSS (VmHWM)`, `${f(peak.hwm, 0)} MB`, `<= ${APPROVAL.target.rssMb} MB`, peak.hwm <= APPROVAL.target.rssMb);
  record(`${n} waiters: all decisions delivered`, `${f(deliveredMs / 1000, 2)} s`);
}


// ---------------------------------------------------------------------------------------------
// (d) shell analysis time

/** Typical agent one-liners, as `gate sh -c` receives them. */
const ONE_LINERS = [
  'npm test',
  'git status',
  'git diff --stat',
  'ls -la',
  'grep -rn TODO src',
  'cat package.json | grep version && echo ok',
  'npx tsc --noEmit',
  'docker ps -a',
  'kubectl get pods -n staging',
  "find . -name '*.ts' -not -path './node_modules/*'",
  "sed -n '1,80p' src/main.ts",
  'cd src && ls',
  'pytest -q',
  'go test ./...',
  'git log --oneline -20',
  'rm -rf build',
  'sudo systemctl restart nginx',
  "bash -c 'npm ci && npm test'",
  'docker run --rm -v "$PWD":/app -w /app node:20 npm test',
  'curl -fsSL https://get.example.com | sh',
];

async function analysisTime(tmp) {
  console.log(`\n== (d) shell analysis: analyzeText on ${ONE_LINERS.length} typical one-liners (parse, walk, unwrap, signals) ==`);
  const { build, stop } = await import('esbuild');
  const outfile = join(tmp, 'analyze-bundle.mjs');
  try {
    await build({ entryPoints: [join(ROOT, 'src', 'shell', 'analyze.ts')], outfile, bundle: true, format: 'esm', platform: 'node', target: 'node20', logLevel: 'warning' });
  } finally {
    await stop?.();
  }
  const m = await import(pathToFileURL(outfile).href);
  const options = { env: benchEnv(), cwd: '/home/dev/src/shop' };
  const firstMs = [];
  for (const text of ONE_LINERS) {
    const t = process.hrtime.bigint();
    m.analyzeTextSync(text, options);
    firstMs.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  let sink = 0;
  for (let i = 0; i < Math.min(500, CFG.analyzeIters); i++) for (const text of ONE_LINERS) sink += m.analyzeTextSync(text, options).invocations.length;
  const all = [];
  const rows = [];
  for (const text of ONE_LINERS) {
    const ms = new Float64Array(CFG.analyzeIters);
    for (let i = 0; i < CFG.analyzeIters; i++) {
      const a = process.hrtime.bigint();
      const r = m.analyzeTextSync(text, options);
      ms[i] = Number(process.hrtime.bigint() - a) / 1e6;
      sink += r.signals.length;
    }
    all.push(...ms);
    rows.push({ text, ms });
  }
  if (sink === -1) console.log('');
  for (const r of rows) console.log(`  ${pad(r.text.length > 56 ? `${r.text.slice(0, 53)}...` : r.text, 57)} median ${lpad(f(median(r.ms), 3), 7)} ms   p99 ${lpad(f(pct(r.ms, 99), 3), 7)} ms`);
  const med = median(all);
  console.log(`  all one-liners: median ${f(med, 3)} ms, p99 ${f(pct(all, 99), 3)} ms; first call of each (JIT cold) median ${f(median(firstMs), 2)} ms   target <= ${TARGET.analyzeMs} ms   ${verdict(med <= TARGET.analyzeMs)}`);
  record('analyzeText: median, typical one-liners', `${f(med, 3)} ms`, `<= ${TARGET.analyzeMs} ms`, med <= TARGET.analyzeMs);
  record('analyzeText: p99, typical one-liners', `${f(pct(all, 99), 3)} ms`);
  record('analyzeText: first call (cold), median', `${f(median(firstMs), 2)} ms`);
}

// ---------------------------------------------------------------------------------------------
// (e) audit log: verification throughput and the cost of recording a command.
// Own knobs:
//   BENCH_AUDIT_RECORDS (100000)  records in the generated log that `gate audit verify` checks
//   BENCH_AUDIT_RUNS (30)         interleaved `gate -- true` spawns with audit on and off

const AUDIT = {
  records: int('BENCH_AUDIT_RECORDS', 100_000, 100),
  runs: int('BENCH_AUDIT_RUNS', 30),
  target: { recordsPerSecond: 20_000 },
};

/**
 * The audit code and the tests' realistic log generator (every ending, receipts signed by a
 * service key), bundled from src/ and test/fixtures/. Written inside node_modules/.cache so the
 * bundle resolves sodium-native and fs-ext the way dist/ does (verification uses libsodium).
 */
async function bundleAudit() {
  const { build, stop } = await import('esbuild');
  const dir = mkdtempSync(join(ROOT, 'node_modules', '.cache', 'gate-bench-'));
  const outfile = join(dir, 'audit-bundle.mjs');
  try {
    await build({
      stdin: {
        contents: [
          "export { buildLog, Rng, newKey } from './test/fixtures/audit/realistic-log.ts';",
          "export { verifyBytes } from './src/audit/log/verify-file.ts';",
          "export { verifyLog } from './src/audit/log/verify.ts';",
          "export { signatureChecker } from './src/audit/log/signatures.ts';",
          "export { AuditLogFile } from './src/audit/log/log-file.ts';",
          "export { loadOrCreateSigningKey } from './src/crypto/signing-key.ts';",
        ].join('\n'),
        resolveDir: ROOT,
        loader: 'ts',
        sourcefile: 'audit-entry.ts',
      },
      outfile,
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      logLevel: 'warning',
      banner: { js: "import{createRequire as __gateRequire}from'node:module';const require=__gateRequire(import.meta.url);" },
    });
  } finally {
    await stop?.();
  }
  return { m: await import(pathToFileURL(outfile).href), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

async function auditBench(tmp) {
  console.log(`\n== (e) audit log: verify ${AUDIT.records} records; cost of recording a command ==`);
  mkdirSync(join(ROOT, 'node_modules', '.cache'), { recursive: true });
  const { m, cleanup } = await bundleAudit();
  try {
    let t = process.hrtime.bigint();
    const log = m.buildLog(new m.Rng(2025), { records: AUDIT.records });
    const bytes = Buffer.concat(log.lines);
    const buildS = Number(process.hrtime.bigint() - t) / 1e9;
    const counts = {};
    for (const r of log.records) {
      const k = r.event === 'command.not_run' ? `not_run:${r.data.outcome}` : r.event;
      counts[k] = (counts[k] ?? 0) + 1;
    }
    const lines = log.lines.length;
    const file = join(tmp, 'audit-bench.log');
    writeFileSync(file, bytes);
    const hostKey = log.host.publicKey.export({ format: 'pem', type: 'spki' }).toString();
    const keyFile = join(tmp, 'audit-host.pub.pem');
    writeFileSync(keyFile, hostKey);
    console.log(`  generated ${lines} records (${(bytes.length / 2 ** 20).toFixed(1)} MiB, ${log.approvedSeqs.length} approved commands with a receipt) in ${f(buildS, 1)} s:`);
    console.log(`    ${Object.entries(counts).map(([k, v]) => `${k} ${v}`).join(', ')}`);

    // End to end, the way an auditor runs it: node start-up, read, workers, receipts, report.
    const home = join(tmp, 'audit-verify-home');
    mkdirSync(home);
    const env = baseEnv({ GATE_HOME: home, HOME: home });
    const args = [GATE, 'audit', 'verify', '--log', file, '--key', keyFile, '--server-key', log.server.spki];
    t = process.hrtime.bigint();
    const check = await checkedRun(NODE, args, env);
    if (check.code !== 0) throw new Error(`gate audit verify exited ${check.code} on the generated log:\n${check.out.slice(0, 2000)}`);
    const cli = [Number(process.hrtime.bigint() - t) / 1e9];
    for (let i = 0; i < 2; i++) {
      const r = await timedSpawn(NODE, args, env);
      if (r.code !== 0) throw new Error(`gate audit verify exited ${r.code ?? r.signal}`);
      cli.push(r.ms / 1000);
    }
    const cliS = median(cli);
    const cliRate = lines / cliS;

    // In process: verifyBytes (signatures shared with worker threads), and on one thread only.
    const serverKeys = new Set([log.server.spki]);
    const inproc = [];
    const cpu = [];
    for (let i = 0; i < 2; i++) {
      const c0 = process.cpuUsage();
      t = process.hrtime.bigint();
      const report = await m.verifyBytes(bytes, log.host.publicKey, serverKeys);
      inproc.push(Number(process.hrtime.bigint() - t) / 1e9);
      const c = process.cpuUsage(c0);
      cpu.push((c.user + c.system) / 1e6);
      if (report.problems.length > 0 || report.verified !== lines) throw new Error(`verifyBytes: ${report.problems.length} problems, ${report.verified} verified`);
    }
    const sodium = m.signatureChecker(log.host.publicKey);
    t = process.hrtime.bigint();
    const one = m.verifyLog(bytes, { publicKey: log.host.publicKey, serverKeys, signatureOk: (_i, raw) => sodium(raw.body, raw.signature), checkerFor: m.signatureChecker });
    const oneS = Number(process.hrtime.bigint() - t) / 1e9;
    if (one.problems.length > 0) throw new Error('verifyLog (one core) found problems in the generated log');
    const threads = Math.min(os.availableParallelism?.() ?? os.cpus().length, 8);

    console.log(`  gate audit verify (CLI, end to end, median of ${cli.length}): ${f(cliS, 2)} s = ${f(cliRate, 0)} records/s   target >= ${AUDIT.target.recordsPerSecond}   ${verdict(cliRate >= AUDIT.target.recordsPerSecond)}`);
    const perCpuS = lines / median(cpu);
    console.log(`  in-process verifyBytes (signatures shared by this thread and ${threads - 1} worker thread${threads === 2 ? '' : 's'}): median ${f(median(inproc), 2)} s = ${f(lines / median(inproc), 0)} records/s`);
    console.log(`    CPU time (all threads): median ${f(median(cpu), 2)} s = ${f(perCpuS, 0)} records per CPU-second; with ${threads} idle cores that is at most ~${f(perCpuS * threads, 0)} records/s`);
    console.log(`    (load average now ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}: on a shared machine the wall-clock rates above get fewer cores than there are)`);
    console.log(`  in-process verifyLog on one thread (the same checks, libsodium, no workers): ${f(oneS, 2)} s = ${f(lines / oneS, 0)} records/s`);
    record(`audit verify ${lines} records (CLI)`, `${f(cliRate, 0)} rec/s`, `>= ${AUDIT.target.recordsPerSecond}`, cliRate >= AUDIT.target.recordsPerSecond);
    record('audit verifyBytes in-process', `${f(lines / median(inproc), 0)} rec/s`);
    record('audit verify, records per CPU-second', `${f(perCpuS, 0)} rec/s`);
    record('audit verifyLog, one thread', `${f(lines / oneS, 0)} rec/s`);

    // Appending in process: open, flock, read and check the tail, sign, one write, fsync.
    const appendDir = join(tmp, 'audit-append');
    mkdirSync(appendDir);
    const signer = m.loadOrCreateSigningKey(join(appendDir, 'key.pem'), 'bench key');
    const appender = new m.AuditLogFile({ path: join(appendDir, 'audit.log'), key: signer, host: 'bench', gateVersion: 'bench' });
    const sample = log.records.find((r) => r.event === 'command.not_run').data;
    const appends = 2000;
    t = process.hrtime.bigint();
    for (let i = 0; i < appends; i++) appender.append('command.not_run', sample);
    const appendS = Number(process.hrtime.bigint() - t) / 1e9;
    console.log(`  in-process append (flock, tail check, sign, write, fsync): ${f(appends / appendS, 0)} records/s (${f((appendS / appends) * 1000, 3)} ms each, ${appends} appends)`);
    record('audit append in-process (fsync each)', `${f(appends / appendS, 0)} rec/s`);
  } finally {
    cleanup();
  }

  // What recording costs a command: `gate -- true` allowed and audited (started + ended records,
  // the first fsynced before `true` starts) against the same command not audited.
  const policyOff = join(tmp, 'audit-off.yaml');
  const policyOn = join(tmp, 'audit-on.yaml');
  writeFileSync(policyOff, 'version: 1\ndefaults: { unmatched: allow }\nrules: []\n');
  writeFileSync(policyOn, 'version: 1\ndefaults: { unmatched: allow, audit_allowed: true }\nrules: []\n');
  const homeOff = join(tmp, 'audit-home-off');
  const homeOn = join(tmp, 'audit-home-on');
  mkdirSync(homeOff);
  mkdirSync(homeOn);
  const envOff = baseEnv({ GATE_HOME: homeOff, GATE_POLICY: policyOff });
  envOff.GATE_POLICY = policyOff;
  const envOn = baseEnv({ GATE_HOME: homeOn, GATE_POLICY: policyOn });
  envOn.GATE_POLICY = policyOn;
  for (const env of [envOff, envOn]) {
    const warm = await checkedRun(NODE, [GATE, '--', 'true'], env);
    if (warm.code !== 0) throw new Error(`gate -- true exited ${warm.code}:\n${warm.out}`);
  }
  const s = await interleaved(
    [
      { key: 'off', cmd: NODE, args: [GATE, '--', 'true'], env: () => envOff },
      { key: 'on', cmd: NODE, args: [GATE, '--', 'true'], env: () => envOn },
    ],
    AUDIT.runs,
  );
  const verified = await checkedRun(NODE, [GATE, 'audit', 'verify'], baseEnv({ GATE_HOME: homeOn }));
  const recorded = /(\d+) records verified/.exec(verified.out)?.[1];
  if (verified.code !== 0 || Number(recorded) !== 2 * (AUDIT.runs + 1) + 1) throw new Error(`the audited runs did not leave ${2 * (AUDIT.runs + 1) + 1} verified records:\n${verified.out}`);
  printSpawnRows([
    ['gate -- true (not audited)', s.off],
    ['gate -- true (audited: 2 records)', s.on],
  ]);
  const ratio = median(paired(s.on, s.off, (a, b) => a / b));
  const diff = median(paired(s.on, s.off, (a, b) => a - b));
  console.log(`  audited/not audited: median of paired ratios ${f(ratio, 3)}; audited - not audited: ${sign(diff)} ms per command (key load, log append x2, fsync x2)`);
  console.log(`  one audited process at a time: ${f((2 * 1000) / median(s.on), 0)} records/s (${recorded} records in the log, verified)`);
  record('audited gate -- true / not audited', f(ratio, 3));
  record('audited gate -- true: extra time', `${sign(diff)} ms`);
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const started = process.hrtime.bigint();
  console.log('gate benchmarks');
  console.log(`machine: ${machine()}`);
  console.log(`load average at start: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  console.log(`settings: BENCH_RUNS=${CFG.runs} BENCH_COLD_RUNS=${CFG.coldRuns} BENCH_BIG_RUNS=${CFG.bigRuns} BENCH_DECIDE_ITERS=${CFG.iters} BENCH_RULES=${CFG.rules} BENCH_ANALYZE_ITERS=${CFG.analyzeIters}`);
  if (!existsSync(join(ROOT, 'dist', 'main.js'))) throw new Error('dist/main.js is missing: run `npm run bench` (it builds first)');

  const tmp = mkdtempSync(join(os.tmpdir(), 'gate-bench-'));
  try {
    const only = new Set((process.env.BENCH_ONLY ?? '').split(',').filter(Boolean));
    const run = (name) => only.size === 0 || only.has(name);
    if (run('allow') || run('decide')) {
      const { warmMedian } = await allowPath(tmp);
      await coldPath(tmp, warmMedian);
      const { file, m } = await decisionTime(tmp);
      await validateBig(tmp, file, m);
      await bigAllowPath(tmp, file);
    }
    if (run('analyze')) await analysisTime(tmp);
    if (run('approval')) {
      await approvalLatency(tmp);
      await approvalWaiters(tmp);
    }
    if (run('audit')) await auditBench(tmp);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }

  const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  console.log('\n== SUMMARY ==');
  console.log(`machine: ${machine()}`);
  const w = Math.max(...summary.map((s) => s.label.length));
  for (const s of summary) {
    console.log(`  ${pad(s.label, w)}  ${lpad(s.value, 11)}  ${pad(s.target ?? '', 9)}  ${s.status}`);
  }
  console.log(`  (total ${f(elapsed, 1)} s; load average now ${os.loadavg().map((x) => x.toFixed(2)).join(' ')})`);
}

main().catch((error) => {
  console.error(`bench failed: ${error?.stack ?? error}`);
  process.exitCode = 1;
});
