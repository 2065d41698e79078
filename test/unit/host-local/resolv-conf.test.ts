import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ErrCode } from '../../../lib/cni/errors';
import { parseResolvConfText, readResolvConf } from '../../../plugins/host-local/resolv-conf';

describe('host-local resolv.conf parsing', () => {
  it('reads nameservers, domain, search and options', () => {
    const text = [
      'nameserver 10.0.0.10',
      'nameserver fd00::10',
      'domain example.com',
      'search a.example b.example',
      'options ndots:5 timeout:2',
      '',
    ].join('\n');
    expect(parseResolvConfText(text)).toEqual({
      nameservers: ['10.0.0.10', 'fd00::10'],
      domain: 'example.com',
      search: ['a.example', 'b.example'],
      options: ['ndots:5', 'timeout:2'],
    });
  });

  it('skips comments, blank lines, keywords without value and unknown keywords; tolerates CRLF and tabs', () => {
    const text =
      '# nameserver 1.1.1.1\r\n; nameserver 2.2.2.2\r\n   # indented comment\r\n\r\nnameserver\r\nsortlist 10.0.0.0\r\nnameserver\t10.0.0.10  \r\n';
    expect(parseResolvConfText(text)).toEqual({ nameservers: ['10.0.0.10'] });
  });

  it('lets the last domain win and accumulates search and options lines', () => {
    expect(parseResolvConfText('domain a\ndomain b\nsearch x\nsearch y z\noptions rotate\noptions edns0')).toEqual({
      domain: 'b',
      search: ['x', 'y', 'z'],
      options: ['rotate', 'edns0'],
    });
  });

  it('keeps only the first word of a nameserver line', () => {
    expect(parseResolvConfText('nameserver 10.0.0.10 10.0.0.11')).toEqual({ nameservers: ['10.0.0.10'] });
  });

  it('gives an empty result for an empty file', () => {
    expect(parseResolvConfText('')).toEqual({});
  });

  it('reads a file and reports one it cannot read as a config error naming it', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cnits-resolv-'));
    try {
      fs.writeFileSync(path.join(dir, 'resolv.conf'), 'nameserver 192.0.2.53\n');
      expect(readResolvConf(path.join(dir, 'resolv.conf'))).toEqual({ nameservers: ['192.0.2.53'] });
      expect(() => readResolvConf(path.join(dir, 'missing'))).toThrow(
        expect.objectContaining({
          code: ErrCode.InvalidNetworkConfig,
          message: `host-local: cannot read ipam.resolvConf "${path.join(dir, 'missing')}": ENOENT`,
        }),
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
