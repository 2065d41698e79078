import { Batch, NetValidationError, type NetnsRef } from '../../../lib/net';
import { parseLink, parseMessages, requests } from '../../../lib/netlink';
import { parseBridgeConf } from '../../../plugins/bridge/config';
import { BRIDGE_ALIAS } from '../../../plugins/bridge/remove-unused';
import { request } from '../../helpers/fake-request';

// Beyond the reference (issue 16, items 4 and 5): the bridge options ipMasqDropInvalid and
// removeBridgeWhenUnused, and the link alias that marks a bridge cni-ts may remove.

const parse = (conf: Record<string, unknown>) => parseBridgeConf(request({ type: 'bridge', ...conf }));

describe('options', () => {
  test('both off by default', () => {
    expect(parse({})).toMatchObject({ ipMasqDropInvalid: false, removeBridgeWhenUnused: false });
  });

  test('JSON booleans, keys case-insensitive', () => {
    expect(parse({ ipmasqdropinvalid: true, RemoveBridgeWhenUnused: true })).toMatchObject({
      ipMasqDropInvalid: true,
      removeBridgeWhenUnused: true,
    });
  });

  test.each(['ipMasqDropInvalid', 'removeBridgeWhenUnused'])('%s: a string is refused with code 7', (key) => {
    expect(() => parse({ [key]: 'true' })).toThrow(`option '${key}' must be true or false`);
  });
});

describe('the removable-bridge mark', () => {
  const here: NetnsRef = { isCurrent: true, ref: '/proc/1/ns/net' };
  test('set as the link alias (IFLA_IFALIAS); the link decoder reads it back', () => {
    const b = new Batch(here, async () => ({ tolerated: [] })).setAlias('cni0', BRIDGE_ALIAS);
    expect(b.steps.map((s) => s.op)).toEqual([{ tool: 'rtnl', call: { op: 'setAlias', name: 'cni0', alias: 'cni-ts-removable' } }]);
    const [msg] = parseMessages(requests.setLink(3, { alias: BRIDGE_ALIAS }).finish(1));
    expect(parseLink(msg).alias).toBe(BRIDGE_ALIAS);
  });

  test('an alias that would not survive a batch line is refused', () => {
    const b = new Batch(here, async () => ({ tolerated: [] }));
    expect(() => b.setAlias('cni0', 'two words')).toThrow(NetValidationError);
  });
});
