/**
 * Bundle layout only, no behaviour. esbuild groups modules into chunks by the set of entry points
 * (including every `import()`) that reach them; a module that only some lazy entries share with
 * the allow path becomes a chunk of its own, and `gate -- true` then loads several files (each
 * costs start-up time). Every lazily loaded module imports this one, so all of the allow path is
 * reached by every entry and lands in a single chunk: `gate -- true` loads two files. It is
 * always loaded already when a lazy module runs (main imports it first).
 */
import './cli/run.js';
