import { parsePortVlans } from '../../../lib/net/bridge-vlans';

test('port VLANs from bridge -json vlan show, ranges expanded, other ports ignored', () => {
  const json = JSON.stringify([
    {
      ifname: 'veth1',
      vlans: [
        { vlan: 1, flags: ['PVID', 'Egress Untagged'] },
        { vlan: 10, vlanEnd: 12 },
      ],
    },
    { ifname: 'veth2', vlans: [{ vlan: 99 }] },
  ]);
  expect(parsePortVlans(json, 'veth1')).toEqual([1, 10, 11, 12]);
  expect(parsePortVlans('', 'veth1')).toEqual([]);
  expect(parsePortVlans('[]', 'veth1')).toEqual([]);
});
