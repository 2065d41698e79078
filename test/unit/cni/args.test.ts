import { parseCniArgs } from '../../../lib/cni/args';
import { CniError } from '../../../lib/cni/errors';

// CNI_ARGS with the rules of Go's types.LoadArgs (pkg/types/args.go and its tests).

function fails(raw: string, known: readonly string[] = ['IP', 'MAC']): CniError {
  try {
    parseCniArgs(raw, known);
  } catch (e) {
    expect(e).toBeInstanceOf(CniError);
    return e as CniError;
  }
  throw new Error(`parseCniArgs(${JSON.stringify(raw)}) did not fail`);
}

const entries = (m: Map<string, string>) => Object.fromEntries(m);

describe('parseCniArgs', () => {
  it('empty CNI_ARGS means no args', () => {
    expect(entries(parseCniArgs('', []))).toEqual({});
    expect(entries(parseCniArgs('', ['IP']))).toEqual({});
  });

  it('reads known KEY=VALUE pairs', () => {
    expect(entries(parseCniArgs('IP=10.1.0.5;MAC=c2:11:22:33:44:55', ['IP', 'MAC']))).toEqual({ IP: '10.1.0.5', MAC: 'c2:11:22:33:44:55' });
  });

  it('an empty value is a value', () => {
    expect(entries(parseCniArgs('IP=', ['IP']))).toEqual({ IP: '' });
  });

  it('a repeated key: the last one wins', () => {
    expect(entries(parseCniArgs('IP=10.0.0.1;IP=10.0.0.2', ['IP']))).toEqual({ IP: '10.0.0.2' });
  });

  it('never returns IgnoreUnknown itself', () => {
    expect(entries(parseCniArgs('IgnoreUnknown=1', []))).toEqual({});
  });

  describe('unknown keys', () => {
    it('are an error (code 4) naming the pairs, without IgnoreUnknown', () => {
      const e = fails('IP=10.0.0.1;K8S_POD_NAME=web;Unk=nown');
      expect(e.code).toBe(4);
      expect(e.message).toContain('unknown args');
      expect(e.message).toContain('"K8S_POD_NAME=web"');
      expect(e.message).toContain('"Unk=nown"');
      expect(e.message).not.toContain('"IP=10.0.0.1"');
      expect(e.message).toContain('IgnoreUnknown=1');
      expect(e.details).toBe('IP=10.0.0.1;K8S_POD_NAME=web;Unk=nown');
    });

    it('are an error when the plugin reads no keys at all', () => {
      expect(fails('Unk=nown', []).message).toContain('reads none');
    });

    it.each(['1', 'true', 'TRUE', 'True', 'tRuE'])('are skipped with IgnoreUnknown=%s', (v) => {
      expect(entries(parseCniArgs(`IgnoreUnknown=${v};Unk=nown;IP=10.0.0.1`, ['IP']))).toEqual({ IP: '10.0.0.1' });
    });

    it('IgnoreUnknown works in any position', () => {
      const known = ['IP'];
      expect(entries(parseCniArgs('Unk=nown;IgnoreUnknown=1', known))).toEqual({});
      expect(entries(parseCniArgs('Unk=nown;IgnoreUnknown=1;IP=10.0.0.1', known))).toEqual({ IP: '10.0.0.1' });
      expect(entries(parseCniArgs('IP=10.0.0.1;Unk=nown;Other=x;IgnoreUnknown=true', known))).toEqual({ IP: '10.0.0.1' });
    });

    it('the kubelet/containerd CNI_ARGS passes a plugin that reads only IP', () => {
      const raw = 'IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-0;K8S_POD_INFRA_CONTAINER_ID=abc;K8S_POD_UID=1-2-3';
      expect(entries(parseCniArgs(raw, ['IP']))).toEqual({});
    });

    it.each(['0', 'false', 'FALSE', 'False'])('are still an error with IgnoreUnknown=%s', (v) => {
      expect(fails(`IgnoreUnknown=${v};Unk=nown`).message).toContain('unknown args');
      expect(fails(`Unk=nown;IgnoreUnknown=${v}`).code).toBe(4);
    });

    it('with IgnoreUnknown repeated, the last value counts', () => {
      expect(fails('IgnoreUnknown=1;IgnoreUnknown=0;Unk=nown').message).toContain('unknown args');
      expect(entries(parseCniArgs('IgnoreUnknown=0;IgnoreUnknown=1;Unk=nown', []))).toEqual({});
    });
  });

  it.each(['yes', 'on', '2', '', 't', ' 1'])('IgnoreUnknown=%j is an invalid boolean (code 4), even with no unknown key', (v) => {
    const e = fails(`IgnoreUnknown=${v}`);
    expect(e.code).toBe(4);
    expect(e.message).toContain(`"IgnoreUnknown=${v}"`);
    expect(e.message).toMatch(/1, 0, true or false/);
  });

  it.each([
    ['a value containing "="', 'IP=10.0.0.1;Extra=a=b', 'Extra=a=b'],
    ['a trailing ";"', 'IP=10.0.0.1;', ''],
    ['a leading ";"', ';IP=10.0.0.1', ''],
    ['an empty pair in the middle', 'IP=10.0.0.1;;MAC=x', ''],
    ['a pair without "="', 'IP=10.0.0.1;MAC', 'MAC'],
    ['a bare word', 'some', 'some'],
    ['pairs separated by ","', 'IgnoreUnknown=0, Unk=nown', 'IgnoreUnknown=0, Unk=nown'],
  ])('%s is an invalid pair (code 4) even when the key would be ignored', (_what, raw, pair) => {
    const e = fails(raw);
    expect(e.code).toBe(4);
    expect(e.message).toContain(`invalid pair "${pair}"`);
    expect(fails(`IgnoreUnknown=1;${raw}`).message).toContain('invalid pair');
  });

  it('keys are case-sensitive: "ip" is not "IP"', () => {
    expect(fails('ip=10.0.0.1', ['IP']).message).toContain('"ip=10.0.0.1"');
    expect(entries(parseCniArgs('IgnoreUnknown=1;ip=10.0.0.1;Mac=x', ['IP', 'MAC']))).toEqual({});
  });

  it('"IgnoreUnknown" itself is case-sensitive: "ignoreunknown=1" is an unknown key', () => {
    expect(fails('ignoreunknown=1;Unk=nown', []).message).toContain('"ignoreunknown=1"');
  });

  it('an empty key is an unknown key', () => {
    expect(fails('=x', ['IP']).message).toContain('unknown args');
    expect(entries(parseCniArgs('IgnoreUnknown=1;=x', ['IP']))).toEqual({});
  });

  it('values are taken verbatim (no trimming)', () => {
    expect(entries(parseCniArgs('IP= 10.0.0.1 ', ['IP']))).toEqual({ IP: ' 10.0.0.1 ' });
  });
});
