import type { TestNs } from './netns';

/** The iptables/ip6tables nat lines that name a CNI- chain, in one namespace. */
export function cniNatRules(ns: TestNs): string[] {
  return ['iptables-save', 'ip6tables-save'].flatMap((tool) =>
    ns
      .execOk(tool, ['-t', 'nat'])
      .split('\n')
      .filter((l) => l.includes('CNI-')),
  );
}
