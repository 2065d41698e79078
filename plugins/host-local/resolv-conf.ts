import fs from 'node:fs';
import { CniError, ErrCode } from '../../lib/cni/errors';
import type { Dns } from '../../lib/cni/result';

/**
 * resolv.conf text as the reference plugin reads it: `nameserver` (one address per line),
 * `domain` (the last one wins), `search` and `options` (every word, lines accumulate). A line
 * whose first non-blank character is '#' or ';' is a comment, as for the libc resolver; a
 * keyword without a value is skipped.
 */
export function parseResolvConfText(text: string): Dns {
  const dns: Dns = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line[0] === '#' || line[0] === ';') continue;
    const fields = line.split(/\s+/);
    if (fields.length < 2) continue;
    const [keyword, ...values] = fields;
    switch (keyword) {
      case 'nameserver':
        (dns.nameservers ??= []).push(values[0]);
        break;
      case 'domain':
        dns.domain = values[0];
        break;
      case 'search':
        (dns.search ??= []).push(...values);
        break;
      case 'options':
        (dns.options ??= []).push(...values);
        break;
    }
  }
  return dns;
}

export function readResolvConf(file: string): Dns {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new CniError(
      ErrCode.InvalidNetworkConfig,
      `host-local: cannot read ipam.resolvConf "${file}": ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
  return parseResolvConfText(text);
}
