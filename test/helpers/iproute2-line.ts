import type { RtnlCall, Step } from '../../lib/net';

// The iproute2 command a Batch step is the equivalent of (lib/netlink/README.md), so unit tests
// can state what a step does in the words an operator would type.

const onOff = (v: boolean) => (v ? 'on' : 'off');

function linkOpts(o: { mtu?: number; mac?: string }): string {
  return `${o.mtu ? ` mtu ${o.mtu}` : ''}${o.mac !== undefined ? ` address ${o.mac}` : ''}`;
}

const VERB = { create: 'prepend', exclusive: 'add', replace: 'replace' } as const;

function routeSel(r: Extract<RtnlCall, { op: 'addRoute' }>['route']): string {
  let s = r.dst;
  if (r.gw !== undefined) s += ` via ${r.gw}`;
  if (r.dev !== undefined) s += ` dev ${r.dev}`;
  if (r.metric !== undefined) s += ` metric ${r.metric}`;
  if (r.table !== undefined) s += ` table ${r.table}`;
  return s;
}

export function iproute2Line(c: RtnlCall): string {
  switch (c.op) {
    case 'createBridge':
      return `ip: link add name ${c.name}${linkOpts(c.opts)} type bridge${c.opts.vlanFiltering ? ' vlan_filtering 1' : ''}`;
    case 'createVeth': {
      const ns = c.peer.netns ? ` netns ${c.peer.netns.ref}` : '';
      return `ip: link add name ${c.name}${linkOpts(c.opts)} type veth peer name ${c.peer.name}${linkOpts(c.peer)}${ns}`;
    }
    case 'createMacvlan': {
      const ns = c.opts.netns ? ` netns ${c.opts.netns.ref}` : '';
      const bcq = c.opts.bcQueueLen ? ` bcqueuelen ${c.opts.bcQueueLen}` : '';
      return `ip: link add link ${c.opts.master} name ${c.name}${linkOpts(c.opts)}${ns} type macvlan mode ${c.opts.mode}${bcq}`;
    }
    case 'createDummy':
      return `ip: link add name ${c.name}${linkOpts(c.opts)} type dummy`;
    case 'deleteLink':
      return `ip: link delete dev ${c.name}`;
    case 'setUp':
      return `ip: link set dev ${c.name} up`;
    case 'setMac':
      return `ip: link set dev ${c.name} address ${c.mac}`;
    case 'setAlias':
      return `ip: link set dev ${c.name} alias ${c.alias}`;
    case 'setPromisc':
      return `ip: link set dev ${c.name} promisc ${onOff(c.on)}`;
    case 'setMaster':
      return `ip: link set dev ${c.name} master ${c.master}`;
    case 'rename':
      return `ip: link set dev ${c.name} name ${c.newName}`;
    case 'setBridgePort': {
      const f = c.flags;
      return `ip: link set dev ${c.name} type bridge_slave${f.hairpin !== undefined ? ` hairpin ${onOff(f.hairpin)}` : ''}${f.isolated !== undefined ? ` isolated ${onOff(f.isolated)}` : ''}`;
    }
    case 'bridgeVlanAdd':
      return `bridge: vlan add dev ${c.port} vid ${c.vid}${c.flags.pvid ? ' pvid' : ''}${c.flags.untagged ? ' untagged' : ''}`;
    case 'bridgeVlanDel':
      return `bridge: vlan del dev ${c.port} vid ${c.vid}`;
    case 'addAddress': {
      const brd = !c.cidr.includes(':') && Number(c.cidr.split('/')[1]) < 31 ? ' brd +' : '';
      return `ip: address add ${c.cidr}${brd} dev ${c.dev}${c.noDad ? ' nodad' : ''}`;
    }
    case 'delAddress':
      return `ip: address del ${c.cidr} dev ${c.dev}`;
    case 'addRoute': {
      const r = c.route;
      let s = `ip: route ${VERB[c.mode]} ${routeSel(r)}`;
      if (r.scope !== undefined) s += ` scope ${r.scope}`;
      if (r.src !== undefined) s += ` src ${r.src}`;
      if (r.mtu) s += ` mtu ${r.mtu}`;
      if (r.advmss) s += ` advmss ${r.advmss}`;
      return s;
    }
  }
}

/** The iproute2 equivalents of a batch's rtnetlink steps ('sysctl'/'dad' for the others). */
export function stepLines(steps: readonly Step[]): string[] {
  return steps.map((s) => (s.op.tool === 'rtnl' ? iproute2Line(s.op.call) : s.op.tool));
}
