// Global teardown of the netns suite (DESIGN.md testing rules): whatever a test left behind —
// a crashed test, a killed worker — every network namespace named with the test prefix
// `cnits-` is deleted, so a failed run never leaves namespaces (and their links, bridges and
// firewall rules) on the machine.
const { spawnSync } = require('node:child_process');

const PREFIX = 'cnits-';

module.exports = async function globalTeardown() {
  const list = spawnSync('ip', ['-json', 'netns', 'list'], { encoding: 'utf8' });
  if (list.status !== 0 || !list.stdout.trim()) return;
  let names = [];
  try {
    names = JSON.parse(list.stdout).map((n) => n.name);
  } catch {
    return;
  }
  for (const name of names.filter((n) => typeof n === 'string' && n.startsWith(PREFIX))) {
    spawnSync('ip', ['netns', 'delete', name], { stdio: 'ignore' });
  }
};
