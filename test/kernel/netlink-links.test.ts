import { requireRoot } from '../helpers/netns';
import { dummyAndVlanWork, vlanFilteringWorks } from '../netns/netlink/link-kinds';

// lib/netlink's link kinds this machine's kernel lacks (dummy, vlan, bridge VLAN filtering), run
// for real in the full kernel of user-mode-linux; the netns suite runs the failure variants.

jest.setTimeout(120_000);

beforeAll(() => {
  if (process.env.CNI_TS_FULL_KERNEL !== '1') throw new Error('the kernel suite runs inside user-mode-linux only: npm run test:kernel');
  requireRoot();
});

test('dummy and vlan links over netlink: created as asked and read back', () => {
  dummyAndVlanWork();
});

test('bridge VLAN filtering over netlink: vlan_filtering bridge, per-port VLANs with pvid/untagged, delete', () => {
  vlanFilteringWorks();
});
