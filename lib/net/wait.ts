import fs from 'node:fs';

// IFA_F_* bits as /proc/net/if_inet6 prints them (the low byte of ifa_flags, in hex).
const IFA_F_DADFAILED = 0x08;
const IFA_F_TENTATIVE = 0x40;

export type DadState = { state: 'settled' } | { state: 'tentative' } | { state: 'dadfailed'; address: string };

/** "20010db8000000000000000000000005" -> "2001:db8::5" (RFC 5952 compression). */
export function inet6FromHex(hex: string): string {
  const groups = (hex.match(/.{4}/g) ?? []).map((g) => parseInt(g, 16).toString(16));
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < groups.length;) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < groups.length && groups[j] === '0') j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}

/** DAD state of one interface from the text of /proc/net/if_inet6. */
export function dadStateFromIfInet6(text: string, ifname: string): DadState {
  let tentative = false;
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 6 || f[5] !== ifname) continue;
    const flags = parseInt(f[4], 16);
    if (flags & IFA_F_DADFAILED) return { state: 'dadfailed', address: inet6FromHex(f[0]) };
    if (flags & IFA_F_TENTATIVE) tentative = true;
  }
  return tentative ? { state: 'tentative' } : { state: 'settled' };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls the current namespace's /proc/net/if_inet6 (no process spawned). */
export async function pollDadHere(ifname: string, timeoutMs: number, intervalMs: number): Promise<DadState> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let text: string;
    try {
      text = fs.readFileSync('/proc/self/net/if_inet6', 'utf8');
    } catch {
      return { state: 'settled' }; // IPv6 disabled: nothing can be tentative
    }
    const s = dadStateFromIfInet6(text, ifname);
    if (s.state !== 'tentative' || Date.now() >= deadline) return s;
    await sleep(intervalMs);
  }
}

let sysfsIsOurs: boolean | undefined;

/**
 * Whether /sys/class/net shows this process's namespace. sysfs shows the namespace of whoever
 * mounted it: `ip netns exec` remounts it, `nsenter --net` does not. Compared once by the link
 * names in /proc/self/net/dev, which always follow the process.
 */
export function sysfsShowsCurrentNs(): boolean {
  if (sysfsIsOurs === undefined) {
    try {
      const procNames = fs
        .readFileSync('/proc/self/net/dev', 'utf8')
        .split('\n')
        .slice(2)
        .map((l) => l.split(':')[0].trim())
        .filter(Boolean)
        .sort();
      // Devices are symlinks there; bonding adds a plain file (bonding_masters).
      const sysNames = fs
        .readdirSync('/sys/class/net', { withFileTypes: true })
        .filter((e) => e.isSymbolicLink())
        .map((e) => e.name)
        .sort();
      sysfsIsOurs = procNames.length > 0 && procNames.join('\n') === sysNames.join('\n');
    } catch {
      sysfsIsOurs = false;
    }
  }
  return sysfsIsOurs;
}

/** operstate from sysfs ('up', 'down', …), undefined when the link is not there. */
export function readOperstateFromSysfs(ifname: string): string | undefined {
  try {
    return fs.readFileSync(`/sys/class/net/${ifname}/operstate`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** The reference's port-state schedule: look, then sleep 50, 500, 1000, 1000 ms between looks. */
export const OPERSTATE_DELAYS_MS: readonly number[] = [0, 50, 500, 1000, 1000];

/**
 * Polls `read` on the schedule until it reports 'up'; returns the last state seen
 * ('up', or e.g. 'down', or 'missing' when the link is not there).
 */
export async function pollOperstate(
  read: () => Promise<string | undefined>,
  delaysMs: readonly number[] = OPERSTATE_DELAYS_MS,
): Promise<string> {
  let state = 'missing';
  for (const delay of delaysMs) {
    if (delay > 0) await sleep(delay);
    state = (await read()) ?? 'missing';
    if (state === 'up') break;
  }
  return state;
}
