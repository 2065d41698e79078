import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// Fake CNI plugins for the CLI's unit tests: shell scripts that record every call (stdin and
// environment) in a log directory and answer from files the test writes:
//   <log>/<name>.<COMMAND>.out   printed on stdout (e.g. an ADD result)
//   <log>/<name>.<COMMAND>.fail  printed on stdout, then exit 1 (a CNI error object)

const SCRIPT = `#!/bin/sh
log="$FAKE_PLUGIN_LOG"
name=$(basename "$0")
seq=$(( $(cat "$log/seq" 2>/dev/null || echo 0) + 1 ))
echo "$seq" > "$log/seq"
cat > "$log/call-$seq.stdin"
env > "$log/call-$seq.env"
echo "$name $CNI_COMMAND" >> "$log/calls"
if [ -f "$log/$name.$CNI_COMMAND.fail" ]; then cat "$log/$name.$CNI_COMMAND.fail"; exit 1; fi
if [ -f "$log/$name.$CNI_COMMAND.out" ]; then cat "$log/$name.$CNI_COMMAND.out"; fi
exit 0
`;

export interface Call {
  plugin: string;
  command: string;
  stdin: Record<string, unknown>;
  env: Record<string, string>;
}

export class FakePlugins {
  readonly root = fs.mkdtempSync(path.join(os.tmpdir(), 'cnits-cli-unit-'));
  readonly bin = path.join(this.root, 'bin');
  readonly log = path.join(this.root, 'log');
  readonly netconf = path.join(this.root, 'net.d');
  readonly cache = path.join(this.root, 'cache');

  constructor(names: readonly string[]) {
    for (const d of [this.bin, this.log, this.netconf]) fs.mkdirSync(d);
    for (const n of names) fs.writeFileSync(path.join(this.bin, n), SCRIPT, { mode: 0o755 });
  }

  /** Environment for runCli: everything points into this temp dir. */
  env(extra: Record<string, string> = {}): Record<string, string> {
    return {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      FAKE_PLUGIN_LOG: this.log,
      NETCONFPATH: this.netconf,
      CNI_PATH: this.bin,
      CNI_CACHE_DIR: this.cache,
      ...extra,
    };
  }

  writeConf(file: string, conf: unknown): void {
    fs.writeFileSync(path.join(this.netconf, file), typeof conf === 'string' ? conf : JSON.stringify(conf, null, 2));
  }

  answer(plugin: string, command: string, output: unknown): void {
    fs.writeFileSync(path.join(this.log, `${plugin}.${command}.out`), JSON.stringify(output));
  }

  fail(plugin: string, command: string, output: unknown): void {
    fs.writeFileSync(path.join(this.log, `${plugin}.${command}.fail`), typeof output === 'string' ? output : JSON.stringify(output));
  }

  calls(): Call[] {
    const file = path.join(this.log, 'calls');
    if (!fs.existsSync(file)) return [];
    return fs
      .readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((line, i) => {
        const [plugin, command] = line.split(' ');
        const stdin = JSON.parse(fs.readFileSync(path.join(this.log, `call-${i + 1}.stdin`), 'utf8')) as Record<string, unknown>;
        const env: Record<string, string> = {};
        for (const l of fs.readFileSync(path.join(this.log, `call-${i + 1}.env`), 'utf8').split('\n')) {
          const eq = l.indexOf('=');
          if (eq > 0) env[l.slice(0, eq)] = l.slice(eq + 1);
        }
        return { plugin, command, stdin, env };
      });
  }

  resetCalls(): void {
    for (const f of fs.readdirSync(this.log)) if (f === 'seq' || f === 'calls' || f.startsWith('call-')) fs.rmSync(path.join(this.log, f));
  }

  remove(): void {
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}

/** Captures what runCli prints. */
export function captureIo(): { stdout: string; stderr: string; io: { stdout(t: string): void; stderr(t: string): void } } {
  const out = {
    stdout: '',
    stderr: '',
    io: { stdout: (t: string) => void (out.stdout += t), stderr: (t: string) => void (out.stderr += t) },
  };
  return out;
}
