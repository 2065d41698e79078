import { ErrCode } from '../../../lib/cni/errors';
import { Ip } from '../../../lib/ip';
import { isValid, parseValidAttachments as parseOrUndefined } from '../../../plugins/host-local/gc';

/** A request that carries a list. */
const parseValidAttachments = (conf: Record<string, unknown>) => {
  const valid = parseOrUndefined(conf);
  if (!valid) throw new Error('expected a list');
  return valid;
};

const r = (containerId: string, ifName?: string) => ({ ip: Ip.parse('10.0.0.2'), containerId, ifName });

describe('host-local GC attachment list', () => {
  it('keeps listed (container, interface) pairs and nothing else', () => {
    const valid = parseValidAttachments({ 'cni.dev/valid-attachments': [{ containerID: 'a', ifname: 'eth0' }] });
    expect(isValid(valid, r('a', 'eth0'))).toBe(true);
    expect(isValid(valid, r('a', 'eth1'))).toBe(false);
    expect(isValid(valid, r('b', 'eth0'))).toBe(false);
  });

  it('matches legacy id-only reservations by container alone', () => {
    const valid = parseValidAttachments({ 'cni.dev/valid-attachments': [{ containerID: 'a', ifname: 'eth1' }] });
    expect(isValid(valid, r('a'))).toBe(true);
    expect(isValid(valid, r('b'))).toBe(false);
  });

  it('accepts the spec-tag key cni.dev/attachments and unions both lists', () => {
    const valid = parseValidAttachments({
      'cni.dev/attachments': [{ containerID: 'a', ifname: 'eth0' }],
      'cni.dev/valid-attachments': [{ containerID: 'b', ifname: 'eth0' }],
    });
    expect([isValid(valid, r('a', 'eth0')), isValid(valid, r('b', 'eth0'))]).toEqual([true, true]);
  });

  it('reads keys case-insensitively', () => {
    const valid = parseValidAttachments({ 'CNI.dev/Valid-Attachments': [{ ContainerId: 'a', IfName: 'eth0' }] });
    expect(isValid(valid, r('a', 'eth0'))).toBe(true);
  });

  it('treats an empty list as "nothing is valid"', () => {
    expect(isValid(parseValidAttachments({ 'cni.dev/valid-attachments': [] }), r('a', 'eth0'))).toBe(false);
  });

  it('a request without a list (absent or null, as Go decodes both) collects nothing', () => {
    expect(parseOrUndefined({})).toBeUndefined();
    expect(parseOrUndefined({ 'cni.dev/valid-attachments': null })).toBeUndefined();
  });

  it.each<[Record<string, unknown>, RegExp]>([
    [{ 'cni.dev/valid-attachments': {} }, /must be a list/],
    [{ 'cni.dev/valid-attachments': ['a'] }, /must be a JSON object/],
    [{ 'cni.dev/valid-attachments': [{ ifname: 'eth0' }] }, /option 'containerID' is required/],
  ])('rejects %j with code 7', (conf, msg) => {
    expect(() => parseValidAttachments(conf)).toThrow(
      expect.objectContaining({ code: ErrCode.InvalidNetworkConfig, message: expect.stringMatching(msg) }),
    );
  });
});
