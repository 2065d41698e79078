import type { Interface } from '../../lib/cni/result';
import { readSysctl, type Address, type Batch, type Netns } from '../../lib/net';
import { randomMac } from '../../lib/net/mac-address';
import { vlanGatewayName, type BridgeConf } from './config';
import { stepFailed } from '../../lib/kit/errors';
import { planGatewayAddress, type GatewayAddress } from './gateways';
import { randomVethName, setPortVlans, type BridgeState } from './host-side';
import type { IpFamily } from '../../lib/ip';

const FORWARDING: Record<IpFamily, string> = { 4: 'net/ipv4/ip_forward', 6: 'net/ipv6/conf/all/forwarding' };

/** The device that carries the gateway addresses, with what is on it now. */
interface GatewayDevice {
  name: string;
  addresses: Address[];
  /** The `<bridge>.<vlan>` interface, which the result lists. */
  vlanIface?: Interface;
}

/**
 * With a VLAN the gateway lives on `<bridge>.<vlan>`: one end of a veth pair whose other end is a
 * bridge port in that VLAN. It is created on first use and, like the bridge, never removed.
 */
async function vlanGatewayDevice(host: Netns, conf: BridgeConf, bridge: BridgeState): Promise<GatewayDevice> {
  const name = vlanGatewayName(conf);
  const snap = await host.inspect(name);
  if (snap.link) return { name, addresses: snap.addresses, vlanIface: { name, mac: snap.link.mac ?? '' } };
  const port = randomVethName();
  const mac = randomMac();
  const mtu = bridge.link?.mtu ?? conf.mtu;
  await host
    .batch()
    .createVeth(name, { mtu, mac }, { name: port, mtu })
    .setUp(port)
    .setMaster(port, conf.bridge)
    .setBridgePort(port, { hairpin: false, isolated: false })
    .setUp(name)
    .sysctl(`net/ipv6/conf/${port}/accept_ra`, 0, { ignoreErrors: true })
    .run();
  await setPortVlans(host, { vlan: conf.vlan, vlanTrunk: [], preserveDefaultVlan: conf.preserveDefaultVlan }, port);
  return { name, addresses: [], vlanIface: { name, mac } };
}

/** Steps that put `gateways` on a device (forceAddress rule) and turn on forwarding, appended to a batch. */
export type GatewaySteps = (batch: Batch) => void;

/**
 * Plans the gateway addresses for `device` holding `present`: throws (before anything runs) when
 * an address conflicts and forceAddress is off; returns the steps to append to a batch.
 */
export function planGatewaySteps(
  conf: BridgeConf,
  device: string,
  present: readonly Address[],
  gateways: readonly GatewayAddress[],
): GatewaySteps {
  let plans: Array<{ gw: GatewayAddress; remove: string[]; add: boolean }>;
  try {
    plans = gateways.map((gw) => ({ gw, ...planGatewayAddress(device, present, gw, conf.forceAddress) }));
  } catch (e) {
    throw stepFailed(`set gateway address on "${device}"`, e);
  }
  const forwarding = [...new Set(gateways.map((g) => g.family))].filter((family) => readForwarding(family) !== '1');
  return (batch) => {
    for (const plan of plans) {
      for (const old of plan.remove) batch.delAddress(device, old).tolerating('notfound');
      if (plan.add) batch.addAddress(device, plan.gw.cidr).tolerating('exists');
    }
    for (const family of forwarding) batch.sysctl(FORWARDING[family], 1);
  };
}

/**
 * isGateway with a VLAN: puts each gateway address on the VLAN gateway interface (created on
 * first use) with the forceAddress rule, then turns on forwarding for each family that has a
 * gateway. Returns that interface (the result lists it). Without a VLAN the same steps go into
 * the host batch that creates the veth (planGatewaySteps).
 */
export async function ensureVlanGateways(
  host: Netns,
  conf: BridgeConf,
  bridge: BridgeState,
  gateways: readonly GatewayAddress[],
): Promise<Interface | undefined> {
  if (gateways.length === 0) return undefined;
  let device: GatewayDevice;
  try {
    device = await vlanGatewayDevice(host, conf, bridge);
  } catch (e) {
    throw stepFailed(`create VLAN gateway interface ${vlanGatewayName(conf)}`, e);
  }
  const steps = planGatewaySteps(conf, device.name, device.addresses, gateways);
  const batch = host.batch();
  steps(batch);
  await batch.run().catch((e: unknown) => {
    throw stepFailed(`set gateway address on "${device.name}"`, e);
  });
  return device.vlanIface;
}

function readForwarding(family: IpFamily): string | undefined {
  try {
    return readSysctl(FORWARDING[family]);
  } catch {
    return undefined;
  }
}
