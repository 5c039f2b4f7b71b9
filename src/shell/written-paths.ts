import { lit, type Arg } from './layer.js';

/**
 * Files a command writes, copies or links into place, so a program run later by that name is
 * known to be whatever the command line put there (`cp /usr/bin/rm ./del && ./del -rf /`).
 * Only destinations count: the source of a copy is not created. Compilers are left out on
 * purpose: running a binary built from the repository is like running any local program.
 */
export function writtenPaths(program: string, args: readonly Arg[]): string[] {
  const words = args.slice(1).map(lit);
  const operands = words.filter((w): w is string => w !== undefined && !w.startsWith('-'));
  switch (program) {
    case 'cp':
    case 'mv':
    case 'ln':
    case 'install':
    case 'rsync':
    case 'scp': {
      const target = optionValue(words, ['-t', '--target-directory']) ?? operands[operands.length - 1];
      if (target === undefined) return [];
      const sources = operands.filter((o) => o !== target);
      return [target, ...sources.map((s) => `${target.replace(/\/+$/, '')}/${basename(s)}`)];
    }
    case 'tee':
    case 'touch':
      return operands;
    case 'curl':
      return optionValues(words, ['-o', '--output']);
    case 'wget':
      return optionValues(words, ['-O', '--output-document']);
    case 'dd':
      return operands.filter((o) => o.startsWith('of=')).map((o) => o.slice(3));
    default:
      return [];
  }
}

function optionValue(words: readonly (string | undefined)[], names: readonly string[]): string | undefined {
  return optionValues(words, names)[0];
}

function optionValues(words: readonly (string | undefined)[], names: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    if (w === undefined) continue;
    for (const name of names) {
      if (w === name && words[i + 1] !== undefined) out.push(words[i + 1]!);
      else if (name.startsWith('--') && w.startsWith(`${name}=`)) out.push(w.slice(name.length + 1));
      else if (!name.startsWith('--') && w.startsWith(name) && w.length > name.length && !w.startsWith('--')) out.push(w.slice(name.length));
    }
  }
  return out;
}

export function basename(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  const slash = trimmed.lastIndexOf('/');
  return slash === -1 ? trimmed : trimmed.slice(slash + 1);
}
