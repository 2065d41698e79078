import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ErrCode } from '../../../lib/cni/errors';
import { parseConfig } from '../../../plugins/host-local/config';
import { checkReady } from '../../../plugins/host-local/status';
import { request } from '../../helpers/fake-request';

let dataDir: string;
beforeEach(() => (dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cnits-hl-status-'))));
afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));

const conf = (ranges: unknown[], dir = dataDir) => parseConfig(request({ cniVersion: '1.1.0', ipam: { dataDir: dir, ranges } }));
const lease = (name: string) => {
  fs.mkdirSync(path.join(dataDir, 'net1'), { recursive: true });
  fs.writeFileSync(path.join(dataDir, 'net1', name), 'c\r\neth0');
};

describe('host-local STATUS', () => {
  it('is ready on a fresh data directory, which it creates', () => {
    expect(() => checkReady(conf([[{ subnet: '10.1.0.0/30' }]]))).not.toThrow();
    expect(fs.statSync(path.join(dataDir, 'net1')).isDirectory()).toBe(true);
  });

  it('reports 50 when one set is full, not counting files outside the ranges or named after the gateway', () => {
    lease('10.1.0.1');
    lease('10.1.0.3');
    lease('10.9.9.9');
    const c = conf([[{ subnet: 'fd00::/64' }], [{ subnet: '10.1.0.0/30' }]]);
    expect(() => checkReady(c)).not.toThrow();
    lease('10.1.0.2');
    expect(() => checkReady(c)).toThrow(
      expect.objectContaining({
        code: ErrCode.PluginNotAvailable,
        message: 'host-local: no IP addresses available in range set 1 (10.1.0.1-10.1.0.2)',
      }),
    );
  });

  it('reports 50 when the state directory cannot be created', () => {
    fs.writeFileSync(path.join(dataDir, 'file'), '');
    expect(() => checkReady(conf([[{ subnet: '10.1.0.0/24' }]], path.join(dataDir, 'file')))).toThrow(
      expect.objectContaining({ code: ErrCode.PluginNotAvailable }),
    );
  });
});
