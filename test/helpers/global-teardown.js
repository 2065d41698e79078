// Global teardown of the netns suite (DESIGN.md testing rules): whatever a test left behind —
// a crashed test, a killed worker — network namespaces named with the test prefix `cnits-` are
// deleted, so a failed run never leaves namespaces (and their links, bridges and firewall rules)
// on the machine.
//
// Several suites may run at once on one machine. A namespace named `cnits-p<pid>-…` (the form
// test/helpers/netns.ts gives) belongs to process <pid>: it is deleted when that process is gone
// or is this run (this process or one of its workers), and left alone while another live run
// owns it. A `cnits-` namespace without an owner in its name is deleted once it is older than
// FOREIGN_MAX_AGE_MS, long enough that no live test can still be using it.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');

const PREFIX = 'cnits-';
const OWNED = /^cnits-p(\d+)-/;
const FOREIGN_MAX_AGE_MS = 15 * 60 * 1000;

function parentOf(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may contain spaces and parentheses: fields resume after the last ')'.
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return 0;
  }
}

function isAlive(pid) {
  return fs.existsSync(`/proc/${pid}`);
}

function isThisRun(pid) {
  for (let p = pid, hops = 0; p > 1 && hops < 64; p = parentOf(p), hops++) {
    if (p === process.pid) return true;
  }
  return false;
}

function isStale(name) {
  const owner = OWNED.exec(name);
  if (owner) {
    const pid = Number(owner[1]);
    return !isAlive(pid) || isThisRun(pid);
  }
  try {
    return Date.now() - fs.statSync(`/run/netns/${name}`).mtimeMs > FOREIGN_MAX_AGE_MS;
  } catch {
    return true;
  }
}

function isOurOwnNamespace(name) {
  try {
    return fs.statSync(`/run/netns/${name}`).ino === fs.statSync('/proc/self/ns/net').ino;
  } catch {
    return false;
  }
}

function killProcessesIn(name) {
  if (isOurOwnNamespace(name)) return;
  // A process left inside (e.g. a `sleep` a test started) keeps the namespace and its veth
  // peers alive after the name is gone.
  const r = spawnSync('ip', ['netns', 'pids', name], { encoding: 'utf8' });
  for (const pid of (r.stdout || '').split(/\s+/).filter(Boolean).map(Number)) {
    if (pid > 1 && pid !== process.pid) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}

module.exports = async function globalTeardown() {
  const list = spawnSync('ip', ['-json', 'netns', 'list'], { encoding: 'utf8' });
  if (list.status !== 0 || !list.stdout.trim()) return;
  let names;
  try {
    names = JSON.parse(list.stdout).map((n) => n.name);
  } catch {
    return;
  }
  for (const name of names.filter((n) => typeof n === 'string' && n.startsWith(PREFIX) && isStale(n))) {
    killProcessesIn(name);
    spawnSync('ip', ['netns', 'delete', name], { stdio: 'ignore' });
  }
};
