import fs from 'node:fs';
import type { BatchOutcome, NetnsRef, Step } from './batch';
import { kindOf, NetError, reasonOf } from './errors';
import type { ExecResult } from './exec';
import { toolPath } from './tools';
import { inet6FromHex, pollDadHere } from './wait';

/** What the runner needs from a namespace handle. */
export interface StepHost extends NetnsRef {
  /** Runs a program inside the namespace; throws a NetError when the namespace cannot be entered. */
  exec(file: string, args: readonly string[], input?: string): Promise<ExecResult>;
  /** Current operstate of a link, undefined when there is no such link. */
  operstate(ifname: string): Promise<string | undefined>;
}

/** A run of steps executed by one program: consecutive ip (or bridge) lines, or one other step. */
export interface Segment {
  kind: Step['op']['tool'];
  first: number;
  count: number;
}

export function segmentsOf(steps: readonly Step[], from = 0): Segment[] {
  const out: Segment[] = [];
  for (let i = from; i < steps.length; i++) {
    const kind = steps[i].op.tool;
    const last = out[out.length - 1];
    if (last && last.kind === kind && (kind === 'ip' || kind === 'bridge')) last.count++;
    else out.push({ kind, first: i, count: 1 });
  }
  return out;
}

export function batchInput(steps: readonly Step[], seg: Segment): string {
  let text = '';
  for (let i = seg.first; i < seg.first + seg.count; i++) {
    const op = steps[i].op;
    if (op.tool === 'ip' || op.tool === 'bridge') text += `${op.line}\n`;
  }
  return text;
}

/**
 * Where an `ip -batch` / `bridge -batch` run stopped: the 1-based line of "Command failed -:N"
 * and the tool's complaint printed just before it. No line means the tool gave up without saying
 * where (iproute2 exits outright on some argument errors).
 */
export function locateBatchFailure(stderr: string): { line?: number; reason: string } {
  const lines = stderr.split('\n').filter((l) => !l.startsWith('cnits-failed '));
  let failedAt = -1;
  let line: number | undefined;
  for (let i = lines.length - 1; i >= 0; i--) {
    const m = /^Command failed -:(\d+)\s*$/.exec(lines[i]);
    if (m) {
      failedAt = i;
      line = Number(m[1]);
      break;
    }
  }
  if (failedAt < 0) return { reason: reasonOf(lines, 'failed') };
  let start = failedAt;
  while (start > 0 && !/^Command failed -:/.test(lines[start - 1])) start--;
  return { line, reason: reasonOf(lines.slice(start, failedAt), 'failed') };
}

interface Failure {
  index: number;
  error: NetError;
  /** A DAD wait that ran out of time: only a failure if the link is operationally up. */
  dadTimeout?: string;
}

/**
 * iproute2 resolves some arguments (`master X`, `netns PATH`) while parsing and exits on a bad
 * one with `argument "X" is wrong` and no line number. The lines before the failing one ran, so
 * the failing line is the first that carries X as such an argument (not as the link's own name).
 */
export function lineOfBadArgument(lines: readonly string[], stderr: string): number | undefined {
  const m = /argument "([^"]*)" is wrong/.exec(stderr);
  if (!m) return undefined;
  const carries = (l: string, strict: boolean) => {
    const t = l.split(/\s+/);
    return t.some((tok, i) => tok === m[1] && i > 0 && (!strict || (t[i - 1] !== 'name' && t[i - 1] !== 'dev')));
  };
  const i = lines.findIndex((l) => carries(l, true));
  const j = i >= 0 ? i : lines.findIndex((l) => carries(l, false));
  return j >= 0 ? j + 1 : undefined;
}

function segmentFailure(steps: readonly Step[], seg: Segment, stderr: string): Failure {
  const located = locateBatchFailure(stderr);
  const reason = located.reason;
  const line = located.line ?? lineOfBadArgument(batchInput(steps, seg).split('\n'), stderr);
  if (line !== undefined && line >= 1 && line <= seg.count) {
    const index = seg.first + line - 1;
    return { index, error: new NetError(steps[index].what, reason, kindOf(reason), { stderr, stepIndex: index }) };
  }
  const whats = steps.slice(seg.first, seg.first + seg.count).map((s) => s.what);
  const what = whats.length === 1 ? whats[0] : `one of: ${whats.join('; ')}`;
  return { index: seg.first, error: new NetError(what, reason, kindOf(reason), { stderr, stepIndex: seg.first }) };
}

function dadFailure(steps: readonly Step[], index: number, address: string): Failure {
  const op = steps[index].op;
  const ifname = op.tool === 'dad' ? op.ifname : '';
  return {
    index,
    error: new NetError(steps[index].what, `link ${ifname} has address ${address} in DADFAILED state`, 'other', { stepIndex: index }),
  };
}

function dadTimeout(steps: readonly Step[], index: number): Failure {
  const op = steps[index].op;
  const ifname = op.tool === 'dad' ? op.ifname : '';
  const secs = op.tool === 'dad' ? op.timeoutMs / 1000 : 0;
  return {
    index,
    dadTimeout: ifname,
    error: new NetError(steps[index].what, `link ${ifname} still has tentative addresses after ${secs} seconds`, 'other', {
      stepIndex: index,
    }),
  };
}

async function runHere(host: StepHost, steps: readonly Step[], from: number): Promise<Failure | undefined> {
  for (const seg of segmentsOf(steps, from)) {
    const step = steps[seg.first];
    const op = step.op;
    if (op.tool === 'ip' || op.tool === 'bridge') {
      const r = await host.exec(toolPath(op.tool), ['-batch', '-'], batchInput(steps, seg));
      if (r.status !== 0) return segmentFailure(steps, seg, r.stderr);
    } else if (op.tool === 'sysctl') {
      try {
        fs.writeFileSync(`/proc/sys/${op.path}`, op.value);
      } catch (e) {
        if (op.ignoreErrors) continue;
        const err = e as NodeJS.ErrnoException;
        const reason = err.code === 'ENOENT' ? 'no such sysctl' : err.message;
        const kind = err.code === 'ENOENT' ? 'notfound' : kindOf(reason);
        return { index: seg.first, error: new NetError(step.what, reason, kind, { stepIndex: seg.first }) };
      }
    } else {
      const s = await pollDadHere(op.ifname, op.timeoutMs, op.intervalMs);
      if (s.state === 'dadfailed') return dadFailure(steps, seg.first, s.address);
      if (s.state === 'tentative') return dadTimeout(steps, seg.first);
    }
  }
  return undefined;
}

// The program another namespace runs for a mixed batch. It is fixed text: every name, address
// and value arrives as an argument and is only ever expanded inside double quotes or a here-doc
// body, never parsed as shell code. Segments are: `ip|bridge LINES`, `sysctl PATH VALUE IGNORE`,
// `dad IFNAME TRIES INTERVAL`. The first failure is reported as "cnits-failed <segment> <what>".
export const STEP_SCRIPT = `ip=$1 bridge=$2
shift 2
seg=0
while [ $# -gt 0 ]; do
  case $1 in
  ip|bridge)
    if [ "$1" = ip ]; then tool=$ip; else tool=$bridge; fi
    "$tool" -batch - <<CNITS_BATCH_END
$2
CNITS_BATCH_END
    [ $? -eq 0 ] || { echo "cnits-failed $seg tool" >&2; exit 1; }
    shift 2 ;;
  sysctl)
    if [ "$4" = 1 ]; then
      { printf '%s\\n' "$3" > "/proc/sys/$2"; } 2>/dev/null
    elif [ ! -e "/proc/sys/$2" ]; then
      echo "cnits-failed $seg notfound" >&2; exit 1
    elif ! printf '%s\\n' "$3" > "/proc/sys/$2"; then
      echo "cnits-failed $seg write" >&2; exit 1
    fi
    shift 4 ;;
  dad)
    tries=$3
    while :; do
      state=settled
      if [ -r /proc/net/if_inet6 ]; then
        while read -r addr idx plen scope flags name; do
          [ "$name" = "$2" ] || continue
          if [ $((0x$flags & 8)) -ne 0 ]; then state="dadfailed $addr"; break; fi
          if [ $((0x$flags & 64)) -ne 0 ]; then state=tentative; fi
        done < /proc/net/if_inet6
      fi
      case $state in
      settled) break ;;
      dadfailed*) echo "cnits-failed $seg $state" >&2; exit 1 ;;
      esac
      [ "$tries" -gt 0 ] || { echo "cnits-failed $seg timeout" >&2; exit 1; }
      tries=$((tries - 1))
      sleep "$4"
    done
    shift 4 ;;
  *) echo "cnits-failed $seg internal" >&2; exit 1 ;;
  esac
  seg=$((seg + 1))
done
`;

/** The argv that follows `sh -c STEP_SCRIPT`. */
export function scriptArgs(steps: readonly Step[], segs: readonly Segment[]): string[] {
  const args = ['cnits-steps', toolPath('ip'), toolPath('bridge')];
  for (const seg of segs) {
    const op = steps[seg.first].op;
    if (op.tool === 'ip' || op.tool === 'bridge') {
      args.push(op.tool, batchInput(steps, seg).replace(/\n$/, ''));
    } else if (op.tool === 'sysctl') {
      args.push('sysctl', op.path, op.value, op.ignoreErrors ? '1' : '0');
    } else {
      const tries = Math.ceil(op.timeoutMs / op.intervalMs);
      args.push('dad', op.ifname, String(tries), (op.intervalMs / 1000).toFixed(3));
    }
  }
  return args;
}

/** Maps the stderr of a failed STEP_SCRIPT run to the failing step. */
export function scriptFailure(steps: readonly Step[], segs: readonly Segment[], stderr: string): Failure {
  const lines = stderr.split('\n');
  let marker: RegExpExecArray | null = null;
  for (let i = lines.length - 1; i >= 0 && !marker; i--) marker = /^cnits-failed (\d+) (\S+)(?: (\S+))?$/.exec(lines[i].trim());
  const seg = marker ? segs[Number(marker[1])] : undefined;
  if (!marker || !seg) {
    const reason = reasonOf(lines, 'failed');
    const index = segs[0]?.first ?? 0;
    return { index, error: new NetError(`run ${steps.length} steps`, reason, kindOf(reason), { stderr, stepIndex: index }) };
  }
  const index = seg.first;
  const step = steps[index];
  switch (marker[2]) {
    case 'tool':
      return segmentFailure(steps, seg, stderr);
    case 'notfound':
      return { index, error: new NetError(step.what, 'no such sysctl', 'notfound', { stderr, stepIndex: index }) };
    case 'dadfailed':
      return dadFailure(steps, index, inet6FromHex(marker[3] ?? ''));
    case 'timeout':
      return dadTimeout(steps, index);
    default: {
      const reason = reasonOf(
        lines.filter((l) => !l.startsWith('cnits-failed ')).map((l) => l.replace(/^\S*sh: \d+: /, '')),
        'write failed',
      );
      return { index, error: new NetError(step.what, reason, kindOf(reason), { stderr, stepIndex: index }) };
    }
  }
}

async function runThere(host: StepHost, steps: readonly Step[], from: number): Promise<Failure | undefined> {
  const segs = segmentsOf(steps, from);
  if (segs.length === 1 && (segs[0].kind === 'ip' || segs[0].kind === 'bridge')) {
    const r = await host.exec(toolPath(segs[0].kind), ['-batch', '-'], batchInput(steps, segs[0]));
    return r.status === 0 ? undefined : segmentFailure(steps, segs[0], r.stderr);
  }
  const r = await host.exec('/bin/sh', ['-c', STEP_SCRIPT, ...scriptArgs(steps, segs)]);
  return r.status === 0 ? undefined : scriptFailure(steps, segs, r.stderr);
}

/**
 * Runs the steps in `host`: in the current namespace segment by segment (sysctls and the DAD
 * wait without any process), elsewhere all in one process. A failure of a tolerated kind is
 * recorded and the rest runs in a fresh process.
 */
export async function runSteps(host: StepHost, steps: readonly Step[]): Promise<BatchOutcome> {
  const outcome: BatchOutcome = { tolerated: [] };
  let from = 0;
  while (from < steps.length) {
    const failure = host.isCurrent ? await runHere(host, steps, from) : await runThere(host, steps, from);
    if (!failure) break;
    const step = steps[failure.index];
    if (failure.dadTimeout !== undefined && (await host.operstate(failure.dadTimeout)) !== 'up') {
      from = failure.index + 1;
      continue;
    }
    if (!step.tolerate.includes(failure.error.kind)) throw failure.error;
    outcome.tolerated.push({ index: failure.index, what: step.what, error: failure.error });
    from = failure.index + 1;
  }
  return outcome;
}
