import { parseNetworkList } from '../../../lib/cli/network-list';
import { pluginEnv, pluginStdin } from '../../../lib/cli/plugin-request';
import {
  containerIdFor,
  InputError,
  parseCapabilityArgs,
  parseCniArgsPairs,
  runtimeConfFromEnv,
  runtimeConfigFor,
} from '../../../lib/cli/runtime-conf';

describe('container id derivation', () => {
  it('is cnitool-<first 10 bytes of sha512(netns path) in hex>, exactly as cnitool computes it', () => {
    // Reference values computed independently: python3 -c "import hashlib; print(hashlib.sha512(b'...').hexdigest()[:20])"
    expect(containerIdFor('/run/netns/cnits-dev-pod-12333')).toBe('cnitool-fed469039350d305159f');
    expect(containerIdFor('/var/run/netns/test')).toBe('cnitool-7b8a61d5d8e94d07cbe4');
    expect(containerIdFor('/proc/1234/ns/net')).toBe('cnitool-e20e8dcf819b8b3d953a');
  });

  it('hashes the absolute, cleaned path, so relative spellings of one namespace agree', () => {
    const a = runtimeConfFromEnv({}, '/run/netns/pod1');
    const b = runtimeConfFromEnv({}, '/run/netns/../netns/pod1/');
    expect(b.netns).toBe('/run/netns/pod1');
    expect(b.containerId).toBe(a.containerId);
    const cwd = process.cwd();
    try {
      process.chdir('/run');
      expect(runtimeConfFromEnv({}, 'netns/pod1').containerId).toBe(a.containerId);
    } finally {
      process.chdir(cwd);
    }
  });
});

describe('runtime configuration from the environment', () => {
  it('defaults the interface to eth0; CNI_IFNAME and then --ifname override it', () => {
    expect(runtimeConfFromEnv({}, '/ns').ifName).toBe('eth0');
    expect(runtimeConfFromEnv({ CNI_IFNAME: '' }, '/ns').ifName).toBe('eth0');
    expect(runtimeConfFromEnv({ CNI_IFNAME: 'net1' }, '/ns').ifName).toBe('net1');
    expect(runtimeConfFromEnv({ CNI_IFNAME: 'net1' }, '/ns', 'net2').ifName).toBe('net2');
  });

  it("parses CNI_ARGS into ordered pairs with cnitool's rules", () => {
    expect(parseCniArgsPairs('')).toEqual([]);
    expect(parseCniArgsPairs('IgnoreUnknown=1;IP=10.1.2.3;K8S_POD_NAME=web')).toEqual([
      ['IgnoreUnknown', '1'],
      ['IP', '10.1.2.3'],
      ['K8S_POD_NAME', 'web'],
    ]);
    for (const bad of ['IP', 'IP=', '=1', 'A=1;', 'A=b=c']) expect(() => parseCniArgsPairs(bad)).toThrow(InputError);
  });

  it('parses CAP_ARGS as a JSON object', () => {
    expect(parseCapabilityArgs('')).toEqual({});
    expect(parseCapabilityArgs('{"ips":["10.1.2.3/24"]}')).toEqual({ ips: ['10.1.2.3/24'] });
    expect(() => parseCapabilityArgs('[1]')).toThrow(/must be a JSON object/);
    expect(() => parseCapabilityArgs('{ips')).toThrow(/not valid JSON/);
  });
});

describe('CAP_ARGS -> runtimeConfig', () => {
  const capArgs = {
    ips: ['10.1.2.3/24'],
    mac: 'c2:11:22:33:44:55',
    portMappings: [{ hostPort: 80, containerPort: 8080, protocol: 'tcp' }],
  };

  it('passes only the capabilities the plugin declares true', () => {
    expect(runtimeConfigFor(['ips'], capArgs)).toEqual({ ips: ['10.1.2.3/24'] });
    expect(runtimeConfigFor(['ips', 'mac', 'bandwidth'], capArgs)).toEqual({ ips: ['10.1.2.3/24'], mac: 'c2:11:22:33:44:55' });
    expect(runtimeConfigFor([], capArgs)).toBeUndefined();
    expect(runtimeConfigFor(['bandwidth'], capArgs)).toBeUndefined();
  });

  it('is matched exactly by key, as libcni looks it up in a Go map', () => {
    expect(runtimeConfigFor(['IPs'], capArgs)).toBeUndefined();
  });
});

describe('plugin stdin', () => {
  const list = parseNetworkList(
    Buffer.from(
      JSON.stringify({
        cniVersion: '1.0.0',
        name: 'net',
        plugins: [
          { type: 'bridge', zeta: 1, alpha: { z: 1, a: 2 }, capabilities: { ips: true, mac: false } },
          { type: 'tuning', runtimeConfig: { mine: true } },
        ],
      }),
    ),
    'x',
  );
  const rt = {
    containerId: 'c1',
    netns: '/run/netns/p',
    ifName: 'eth0',
    args: [['A', '1']] as Array<[string, string]>,
    capabilityArgs: { ips: ['10.0.0.9/24'], mac: 'aa:bb:cc:dd:ee:ff' },
  };

  it('injects name, cniVersion, prevResult and the declared capabilities; keys sorted like Go writes them', () => {
    const text = pluginStdin(list, list.plugins[0], { prevResult: { cniVersion: '1.0.0', ips: [] }, rt });
    expect(text).toBe(
      '{"alpha":{"a":2,"z":1},"capabilities":{"ips":true,"mac":false},"cniVersion":"1.0.0","name":"net","prevResult":{"cniVersion":"1.0.0","ips":[]},"runtimeConfig":{"ips":["10.0.0.9/24"]},"type":"bridge","zeta":1}',
    );
  });

  it('leaves a runtimeConfig written in the file alone when no capability matches', () => {
    expect(JSON.parse(pluginStdin(list, list.plugins[1], { rt }))).toEqual({
      type: 'tuning',
      runtimeConfig: { mine: true },
      name: 'net',
      cniVersion: '1.0.0',
    });
  });

  it('puts the valid attachments under both GC keys', () => {
    const gc = JSON.parse(pluginStdin(list, list.plugins[0], { validAttachments: [{ containerID: 'c1', ifname: 'eth0' }] }));
    expect(gc['cni.dev/valid-attachments']).toEqual([{ containerID: 'c1', ifname: 'eth0' }]);
    expect(gc['cni.dev/attachments']).toEqual([{ containerID: 'c1', ifname: 'eth0' }]);
    expect(gc.runtimeConfig).toBeUndefined();
  });

  it('sets the CNI_* variables, empty ones for commands without an attachment', () => {
    expect(pluginEnv({ HOME: '/root', CNI_COMMAND: 'stale' }, 'ADD', ['/a', '/b'], rt)).toEqual({
      HOME: '/root',
      CNI_COMMAND: 'ADD',
      CNI_CONTAINERID: 'c1',
      CNI_NETNS: '/run/netns/p',
      CNI_ARGS: 'A=1',
      CNI_IFNAME: 'eth0',
      CNI_PATH: '/a:/b',
    });
    expect(pluginEnv({}, 'STATUS', ['/a'])).toEqual({
      CNI_COMMAND: 'STATUS',
      CNI_CONTAINERID: '',
      CNI_NETNS: '',
      CNI_ARGS: '',
      CNI_IFNAME: '',
      CNI_PATH: '/a',
    });
  });
});
