// Bundled on the fly by bench/run.mjs (esbuild JS API) so the benchmark can call the matcher
// in-process. Re-exports only; nothing here is part of the product.
export { compilePolicy } from '../src/policy/compile.js';
export { decide } from '../src/policy/decide.js';
export { ruleFiresOn, toSample } from '../src/policy/examples.js';
export { readPolicyFiles } from '../src/policy/load-files.js';
export { buildPolicySet } from '../src/policy/validate.js';
export { invocationFromArgv } from '../src/shell/types.js';
export { stringify as toYaml } from 'yaml';
