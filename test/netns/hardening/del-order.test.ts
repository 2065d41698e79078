import { requireRoot } from '../../helpers/netns';
import { requireBinaries, withSandbox } from '../bridge/harness';

// Issue 15 item 3: bridge DEL releases the address only once the container link is gone. A link
// that cannot be deleted keeps its address reserved (and DEL fails, so the runtime retries);
// otherwise the next pod would be given an address still in use.

beforeAll(() => {
  requireRoot();
  requireBinaries();
});

test('bridge DEL whose link deletion fails keeps the reservation and fails', async () => {
  await withSandbox((s) => {
    const conf = s.conf();
    s.ok({ command: 'ADD', conf });
    expect(s.reservations()).toEqual(['10.99.0.2']);
    // Stand-in for a link the kernel refuses to delete: the loopback device, renamed to eth0
    // after the veth is gone ("Operation not supported" on delete).
    s.ctr.ip('link', 'delete', 'dev', 'eth0');
    s.ctr.ip('link', 'set', 'dev', 'lo', 'down');
    s.ctr.ip('link', 'set', 'dev', 'lo', 'name', 'eth0');
    const err = s.fails({ command: 'DEL', conf });
    expect(err.msg).toMatch(/eth0/);
    expect(s.reservations()).toEqual(['10.99.0.2']);
    // Once the link is gone, DEL releases it.
    s.ctr.ip('link', 'set', 'dev', 'eth0', 'name', 'lo');
    s.ok({ command: 'DEL', conf });
    expect(s.reservations()).toEqual([]);
  });
});

test('bridge DEL after the namespace is gone still releases the reservation', async () => {
  await withSandbox((s) => {
    const conf = s.conf();
    s.ok({ command: 'ADD', conf });
    const netns = s.ctr.path;
    s.ctr.delete();
    s.ok({ command: 'DEL', conf, netns });
    expect(s.reservations()).toEqual([]);
  });
});
