import { goQuote, masqChainName, masqComment, nftInstanceHash, nftMasqComment, nftNetworkHash } from '../../../lib/netfilter/masq-naming';

// Expected values are the ones the Go reference plugins produce (their own test vectors), so a
// mismatch here means rules written by one implementation would be invisible to the other.

describe('iptables masquerade names', () => {
  test('chain name is CNI- plus 24 hex digits of SHA-512(network + container id)', () => {
    expect(masqChainName('test', '1234')).toBe('CNI-2bbe0c48b91a7d1b8a6753a8');
    expect(masqChainName('testalongnamethatdoesnotmakesense', '1234')).toBe('CNI-374f33fe84ab0ed84dcdebe3');
    expect(masqChainName('testalongnamethatdoesnotmakesense', '1235')).not.toBe('CNI-374f33fe84ab0ed84dcdebe3');
    expect(masqChainName('a-very-long-network-name'.repeat(4), 'f'.repeat(64))).toHaveLength(28);
  });

  test('comment quotes like Go %q', () => {
    expect(masqComment('mynet', 'ctr1')).toBe('name: "mynet" id: "ctr1"');
    expect(goQuote('a"b\\c')).toBe('"a\\"b\\\\c"');
    expect(goQuote('tab\there\n')).toBe('"tab\\there\\n"');
    expect(goQuote('\x01')).toBe('"\\x01"');
  });
});

describe('nftables masquerade comments', () => {
  test('hashes match the Go plugin', () => {
    expect(nftNetworkHash('unit-test')).toBe('6fd94d501e58f0aa');
    expect(nftInstanceHash('unit-test', 'eth0', 'one')).toBe('6fd94d501e58f0aa-287fc69eff0574a2');
    expect(nftInstanceHash('alternate', 'net1', 'three')).toBe('82783ef24bdc7036-acb19d111858e348');
  });

  test('comment carries hash and readable description', () => {
    expect(nftMasqComment('unit-test', 'eth0', 'two')).toBe('6fd94d501e58f0aa-d750b2c8f0f25d5f, net: unit-test, if: eth0, id: two');
  });

  test('quotes are dropped and the comment is cut to 128 bytes', () => {
    const c = nftMasqComment('net', 'e"th0', 'x'.repeat(200));
    expect(c).toHaveLength(128);
    expect(c).toContain('if: eth0,');
    expect(c.startsWith(nftInstanceHash('net', 'e"th0', 'x'.repeat(200)))).toBe(true);
  });
});
