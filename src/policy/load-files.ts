import '../bundle-layout.js'; // see src/bundle-layout.ts
import { createHash } from 'node:crypto';
import { readFileSync, realpathSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { LineCounter, parseDocument, type Document } from 'yaml';
import { GateError, PolicyError, type PolicyIssue } from '../errors.js';
import { fileStamp } from './cache.js';
import { locate } from './source-map.js';

/** One policy file, read and parsed, with what is needed to point at any of its lines. */
export interface ParsedFile {
  /** Path as shown to users (relative to cwd when shorter). */
  readonly display: string;
  readonly path: string;
  readonly sha256: string;
  /** File identity taken before reading, so an edit during validation invalidates the cache. */
  readonly stamp: string | undefined;
  readonly doc: Document;
  readonly lines: LineCounter;
  readonly data: unknown;
}

const MAX_FILES = 256;
const MAX_BYTES = 4 * 1024 * 1024;

/**
 * Reads the given files and, transitively, their `include:`s. Each file is read once (by real
 * path); YAML syntax errors are collected for every file before failing.
 */
export function readPolicyFiles(paths: readonly string[]): ParsedFile[] {
  const seen = new Set<string>();
  const files: ParsedFile[] = [];
  const issues: PolicyIssue[] = [];
  const queue: { path: string; from?: { file: ParsedFile; index: number } }[] = paths.map((path) => ({ path }));
  while (queue.length > 0) {
    const { path, from } = queue.shift()!;
    let real: string;
    let bytes: Buffer;
    let stamp: string | undefined;
    try {
      real = realpathSync(path);
      stamp = fileStamp(real);
      bytes = readFileSync(real);
    } catch (cause) {
      if (from === undefined) throw new GateError('POLICY_NOT_FOUND', `policy not found: ${path}`, { cause });
      const at = locate(from.file.doc, from.file.lines, ['include', from.index]);
      issues.push({ file: from.file.display, ...at, field: `include[${from.index}]`, message: `cannot read ${path}: ${(cause as Error).message}` });
      continue;
    }
    if (seen.has(real)) continue;
    seen.add(real);
    if (seen.size > MAX_FILES) throw new PolicyError([{ file: display(real), line: 1, column: 1, field: '', message: `more than ${MAX_FILES} policy files` }]);
    if (bytes.length > MAX_BYTES) {
      issues.push({ file: display(real), line: 1, column: 1, field: '', message: `file is larger than ${MAX_BYTES} bytes` });
      continue;
    }
    const file = parseFile(real, bytes, stamp, issues);
    if (file === undefined) continue;
    files.push(file);
    const include = (file.data as { include?: unknown } | null)?.include;
    if (Array.isArray(include)) {
      include.forEach((entry, index) => {
        if (typeof entry === 'string') queue.push({ path: resolve(dirname(real), entry), from: { file, index } });
      });
    }
  }
  if (issues.length > 0) throw new PolicyError(issues);
  return files;
}

function parseFile(path: string, bytes: Buffer, stamp: string | undefined, issues: PolicyIssue[]): ParsedFile | undefined {
  const shown = display(path);
  const text = bytes.toString('utf8');
  const lines = new LineCounter();
  // No merge keys, unique keys, bounded aliases: a policy must mean exactly what it says.
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true, merge: false, strict: true });
  const problems = [...doc.errors, ...doc.warnings];
  // One stray character can cascade into hundreds of parser errors; the first few locate it.
  const shownProblems = problems.slice(0, 10);
  if (problems.length > shownProblems.length) {
    const last = lines.linePos(problems[shownProblems.length]!.pos[0]);
    issues.push({ file: shown, line: last.line, column: last.col, field: '', message: `YAML: ${problems.length - shownProblems.length} more problems follow from the ones above` });
  }
  for (const error of shownProblems) {
    const pos = lines.linePos(error.pos[0]);
    issues.push({ file: shown, line: pos.line, column: pos.col, field: '', message: `YAML: ${error.message.split('\n')[0]}` });
  }
  if (problems.length > 0) return undefined;
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 50 });
  } catch (error) {
    issues.push({ file: shown, line: 1, column: 1, field: '', message: `YAML: ${(error as Error).message}` });
    return undefined;
  }
  if (data === null || data === undefined) {
    issues.push({ file: shown, line: 1, column: 1, field: '', message: 'the file is empty; a policy needs at least `version: 1`' });
    return undefined;
  }
  return { display: shown, path, stamp, sha256: createHash('sha256').update(bytes).digest('hex'), doc, lines, data };
}

function display(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel !== '' && !rel.startsWith('..') && rel.length < path.length ? rel : path;
}
