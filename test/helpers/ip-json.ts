import type { Address, BridgePortInfo, Link, Nexthop, Route } from '../../lib/net/types';
import type { IpFamily } from '../../lib/net/validate';

// The tests' oracle: parsers for iproute2's -json output (what the iproute2-era driver read),
// to compare lib/netlink's decoders against what `ip -json` shows. Only the fields the types promise are read, and every
// field is checked for its JSON type, so a different iproute2 version degrades to "absent"
// rather than to a wrong value.

type Json = Record<string, unknown>;

const obj = (v: unknown): Json | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const bool = (v: unknown): boolean => v === true || v === 1 || v === 'on';

function array(text: string, what: string): Json[] {
  const parsed: unknown = text.trim() === '' ? [] : JSON.parse(text);
  if (!Array.isArray(parsed)) throw new Error(`unexpected ${what} output from iproute2`);
  return parsed.map((e) => obj(e) ?? {});
}

/**
 * `ip -json -batch` prints one JSON array per successful show command, one after the other;
 * splits them apart.
 */
export function splitJsonDocuments(text: string): string[] {
  const docs: string[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '[' || c === '{') {
      if (depth++ === 0) start = i;
    } else if (c === ']' || c === '}') {
      if (--depth === 0) docs.push(text.slice(start, i + 1));
    }
  }
  return docs;
}

function bridgePort(info: Json): BridgePortInfo | undefined {
  if (info.info_slave_kind !== 'bridge') return undefined;
  const data = obj(info.info_slave_data) ?? {};
  const port: BridgePortInfo = { hairpin: bool(data.hairpin), isolated: bool(data.isolated) };
  const state = str(data.state);
  if (state !== undefined) port.state = state;
  return port;
}

export function parseLink(j: Json): Link {
  const flags = Array.isArray(j.flags) ? j.flags.filter((f): f is string => typeof f === 'string') : [];
  const info = obj(j.linkinfo) ?? {};
  const data = obj(info.info_data) ?? {};
  const kind = str(info.info_kind) ?? '';
  const link: Link = {
    ifindex: num(j.ifindex) ?? 0,
    name: str(j.ifname) ?? '',
    kind,
    mtu: num(j.mtu) ?? 0,
    flags,
    up: flags.includes('UP'),
    operstate: (str(j.operstate) ?? 'unknown').toLowerCase(),
    promisc: flags.includes('PROMISC'),
  };
  const mac = str(j.address);
  if (mac !== undefined && j.link_type === 'ether') link.mac = mac;
  const master = str(j.master);
  if (master !== undefined) link.master = master;
  const alias = str(j.ifalias);
  if (alias !== undefined) link.alias = alias;
  const parentIndex = num(j.link_index);
  if (parentIndex !== undefined) link.parentIndex = parentIndex;
  const parentName = str(j.link);
  if (parentName !== undefined) link.parentName = parentName;
  const netnsId = num(j.link_netnsid);
  if (netnsId !== undefined) link.parentNetnsId = netnsId;
  if (kind === 'macvlan' || kind === 'macvtap') {
    const mode = str(data.mode);
    if (mode !== undefined) link.macvlanMode = mode;
  }
  if (kind === 'vlan') {
    const id = num(data.id);
    if (id !== undefined) link.vlanId = id;
  }
  if (kind === 'bridge') link.vlanFiltering = bool(data.vlan_filtering);
  const port = bridgePort(info);
  if (port) link.bridgePort = port;
  return link;
}

export function parseLinks(text: string): Link[] {
  return array(text, 'link').map(parseLink);
}

const ADDR_NON_FLAGS = new Set(['family', 'local', 'address', 'prefixlen', 'scope', 'label', 'broadcast']);

/** `ip -json addr show` output: one entry per link, each with its addr_info. */
export function parseAddresses(text: string): Address[] {
  const out: Address[] = [];
  for (const l of array(text, 'address')) {
    const ifindex = num(l.ifindex) ?? 0;
    const ifname = str(l.ifname) ?? '';
    for (const raw of Array.isArray(l.addr_info) ? l.addr_info : []) {
      const a = obj(raw);
      const family = a?.family === 'inet' ? 4 : a?.family === 'inet6' ? 6 : undefined;
      const address = str(a?.local);
      const prefix = num(a?.prefixlen);
      if (!a || family === undefined || address === undefined || prefix === undefined) continue;
      const flags = Object.keys(a).filter((k) => !ADDR_NON_FLAGS.has(k) && a[k] === true);
      out.push({
        ifindex,
        ifname,
        family,
        address,
        prefix,
        cidr: `${address}/${prefix}`,
        scope: String(a.scope ?? 'global'),
        tentative: flags.includes('tentative'),
        dadfailed: flags.includes('dadfailed'),
        flags,
      });
    }
  }
  return out;
}

const TABLES: Record<string, number> = { unspec: 0, default: 253, main: 254, local: 255 };

function tableNumber(v: unknown): number {
  if (v === undefined) return 254;
  if (typeof v === 'number') return v;
  const s = String(v);
  return TABLES[s] ?? (/^[0-9]+$/.test(s) ? Number(s) : -1);
}

function routeDst(dst: string | undefined, family: IpFamily): string {
  const all = family === 4 ? '0.0.0.0/0' : '::/0';
  if (dst === undefined || dst === 'default') return all;
  return dst.includes('/') ? dst : `${dst}/${family === 4 ? 32 : 128}`;
}

/** `ip -json route show` output of one family (iproute2 does not say which). */
export function parseRoutes(text: string, family: IpFamily): Route[] {
  return array(text, 'route').map((r) => {
    const route: Route = {
      family,
      dst: routeDst(str(r.dst), family),
      table: tableNumber(r.table),
      type: str(r.type) ?? 'unicast',
      // iproute2 leaves out the default scope unless run with -d.
      scope: str(r.scope) ?? 'global',
    };
    const copy = <K extends 'gateway' | 'dev' | 'protocol' | 'prefsrc'>(k: K) => {
      const v = str(r[k]);
      if (v !== undefined) route[k] = v;
    };
    copy('gateway');
    copy('dev');
    copy('protocol');
    copy('prefsrc');
    const metric = num(r.metric);
    if (metric !== undefined) route.metric = metric;
    // `metrics` is a list of one object: {"mtu": 1400, "advmss": 1360, …}.
    const metrics = Array.isArray(r.metrics) ? obj(r.metrics[0]) : undefined;
    for (const k of ['mtu', 'advmss'] as const) {
      const v = metrics ? num(metrics[k]) : undefined;
      if (v !== undefined) route[k] = v;
    }
    if (Array.isArray(r.nexthops)) {
      route.nexthops = r.nexthops.map((raw): Nexthop => {
        const n = obj(raw) ?? {};
        const hop: Nexthop = {};
        const gw = str(n.gateway);
        if (gw !== undefined) hop.gateway = gw;
        const dev = str(n.dev);
        if (dev !== undefined) hop.dev = dev;
        const weight = num(n.weight);
        if (weight !== undefined) hop.weight = weight;
        return hop;
      });
    }
    return route;
  });
}
