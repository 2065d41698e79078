import fs from 'node:fs';
import path from 'node:path';
import { requireRoot } from '../../helpers/netns';
import { BRIDGE, Env, listTree, MASTER, PLUGINS, requireBinaries, rng, shapeProblem, type Call, type Json, type Plugin } from './harness';

// Input fuzzing: a seeded generator of malformed and hostile configs and environments sent to
// every plugin and command. Per call: exit 0 or 1, on 1 exactly one JSON error object with an
// integer code and a string msg, no stack trace, no hang; and nothing left behind: no links in
// the test's namespaces, no reservation, no file outside dataDir (injection payloads try to
// create a marker file and a link), no masquerade rule. A legitimate success is undone with
// DEL and then must leave nothing either. Replay one case with FUZZ_SEED / FUZZ_CASES.

const SEED = Number(process.env.FUZZ_SEED ?? 20261123);
const CASES = Number(process.env.FUZZ_CASES ?? 800);

jest.setTimeout(280_000);

const COMMANDS = ['ADD', 'ADD', 'ADD', 'DEL', 'DEL', 'CHECK', 'STATUS', 'GC', 'VERSION', 'add', 'BOGUS', ''];

const OPTIONS: Record<Plugin, string[]> = {
  bridge: [
    'bridge',
    'isGateway',
    'isDefaultGateway',
    'forceAddress',
    'ipMasq',
    'ipMasqBackend',
    'mtu',
    'hairpinMode',
    'promiscMode',
    'vlan',
    'vlanTrunk',
    'preserveDefaultVlan',
    'enabledad',
    'macspoofchk',
    'disableContainerInterface',
    'portIsolation',
    'ipam',
    'dns',
    'runtimeConfig',
    'args',
    'prevResult',
    'capabilities',
  ],
  macvlan: ['master', 'mode', 'mtu', 'mac', 'linkInContainer', 'bcqueuelen', 'ipam', 'dns', 'runtimeConfig', 'args', 'prevResult'],
  dummy: ['ipam', 'dns', 'runtimeConfig', 'args', 'prevResult'],
  'host-local': ['ipam', 'runtimeConfig', 'args', 'prevResult', 'dns'],
};
const IPAM_OPTIONS = ['type', 'ranges', 'subnet', 'rangeStart', 'rangeEnd', 'gateway', 'routes', 'resolvConf', 'dataDir'];
const RANGE_OPTIONS = ['subnet', 'rangeStart', 'rangeEnd', 'gateway'];

function hostile(marker: string): string[] {
  return [
    '',
    ' ',
    '../../etc',
    '../../../../../../../../../../etc',
    '..',
    '.',
    'a/b',
    '/etc/passwd',
    'x\ny',
    `eth0\nlink add cnievil0 type bridge`,
    `x\n-A POSTROUTING -j ACCEPT`,
    'a b',
    'a;b',
    `$(touch ${marker})`,
    `\`touch ${marker}\``,
    `;touch ${marker}`,
    `x|touch ${marker}`,
    '-rf',
    '--help',
    'ëth0',
    '\u202eevil',
    '\u0000',
    '🐳',
    'x'.repeat(16),
    'x'.repeat(300),
    'eth0:1',
    '"quoted"',
    '\\',
    '%s%n',
  ];
}

const WRONG_VALUES: unknown[] = [
  null,
  true,
  false,
  0,
  -1,
  1.5,
  1e308,
  -1e308,
  4294967296,
  Number.MAX_SAFE_INTEGER + 2,
  '',
  'x',
  '10.0.0.0/8',
  [],
  {},
  [[]],
  [{}],
  { a: 1 },
  '\u202e',
];

const BAD_CIDRS = [
  '10.0.0.0/33',
  '10.0.0.1/24',
  '300.1.1.1/24',
  '10.0.0.0',
  '10.0.0.0/-1',
  '::/129',
  'fe80::/64%eth0',
  '10.0.0.0/8 ',
  ' 10.0.0.0/8',
  '0x0a000000/8',
  '10.0.0.0/30',
  '10.0.0.0/32',
  '::/0',
  '',
  '10.0.0.0/08',
  'abc',
];

const VERSIONS = ['', '1.1', '9.9.9', '0.0.0', '1.0.0\n', 'v1.0.0', '1.0.0-rc1', '01.0.0', '1.0.0.0', '0.4.0 ', 'x'.repeat(1000)];

const ARGS = [
  'IP=10.77.0.5=3',
  ';;',
  'IP',
  '=',
  '=x',
  'IgnoreUnknown=1;IP=../../x',
  'IgnoreUnknown=maybe',
  'MAC=$(touch M)',
  'IP=10.77.0.5;IP=10.77.0.6',
  'K8S_POD_NAME=a;b',
  'IgnoreUnknown=1;',
  'IgnoreUnknown=1;IP=10.77.0.300',
  'IgnoreUnknown=1;IP=10.99.0.5',
  'IgnoreUnknown=1;MAC=zz:zz:zz:zz:zz:zz',
  'IgnoreUnknown=1;IP=10.77.0.0',
  'IgnoreUnknown=1;IP=10.77.0.255',
  'IgnoreUnknown=1;IP=10.77.0.1',
  'ip=10.77.0.5',
  '\n',
];

const NETNS = [
  '/etc/passwd',
  '/nonexistent/ns',
  'relative/ns',
  '/proc/self/ns/net',
  '/proc/1/ns/net',
  '/run/netns',
  '/dev/null',
  '/proc/self/ns/mnt',
];

const ENV_VARS = ['CNI_COMMAND', 'CNI_CONTAINERID', 'CNI_NETNS', 'CNI_IFNAME', 'CNI_PATH', 'CNI_ARGS'];

interface Case {
  call: Call;
  what: string;
}

function setPath(obj: Json, keys: string[], value: unknown): void {
  let o = obj;
  for (const k of keys.slice(0, -1)) {
    if (typeof o[k] !== 'object' || o[k] === null || Array.isArray(o[k])) o[k] = {};
    o = o[k];
  }
  o[keys[keys.length - 1]] = value;
}

function generate(env: Env, r: ReturnType<typeof rng>, marker: string): Case {
  const plugin = r.pick(PLUGINS);
  const command = r.pick(COMMANDS);
  const conf: Json = env.conf(plugin, r.pick(['0.3.1', '0.4.0', '1.0.0', '1.1.0']));
  if (plugin === 'bridge') conf.bridge = 'cnifz0';
  const call: Call = { plugin, command, conf };
  const what: string[] = [];
  const H = hostile(marker);
  const mutations = 1 + r.int(3);
  for (let m = 0; m < mutations; m++) {
    switch (r.int(15)) {
      case 0: {
        const key = r.pick(OPTIONS[plugin]);
        const v = r.chance(0.5) ? r.pick(WRONG_VALUES) : r.pick(H);
        conf[key] = v;
        what.push(`${key}=${JSON.stringify(v)}`);
        break;
      }
      case 1: {
        const key = r.pick(IPAM_OPTIONS);
        // dataDir stays inside the sandbox: hostile text is appended to it, never a bare path.
        const v =
          key === 'dataDir'
            ? r.chance(0.5)
              ? r.pick(WRONG_VALUES)
              : `${env.dataDir}/${r.pick(H)}`
            : r.chance(0.5)
              ? r.pick(WRONG_VALUES)
              : r.pick([...H, ...BAD_CIDRS]);
        if (typeof conf.ipam !== 'object' || conf.ipam === null) conf.ipam = env.ipam();
        conf.ipam[key] = v;
        if (key === 'subnet' || key === 'rangeStart' || key === 'rangeEnd' || key === 'gateway') delete conf.ipam.ranges;
        what.push(`ipam.${key}=${JSON.stringify(v)}`);
        break;
      }
      case 2: {
        const key = r.pick(RANGE_OPTIONS);
        const v = r.chance(0.3) ? r.pick(WRONG_VALUES) : r.pick(BAD_CIDRS);
        conf.ipam = env.ipam();
        conf.ipam.ranges[0][0][key] = v;
        what.push(`range.${key}=${JSON.stringify(v)}`);
        break;
      }
      case 3: {
        const shapes: unknown[] = [
          [[{ subnet: '10.77.0.0/24' }, { subnet: '10.77.0.0/25' }]],
          [[{ subnet: '10.77.0.0/24' }], [{ subnet: '10.77.0.128/25' }]],
          [[{ subnet: '10.77.0.0/24', rangeStart: '10.77.0.200', rangeEnd: '10.77.0.100' }]],
          [[{ subnet: '10.77.0.0/24', rangeStart: '10.78.0.5' }]],
          [[{ subnet: '10.77.0.0/24', rangeEnd: '10.77.0.0' }]],
          [[{ subnet: '10.77.0.0/24' }, { subnet: 'fd00::/64' }]],
          [[{ subnet: '10.77.0.0/24', rangeStart: '10.77.0.5', rangeEnd: '10.77.0.5', gateway: '10.77.0.5' }]],
          [],
          [[]],
          [[{}]],
          [[{ subnet: '10.77.0.0/24' }], [{ subnet: '10.77.0.0/24' }]],
          [[{ subnet: 'fd00::/120', rangeStart: 'fd00::ff', rangeEnd: 'fd00::1' }]],
          Array.from({ length: 200 }, (_, i) => [{ subnet: `10.${100 + (i % 100)}.${i}.0/24` }]),
        ];
        const v = r.pick(shapes);
        conf.ipam = env.ipam({ ranges: v });
        what.push(`ranges=${JSON.stringify(v).slice(0, 120)}`);
        break;
      }
      case 4: {
        const v = r.pick(VERSIONS.concat([1 as unknown as string, null as unknown as string]));
        conf.cniVersion = v;
        what.push(`cniVersion=${JSON.stringify(v)}`);
        break;
      }
      case 5: {
        const v = r.pick(H);
        conf.name = v;
        what.push(`name=${JSON.stringify(v)}`);
        break;
      }
      case 6: {
        call.ifName = r.pick(H.filter((h) => !h.includes('\0')));
        what.push(`ifname=${JSON.stringify(call.ifName)}`);
        break;
      }
      case 7: {
        call.containerId = r.pick(H.filter((h) => !h.includes('\0')));
        what.push(`containerId=${JSON.stringify(call.containerId)}`);
        break;
      }
      case 8: {
        call.args = r.pick(ARGS).replace('touch M', `touch ${marker}`);
        what.push(`CNI_ARGS=${JSON.stringify(call.args)}`);
        break;
      }
      case 9: {
        const v = r.pick(ENV_VARS);
        call.unset = [...(call.unset ?? []), v];
        what.push(`unset ${v}`);
        break;
      }
      case 10: {
        call.netns = r.pick([...NETNS, ...H.filter((h) => !h.includes('\0'))]);
        what.push(`netns=${JSON.stringify(call.netns)}`);
        break;
      }
      case 11: {
        const v = r.pick([
          { mac: r.pick(['zz', '', 'ff:ff:ff:ff:ff:ff', '01:00:5e:00:00:01', '00:00:00:00:00:00', '02:00:00:00:00:01\n', 1]) },
          { ips: r.pick([['../x'], ['10.77.0.5', '10.77.0.5'], 'x', [1], ['10.77.0.0/24'], ['fd00::1']]) },
          { ipRanges: r.pick([[[{ subnet: 'bad' }]], 'x', [[{ subnet: '10.77.0.0/24' }]]]) },
          { 'cni.dev/valid-attachments': r.pick(['x', [{}], [{ containerID: 1 }], [{ containerID: '../x', ifname: 'eth0' }]]) },
        ]);
        conf.runtimeConfig = v;
        what.push(`runtimeConfig=${JSON.stringify(v)}`);
        break;
      }
      case 12: {
        conf['cni.dev/valid-attachments'] = r.pick([
          'x',
          null,
          [{}],
          [{ containerID: 'ctr1' }],
          [{ containerID: '$(x)', ifname: 'a/b' }],
          [1, 2],
        ]);
        conf.cniVersion = '1.1.0';
        what.push(`valid-attachments=${JSON.stringify(conf['cni.dev/valid-attachments'])}`);
        break;
      }
      case 13: {
        const v = r.pick([
          { cniVersion: '1.0.0', interfaces: 'x' },
          { cniVersion: '1.0.0', ips: [{ address: 'bad' }] },
          { cniVersion: '1.0.0', interfaces: [{ name: 'eth0', sandbox: '/etc/passwd' }], ips: [{ address: '10.77.0.9/24', interface: 7 }] },
          { cniVersion: '0.1.0', ip4: { ip: '10.77.0.9/24' } },
          { interfaces: [{ name: 'eth0\nlink add cnievil0 type bridge' }] },
          'x',
          null,
        ]);
        conf.prevResult = v;
        what.push(`prevResult=${JSON.stringify(v)}`);
        break;
      }
      case 14: {
        // Nested option paths the plugins read (args.cni.*, runtimeConfig.*, ipam.routes).
        const keys = r.pick([
          ['args', 'cni', 'ips'],
          ['args', 'cni', 'mac'],
          ['runtimeConfig', 'mac'],
          ['runtimeConfig', 'ips'],
          ['ipam', 'routes'],
          ['args', 'cni'],
        ]);
        const v = r.chance(0.5) ? r.pick(WRONG_VALUES) : r.pick(H);
        setPath(conf, keys, v);
        what.push(`${keys.join('.')}=${JSON.stringify(v)}`);
        break;
      }
    }
  }
  // Some inputs are not even a JSON object.
  const raw = r.int(20);
  if (raw === 0) {
    const text = JSON.stringify(conf);
    call.conf = text.slice(0, r.int(text.length));
    what.push('truncated');
  } else if (raw === 1) {
    call.conf = r.pick([
      '',
      'null',
      '[]',
      '"x"',
      '1e999',
      '{',
      '{"a":1}{"b":2}',
      '\u0000',
      '{"name":"x","name":"y"}',
      '{"cniVersion":"1.0.0","name":"n","type":"bridge","ipam":{"type":"host-local","dataDir":"' +
        env.dataDir +
        '","ranges":[[{"subnet":"10.77.0.0/24"}]]},"mtu":1' +
        '0'.repeat(400) +
        '}',
    ]);
    what.push(`stdin=${JSON.stringify(call.conf).slice(0, 80)}`);
  } else if (raw === 2) {
    // Deep nesting.
    call.conf = '{"cniVersion":"1.0.0","name":"n","type":"x","args":' + '['.repeat(5000) + ']'.repeat(5000) + '}';
    what.push('deep nesting');
  }
  return { call, what: `${plugin} ${JSON.stringify(command)} ${what.join(' ')}` };
}

describe('reliability: input fuzzing', () => {
  let env: Env;

  beforeAll(() => {
    requireRoot();
    requireBinaries();
    env = new Env();
  });

  afterAll(() => env?.cleanup());

  test(`fuzz: ${CASES} seeded cases (seed ${SEED}) over every plugin and command leave nothing unclean`, () => {
    const marker = path.join(env.tmp, 'pwned');
    const skipRun = (p: string): boolean => p.startsWith('/run/netns') || p.startsWith('/run/user') || p.startsWith('/run/systemd');
    const runBefore = listTree('/run', skipRun);
    const varLibBefore = listTree('/var/lib/cni');
    const r = rng(SEED);
    const unclean: string[] = [];
    const outcome: Record<string, number> = {};
    // Bridges stay after DEL, as with the Go plugin: cni0 is the default name (a config without
    // `bridge`), cnifz0 the one the generator sets.
    const baseHost = new Set(['lo', MASTER, 'mvup1', 'cnifz0', 'cni0', BRIDGE]);

    for (let i = 0; i < CASES; i++) {
      const { call, what } = generate(env, r, marker);
      const res = env.run(call);
      const problems: string[] = [];
      const shape = shapeProblem(res);
      if (shape) problems.push(shape);
      outcome[`${call.plugin} exit ${res.status}`] = (outcome[`${call.plugin} exit ${res.status}`] ?? 0) + 1;
      // A legitimate ADD is undone the way a runtime would; the DEL must then succeed.
      if (res.status === 0 && call.command === 'ADD') {
        const del = env.run({ ...call, command: 'DEL' });
        if (del.status !== 0) problems.push(`ADD succeeded but DEL failed: ${del.stdout.slice(0, 200)}`);
      }
      const hostLinks = env.links(env.host).filter((l) => !baseHost.has(l.ifname));
      if (hostLinks.length) problems.push(`host links left: ${hostLinks.map((l) => JSON.stringify(l.ifname)).join(',')}`);
      for (const br of ['cnifz0', 'cni0']) {
        const fz = env.links(env.host).find((l) => l.ifname === br);
        if (fz && fz.linkinfo?.info_kind !== 'bridge') problems.push(`${br} is not a bridge`);
      }
      const ctrLinks = env.links(env.ctr).filter((l) => l.ifname !== 'lo');
      if (ctrLinks.length) problems.push(`container links left: ${ctrLinks.map((l) => JSON.stringify(l.ifname)).join(',')}`);
      const resv = env.reservations();
      if (resv.length) problems.push(`reservations left: ${resv.join(',')}`);
      const stray = env.strayFiles();
      if (stray.length) problems.push(`files outside dataDir: ${stray.join(',')}`);
      if (call.plugin === 'bridge' && (call.command === 'ADD' || res.status !== 0)) {
        const rules = [...env.natRules(), ...env.nftRules()];
        if (rules.length) problems.push(`rules left: ${rules.join(' | ')}`);
      }
      if (problems.length) {
        unclean.push(
          `#${i} ${what}\n    -> ${problems.join('\n    -> ')}\n    stdout: ${res.stdout.slice(0, 300)}\n    stderr: ${res.stderr.slice(0, 300)}`,
        );
        // Start the next case from a clean slate so one bug is reported once.
        for (const l of hostLinks) env.host.exec('ip', ['link', 'del', 'dev', l.ifname]);
        for (const l of ctrLinks) env.ctr.exec('ip', ['link', 'del', 'dev', l.ifname]);
        for (const f of resv) fs.rmSync(path.join(env.dataDir, f), { force: true });
        for (const f of stray) if (f !== 'cwd') fs.rmSync(path.join(env.tmp, f), { recursive: true, force: true });
        for (const tool of ['iptables', 'ip6tables']) {
          env.host.exec(tool, ['-t', 'nat', '-F']);
          env.host.exec(tool, ['-t', 'nat', '-X']);
        }
        env.host.exec('nft', ['flush', 'ruleset']);
      }
    }

    const runAfter = listTree('/run', skipRun);
    const varLibAfter = listTree('/var/lib/cni');
    const newRun = [...runAfter].filter((p) => !runBefore.has(p) && !/^\/run\/(netns|lock|utmp|containerd|docker|xtables)/.test(p));
    const newVarLib = [...varLibAfter].filter((p) => !varLibBefore.has(p));

    console.log(
      `fuzz: ${CASES} cases (seed ${SEED}), ${unclean.length} unclean; outcomes ${JSON.stringify(outcome)}` +
        (unclean.length ? `\n${unclean.join('\n')}` : ''),
    );
    expect({ newUnderRun: newRun, newUnderVarLibCni: newVarLib, marker: fs.existsSync(marker) }).toEqual({
      newUnderRun: [],
      newUnderVarLibCni: [],
      marker: false,
    });
    expect(unclean).toEqual([]);
  });
});
