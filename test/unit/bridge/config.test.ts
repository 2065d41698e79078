import { CniError } from '../../../lib/cni/errors';
import type { Request } from '../../../lib/cni/plugin';
import { parseBridgeConf, vlanGatewayName } from '../../../plugins/bridge/config';
import { request } from '../../helpers/fake-request';

const HL = { type: 'host-local', subnet: '10.1.0.0/24' };

function parse(conf: Record<string, unknown>, args = '', command: Request['command'] = 'ADD') {
  return parseBridgeConf({ ...request({ type: 'bridge', ...conf }, args), command });
}

function failure(conf: Record<string, unknown>, args = '', command: Request['command'] = 'ADD'): CniError {
  try {
    parse(conf, args, command);
  } catch (e) {
    if (e instanceof CniError) return e;
    throw e;
  }
  throw new Error('expected the config to be refused');
}

describe('bridge config: defaults', () => {
  test('everything off, bridge cni0, L2 without ipam', () => {
    const c = parse({});
    expect(c).toMatchObject({
      bridge: 'cni0',
      isGateway: false,
      isDefaultGateway: false,
      forceAddress: false,
      ipMasq: false,
      ipMasqBackend: undefined,
      mtu: 0,
      hairpinMode: false,
      promiscMode: false,
      vlan: 0,
      vlanTrunk: [],
      vlanFiltering: false,
      preserveDefaultVlan: false,
      enableDad: false,
      macSpoofCheck: false,
      disableContainerInterface: false,
      portIsolation: false,
      mac: undefined,
      isLayer3: false,
    });
  });

  test('empty ipam section or empty type is L2-only', () => {
    expect(parse({ ipam: {} }).isLayer3).toBe(false);
    expect(parse({ ipam: { type: '' } }).isLayer3).toBe(false);
    expect(parse({ ipam: HL }).isLayer3).toBe(true);
  });

  test('isDefaultGateway implies isGateway', () => {
    expect(parse({ isDefaultGateway: true })).toMatchObject({ isGateway: true, isDefaultGateway: true });
  });

  test('keys match case-insensitively, as Go does', () => {
    expect(parse({ Bridge: 'br9', ISGATEWAY: true, EnableDAD: true, MacSpoofChk: true })).toMatchObject({
      bridge: 'br9',
      isGateway: true,
      enableDad: true,
      macSpoofCheck: true,
    });
  });

  test('every option is read', () => {
    const c = parse({
      bridge: 'br0',
      forceAddress: true,
      ipMasq: true,
      ipMasqBackend: 'nftables',
      mtu: 1400,
      hairpinMode: true,
      vlan: 10,
      preserveDefaultVlan: true,
      disableContainerInterface: true,
      portIsolation: true,
    });
    expect(c).toMatchObject({
      bridge: 'br0',
      forceAddress: true,
      ipMasq: true,
      ipMasqBackend: 'nftables',
      mtu: 1400,
      hairpinMode: true,
      vlan: 10,
      vlanFiltering: true,
      preserveDefaultVlan: true,
      disableContainerInterface: true,
      portIsolation: true,
    });
    expect(vlanGatewayName(c)).toBe('br0.10');
  });
});

describe('bridge config: vlan and vlanTrunk', () => {
  test('vlan must be 0-4094', () => {
    expect(failure({ vlan: 5000 }).message).toBe("bridge: option 'vlan' must be 0-4094, got 5000");
    expect(failure({ vlan: -1 }).code).toBe(7);
    expect(failure({ vlan: '10' }).message).toContain('must be an integer');
  });

  test('trunk ids and ranges are merged, sorted and deduplicated', () => {
    const c = parse({ vlanTrunk: [{ id: 42 }, { minID: 10, maxID: 12 }, { id: 11 }, { minID: 5, maxID: 5, id: 100 }] });
    expect(c.vlanTrunk).toEqual([5, 10, 11, 12, 42, 100]);
    expect(c.vlanFiltering).toBe(true);
  });

  test('an empty trunk list still turns on VLAN filtering (as in Go)', () => {
    expect(parse({ vlanTrunk: [] })).toMatchObject({ vlanTrunk: [], vlanFiltering: true });
    expect(parse({ vlanTrunk: null })).toMatchObject({ vlanTrunk: [], vlanFiltering: false });
  });

  test('invalid trunk entries are refused', () => {
    expect(failure({ vlanTrunk: [{ id: 0 }] }).message).toBe("bridge: vlanTrunk[0]: option 'id' must be 1-4094, got 0");
    expect(failure({ vlanTrunk: [{ id: 1 }, { minID: 0, maxID: 5 }] }).message).toBe(
      "bridge: vlanTrunk[1]: option 'minID' must be 1-4094, got 0",
    );
    expect(failure({ vlanTrunk: [{ minID: 5, maxID: 4095 }] }).message).toContain("option 'maxID' must be 1-4094");
    expect(failure({ vlanTrunk: [{ minID: 5 }] }).message).toContain('maxID is missing');
    expect(failure({ vlanTrunk: [{ maxID: 5 }] }).message).toContain('minID is missing');
    expect(failure({ vlanTrunk: [{ minID: 6, maxID: 5 }] }).message).toContain('minID 6 is greater than maxID 5');
    expect(failure({ vlanTrunk: [7] }).message).toContain('vlanTrunk[0] must be a JSON object');
    expect(failure({ vlanTrunk: { id: 7 } }).message).toContain("option 'vlanTrunk' must be a list");
  });
});

describe('bridge config: option checks', () => {
  test('booleans must be JSON booleans', () => {
    expect(failure({ portIsolation: 'true' }).message).toBe(
      'bridge: option \'portIsolation\' must be true or false (a JSON boolean), got "true"',
    );
  });

  test('bridge name must be an interface name', () => {
    expect(failure({ bridge: 'a-very-long-bridge-name' }).message).toContain("option 'bridge' must be an interface name");
    expect(failure({ bridge: 'br 0' }).code).toBe(7);
    expect(failure({ bridge: 'br0\nlink del eth0' }).code).toBe(7);
    expect(parse({ bridge: '' }).bridge).toBe('cni0');
  });

  test('mtu must be a non-negative integer', () => {
    expect(failure({ mtu: -5 }).message).toContain("option 'mtu' must be at least 0");
  });

  test('ipMasqBackend: iptables or nftables, checked only when ipMasq is on (as in Go)', () => {
    expect(parse({ ipMasq: true, ipMasqBackend: 'iptables' }).ipMasqBackend).toBe('iptables');
    expect(failure({ ipMasq: true, ipMasqBackend: 'pf' }).message).toBe(
      'bridge: option \'ipMasqBackend\' must be "iptables" or "nftables", got "pf"',
    );
    expect(parse({ ipMasqBackend: 'pf' }).ipMasqBackend).toBeUndefined();
    expect(parse({ ipMasq: true, ipMasqBackend: 'pf' }, '', 'DEL').ipMasq).toBe(true);
  });

  test('IPAM with disableContainerInterface is refused at ADD', () => {
    expect(failure({ ipam: HL, disableContainerInterface: true }).message).toContain(
      'cannot use IPAM when disableContainerInterface is set',
    );
    expect(parse({ disableContainerInterface: true }).disableContainerInterface).toBe(true);
  });

  test('hairpinMode with promiscMode is refused at ADD, not at DEL', () => {
    expect(failure({ hairpinMode: true, promiscMode: true }).message).toBe(
      'bridge: cannot set hairpinMode and promiscMode at the same time',
    );
    expect(parse({ hairpinMode: true, promiscMode: true }, '', 'DEL').hairpinMode).toBe(true);
  });

  test('a VLAN gateway interface name that would be too long is refused', () => {
    expect(failure({ bridge: 'bridge-number1', vlan: 100, isGateway: true, ipam: HL }).message).toContain('"bridge-number1.100"');
    expect(parse({ bridge: 'bridge-number1', vlan: 100, ipam: HL }).vlan).toBe(100);
  });
});

describe('bridge config: container MAC', () => {
  test('precedence: runtimeConfig.mac > args.cni.mac > CNI_ARGS MAC', () => {
    const all = { runtimeConfig: { mac: '02:00:00:00:00:01' }, args: { cni: { mac: '02:00:00:00:00:02' } } };
    expect(parse(all, 'MAC=02:00:00:00:00:03').mac).toBe('02:00:00:00:00:01');
    expect(parse({ args: all.args }, 'MAC=02:00:00:00:00:03').mac).toBe('02:00:00:00:00:02');
    expect(parse({}, 'MAC=02:00:00:00:00:03').mac).toBe('02:00:00:00:00:03');
    expect(parse({}, 'IgnoreUnknown=1;K8S_POD_NAME=x;MAC=02-00-00-00-00-0A').mac).toBe('02:00:00:00:00:0a');
  });

  test('Go spellings are accepted, invalid ones refused with the source named', () => {
    expect(parse({ runtimeConfig: { MAC: '0200.0000.00ff' } }).mac).toBe('02:00:00:00:00:ff');
    expect(failure({ args: { cni: { mac: 'zz' } } }).message).toBe(
      'bridge: args.cni.mac: invalid MAC address "zz" (expected e.g. 02:42:ac:11:00:02)',
    );
    expect(failure({}, 'MAC=01:00:5e:00:00:01').message).toContain('CNI_ARGS MAC: 01:00:5e:00:00:01 is not a unicast MAC address');
  });

  test('unknown CNI_ARGS need IgnoreUnknown, as in Go', () => {
    expect(failure({}, 'K8S_POD_NAME=x').code).toBe(4);
  });

  test('DEL does not read the MAC (nothing to refuse a cleanup for)', () => {
    expect(parse({}, 'K8S_POD_NAME=x', 'DEL').mac).toBeUndefined();
  });
});
