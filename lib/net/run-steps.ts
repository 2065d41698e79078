import { NamespaceEscapeError, type NetnsTarget, type Rtnl } from '../netlink';
import type { BatchOutcome, NetnsRef, RtnlCall, Step } from './batch';
import { kindOf, NetError } from './errors';

/** What the runner needs from a namespace: its rtnetlink socket, sysctl writes and placements. */
export interface StepHost {
  rtnl(): Rtnl;
  writeSysctl(path: string, value: string): void;
  /** An open namespace a link is created in or moved to. */
  target(ref: NetnsRef): NetnsTarget;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function call(host: StepHost, c: RtnlCall): void {
  const r = host.rtnl();
  switch (c.op) {
    case 'createBridge':
      return r.createBridge(c.name, c.opts);
    case 'createVeth': {
      const { netns, ...peer } = c.peer;
      return r.createVeth(c.name, c.opts, netns ? { ...peer, netns: host.target(netns) } : peer);
    }
    case 'createMacvlan': {
      const { netns, ...opts } = c.opts;
      return r.createMacvlan(c.name, netns ? { ...opts, netns: host.target(netns) } : opts);
    }
    case 'createDummy':
      return r.createDummy(c.name, c.opts);
    case 'deleteLink':
      return r.deleteLink(c.name);
    case 'setUp':
      return r.setUp(c.name);
    case 'setMac':
      return r.setMac(c.name, c.mac);
    case 'setAlias':
      return r.setAlias(c.name, c.alias);
    case 'setPromisc':
      return r.setPromisc(c.name, c.on);
    case 'setMaster':
      return r.setMaster(c.name, c.master);
    case 'rename':
      return r.rename(c.name, c.newName);
    case 'setBridgePort':
      return r.setBridgePort(c.name, c.flags);
    case 'bridgeVlanAdd':
      return r.bridgeVlanAdd(c.port, c.vid, c.flags);
    case 'bridgeVlanDel':
      return r.bridgeVlanDel(c.port, c.vid);
    case 'addAddress':
      return r.addAddress(c.dev, c.cidr, { noDad: c.noDad });
    case 'delAddress':
      return r.delAddress(c.dev, c.cidr);
    case 'addRoute':
      return r.addRoute(c.route, c.mode);
  }
}

/** The DAD state of a link; a link that is not there has nothing tentative. */
function dadState(host: StepHost, ifname: string): ReturnType<Rtnl['dadState']> {
  try {
    return host.rtnl().dadState(ifname);
  } catch (e) {
    if (e instanceof NetError && e.kind === 'notfound') return { state: 'settled' };
    throw e;
  }
}

/**
 * Runs one step. A DAD wait that runs out of time on a link that is not operationally up is not
 * a failure: a link without carrier never finishes DAD.
 */
async function runStep(host: StepHost, step: Step): Promise<void> {
  const op = step.op;
  if (op.tool === 'rtnl') return call(host, op.call);
  if (op.tool === 'sysctl') {
    try {
      host.writeSysctl(op.path, op.value);
    } catch (e) {
      if (!op.ignoreErrors) throw e;
    }
    return;
  }
  const deadline = Date.now() + op.timeoutMs;
  for (;;) {
    const s = dadState(host, op.ifname);
    if (s.state === 'dadfailed') throw new NetError(step.what, `link ${op.ifname} has address ${s.address} in DADFAILED state`, 'other');
    if (s.state === 'settled') return;
    if (Date.now() >= deadline) {
      if (host.rtnl().operstate(op.ifname) !== 'up') return;
      throw new NetError(step.what, `link ${op.ifname} still has tentative addresses after ${op.timeoutMs / 1000} seconds`, 'other');
    }
    await sleep(op.intervalMs);
  }
}

function asStepError(step: Step, index: number, e: unknown): NetError {
  if (e instanceof NetError) {
    return new NetError(step.what, e.reason, e.kind, { stderr: e.stderr, netnsGone: e.netnsGone, stepIndex: index });
  }
  if (e instanceof NamespaceEscapeError) throw e;
  const reason = e instanceof Error ? e.message : String(e);
  return new NetError(step.what, reason, kindOf(reason), { stepIndex: index });
}

/**
 * Runs the steps one after the other in the host's namespace. A failure of a tolerated kind is
 * recorded and the rest runs; any other stops the batch as a NetError with `stepIndex`.
 */
export async function runSteps(host: StepHost, steps: readonly Step[]): Promise<BatchOutcome> {
  const outcome: BatchOutcome = { tolerated: [] };
  for (let index = 0; index < steps.length; index++) {
    const step = steps[index];
    try {
      await runStep(host, step);
    } catch (e) {
      const error = asStepError(step, index, e);
      if (!step.tolerate.includes(error.kind)) throw error;
      outcome.tolerated.push({ index, what: step.what, error });
    }
  }
  return outcome;
}
