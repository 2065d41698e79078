import fs from 'node:fs';
import path from 'node:path';
import { cni, GO_HOST_LOCAL, netConf, ok, requireBinary, requireGoPlugin, tempDataDir } from '../host-local/harness';

// Beyond the reference (issue 16, item 1; cni#1167, plugins#1196/#697/#252, containerd/cri#948):
// host-local `releaseOnReboot`. The built binary records the boot id with each reservation in
// its index; a reboot is simulated by rewriting those recorded ids (a new boot is exactly "a
// boot id other than the recorded one"), so no test-only input exists in the product.

const BOOT = fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
let dataDir: string;
beforeAll(requireBinary);
beforeEach(() => (dataDir = tempDataDir()));
afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));

const index = () => path.join(dataDir, '.cni-ts-index', 'hlnet');
const reservations = () =>
  fs
    .readdirSync(path.join(dataDir, 'hlnet'))
    .filter((f) => /^\d/.test(f))
    .sort();

function reboot(): void {
  fs.writeFileSync(index(), fs.readFileSync(index(), 'utf8').replaceAll(BOOT, 'an-earlier-boot'));
}

const ipam = (releaseOnReboot?: unknown) => ({
  ranges: [[{ subnet: '10.80.0.0/24' }]],
  ...(releaseOnReboot === undefined ? {} : { releaseOnReboot }),
});

async function add(containerId: string, releaseOnReboot?: unknown, bin?: string): Promise<string> {
  const r = await ok({ command: 'ADD', conf: netConf(dataDir, ipam(releaseOnReboot)), containerId, ...(bin ? { bin } : {}) });
  return (r.json.ips[0].address as string).split('/')[0];
}

test('the first ADD after a reboot releases what was reserved before it; later ADDs of this boot do not', async () => {
  expect([await add('a', true), await add('b', true)]).toEqual(['10.80.0.2', '10.80.0.3']);
  reboot();
  expect(await add('c', true)).toBe('10.80.0.4');
  expect(reservations()).toEqual(['10.80.0.4']);
  expect(await add('d', true)).toBe('10.80.0.5');
  expect(reservations()).toEqual(['10.80.0.4', '10.80.0.5']);
  // DEL of a container the reboot took away is still a success.
  await ok({ command: 'DEL', conf: netConf(dataDir, ipam(true)), containerId: 'a' });
});

test('without the option (the default) nothing is released, as in the Go plugin', async () => {
  await add('a');
  reboot();
  await add('b');
  expect(reservations()).toEqual(['10.80.0.2', '10.80.0.3']);
});

test('reservations made before the option was turned on are released too, if cni-ts made them', async () => {
  await add('a');
  reboot();
  await add('b', true);
  expect(reservations()).toEqual(['10.80.0.3']);
});

test('the Go plugin’s reservations stay with true; "all" releases those written before this boot', async () => {
  requireGoPlugin();
  await add('a', true);
  const goIp = await add('go1', undefined, GO_HOST_LOCAL);
  fs.utimesSync(path.join(dataDir, 'hlnet', goIp), 1_000_000, 1_000_000);
  reboot();
  await add('b', true);
  expect(reservations()).toEqual([goIp, '10.80.0.4']);
  reboot();
  // A Go reservation of this boot (written now) is never taken for an earlier one.
  const goNow = await add('go2', undefined, GO_HOST_LOCAL);
  await add('c', 'all');
  expect(reservations()).toEqual([goNow, '10.80.0.6']);
});

test('a bad value is refused with code 7', async () => {
  const bad = await cni({ command: 'ADD', conf: netConf(dataDir, ipam('yes')), containerId: 'y' });
  expect(bad.json).toMatchObject({ code: 7, msg: expect.stringContaining(`option 'releaseOnReboot' must be true, false or "all"`) });
});
