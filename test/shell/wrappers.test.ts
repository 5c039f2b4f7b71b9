import { describe, expect, it } from 'vitest';
import { parts, signalNames, text, viaParts } from './helpers.js';

/** Each wrapper's option syntax: the inner command starts exactly where the wrapper's own parser ends. */
describe('wrappers: the inner command is found and matched as its own layer', () => {
  it.each([
    ['sudo -u root -- rm -rf x', 'sudo: rm -rf x'],
    ['sudo -iu root rm x', 'sudo: rm x'],
    ['sudo -E -H -n ls', 'sudo: ls'],
    ['sudo FOO=1 BAR=2 make', 'sudo: make'],
    ['sudo -g wheel -p prompt -D /tmp id', 'sudo: id'],
    ['doas -u root -C /etc/doas.conf ls', 'doas: ls'],
    ['pkexec --user root ls', 'pkexec: ls'],
    ['run0 -u root --setenv=A=1 ls', 'run0: ls'],
    ['env -i -u HOME -C /tmp A=1 ls -l', 'env: ls -l'],
    ['env - A=1 ls', 'env: ls'],
    ["env -S 'A=1 ls -l \"x y\"' z", 'env: ls -l x y z'],
    ["env --split-string='ls -a'", 'env: ls -a'],
    ['nice -n 5 ls', 'nice: ls'],
    ['nice -5 ls', 'nice: ls'],
    ['nice --adjustment=5 ls', 'nice: ls'],
    ['ionice -c 3 -n 7 ls', 'ionice: ls'],
    ['chrt -f 10 ls', 'chrt: ls'],
    ['taskset -c 0-3 ls', 'taskset: ls'],
    ['taskset 0x3 ls', 'taskset: ls'],
    ['timeout 5 ls', 'timeout: ls'],
    ['timeout -s KILL -k 2 5 ls', 'timeout: ls'],
    ['timeout --signal=TERM --preserve-status 5s ls', 'timeout: ls'],
    ['timeout --sig KILL 5 ls', 'timeout: ls'],
    ['nohup ls', 'nohup: ls'],
    ['setsid -f -w ls', 'setsid: ls'],
    ['stdbuf -oL -e0 ls', 'stdbuf: ls'],
    ['/usr/bin/time -f %e -o t.txt ls', 'time: ls'],
    ['command -p ls', 'command: ls'],
    ['builtin echo hi', 'builtin: echo hi'],
    ['exec -a name ls', 'exec: ls'],
    ['exec -cl ls', 'exec: ls'],
    ['flock -w 5 /tmp/l ls', 'flock: ls'],
    ["flock /tmp/l -c 'ls -a'", 'flock -c: ls -a'],
    ["flock -c 'ls -b' /tmp/l", 'flock -c: ls -b'],
    ['chroot /srv ls', 'chroot: ls'],
    ['chroot --userspec=a:b /srv ls', 'chroot: ls'],
    ['unshare -r -n ls', 'unshare: ls'],
    ['unshare --mount=/x --fork ls', 'unshare: ls'],
    ['nsenter -t 1 -m -n ls', 'nsenter: ls'],
    ['firejail --net=none --private ls', 'firejail: ls'],
    ['systemd-run --user -p MemoryMax=1G -- ls', 'systemd-run: ls'],
    ['strace -f -e trace=file -o out ls', 'strace: ls'],
    ['ltrace -c -o out ls', 'ltrace: ls'],
    ['valgrind --leak-check=full ls', 'valgrind: ls'],
    ['xvfb-run -a -s "-screen 0 1x1x8" ls', 'xvfb-run: ls'],
    ["script -q -c 'ls -a' /dev/null", 'script -c: ls -a'],
    ["watch -n 2 'ls | wc -l'", 'watch: ls'],
    ['watch -x ls -a', 'watch: ls -a'],
    ["su -c 'ls -a' root", 'su > sh -c: ls -a'],
    ["su - postgres -c 'psql'", 'su > sh -c: psql'],
    ["su -s /bin/bash -c 'id' bob", 'su > bash -c: id'],
    ['runuser -u app -- ls', 'runuser: ls'],
    ["runuser -l app -c 'ls -a'", 'runuser > sh -c: ls -a'],
    ["sg docker -c 'docker ps'", 'sg -c: docker ps'],
    ['sg docker docker ps', 'sg: docker ps'],
    ['busybox ls -l', 'busybox: ls -l'],
    ['toybox ls', 'toybox: ls'],
    ['xargs rm', 'xargs: rm ?<input>'],
    ['xargs -0 -n 1 -P 4 rm -f', 'xargs: rm -f ?<input>'],
    ['xargs', 'xargs: echo ?<input>'],
    ['xargs -I{} cp {} /tmp/{}.bak', 'xargs: cp ?<input> ?<input>'],
    ['xargs -i rm {}', 'xargs: rm ?<input>'],
    ['find . -name x -exec rm -f {} \\;', 'find -exec: rm -f ?<input>'],
    ['find . -execdir ls {} +', 'find -execdir: ls ?<input>'],
    ['find . -ok rm {} \\; -print', 'find -ok: rm ?<input>'],
    ['ssh -p 22 -i k host ls -la', 'ssh host: ls -la'],
    ["ssh host 'ls | wc -l'", 'ssh host: ls'],
    ['ssh host -p 22 -- ls', 'ssh host: ls'],
    ['docker exec -it -u root web ls', 'docker exec web: ls'],
    ['docker exec -e A=1 -w /app web ls', 'docker exec web: ls'],
    ['podman exec web ls', 'podman exec web: ls'],
    ['docker container exec web ls', 'docker exec web: ls'],
    ['kubectl exec -it api-0 -c app -- ls', 'kubectl exec: ls'],
    ['kubectl -n prod exec api-0 -- ls', 'kubectl exec: ls'],
    ['oc exec api-0 -- ls', 'oc exec: ls'],
    ['kubectl run tmp --image=busybox -- ls', 'kubectl run: ls'],
    ["bash -c 'ls -a'", 'bash -c: ls -a'],
    ["bash -xec 'ls'", 'bash -c: ls'],
    ["bash -o pipefail -O extglob -c 'ls'", 'bash -c: ls'],
    ["bash --norc -c -- 'ls'", 'bash -c: ls'],
    ["sh -c 'ls' name arg", 'sh -c: ls'],
    ["eval 'ls -a'", 'eval: ls -a'],
    ['eval ls -a', 'eval: ls -a'],
    ["trap 'ls -a' EXIT", 'trap: ls -a'],
    ["alias l='ls -a'", 'alias l: ls -a'],
    ["git submodule foreach 'ls -a'", 'git submodule foreach: ls -a'],
    ["git rebase --exec 'make test' main", 'git rebase --exec: make test'],
    ['git bisect run make test', 'git bisect run: make test'],
    ["parallel 'gzip {}' ::: a b", 'parallel: gzip ?"$__gate_input"'],
    ["npx -c 'ls -a'", 'npx -c: ls -a'],
    ["rsync -e 'ssh -p 2222' a host:b", 'rsync -e: ssh -p 2222'],
    ["tar -cf x.tar --to-command='ls -a' .", 'tar --to-command: ls -a'],
  ])('%s', (command, expected) => {
    const layers = viaParts(text(command));
    expect(layers.some((l) => l.startsWith(expected)), `${command}\n${layers.join('\n')}`).toBe(true);
  });

  it('matches the wrapper too: every layer is an invocation', () => {
    expect(parts(text('sudo nice kubectl delete ns x'))).toEqual(['sudo nice kubectl delete ns x', 'nice kubectl delete ns x', 'kubectl delete ns x']);
  });

  it('runs nothing for lookup and version options', () => {
    for (const t of ['command -v rm', 'command -V rm', 'sudo -l', 'sudo -k', 'sudo -e /etc/hosts', 'ionice -p 42', 'taskset -p 42', 'chrt -p 42', 'timeout --version', 'env']) {
      expect(text(t).invocations.length, t).toBe(1);
    }
  });

  it('reads an option it does not know both ways (a flag, or taking the next word)', () => {
    const layers = parts(text('timeout --frobnicate 5 10 ls'));
    expect(layers).toContain('ls');
  });

  it('starts a shell when a shell wrapper gets no command', () => {
    expect(signalNames(text('sudo -i'))).toEqual(['shell-reads-stdin']);
    expect(signalNames(text('chroot /srv'))).toEqual(['shell-reads-stdin']);
    expect(signalNames(text('curl x | sudo -s'))).toEqual(['code-piped-into-shell']);
  });

  it('keeps environment assignments of wrappers on the inner invocation', () => {
    const a = text('env A=1 B="$X" make');
    expect(a.invocations[1]!.assignments.map((x) => x.name)).toEqual(['A', 'B']);
  });

  it('adds site wrappers from the policy, read like the built-in ones', () => {
    const wrappers = [{ name: 'with-vault', value_options: ['-r', '--role'] }];
    expect(parts(text('with-vault -r admin kubectl delete ns x', { wrappers }))).toContain('kubectl delete ns x');
    expect(parts(text('with-vault -r admin kubectl delete ns x'))).not.toContain('kubectl delete ns x');
  });

  it('reads a site entry for a built-in wrapper in addition to the built-in one, never instead', () => {
    const wrappers = [{ name: 'sudo', runs: 'none' as const }];
    expect(parts(text('sudo rm -rf x', { wrappers }))).toContain('rm -rf x');
  });
});
