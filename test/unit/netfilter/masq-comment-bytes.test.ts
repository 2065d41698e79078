import { NFT_COMMENT_MAX, nftInstanceHash, nftMasqComment } from '../../../lib/netfilter/masq-naming';

// Issue 15 item 6: the nftables comment is cut to 128 bytes of UTF-8 on a character boundary, so
// a non-ASCII interface name with a long network name never makes nft refuse the rule.

test.each([
  ['ëth0', 'ñ'],
  ['ëëëëëëë', 'é'],
  ['eth😀', '😀'],
])('every network name length (1-120) with ifname %j and id %j stays within 128 bytes, whole characters', (ifName, id) => {
  for (let n = 1; n <= 120; n++) {
    const network = 'n'.repeat(n);
    const comment = nftMasqComment(network, ifName, `c${id}`);
    expect(Buffer.byteLength(comment, 'utf8')).toBeLessThanOrEqual(NFT_COMMENT_MAX);
    expect(comment).not.toContain('\ufffd');
    expect(comment.startsWith(nftInstanceHash(network, ifName, `c${id}`))).toBe(true);
    // The cut keeps as much as fits: at most one character short of the limit.
    const full = `${nftInstanceHash(network, ifName, `c${id}`)}, net: ${network}, if: ${ifName}, id: c${id}`;
    if (Buffer.byteLength(full) > NFT_COMMENT_MAX) expect(Buffer.byteLength(comment)).toBeGreaterThan(NFT_COMMENT_MAX - 4);
    else expect(comment).toBe(full);
  }
});
