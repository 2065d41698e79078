/**
 * What went wrong, reduced to the cases callers act on: `exists` (EEXIST, "already assigned"),
 * `notfound` (no such device, address, route or namespace), `busy` (EBUSY) and everything else.
 */
export type NetErrorKind = 'exists' | 'notfound' | 'busy' | 'other';

/**
 * A kernel operation that failed: `step` says what was being done ("add address 10.1.0.5/24 to
 * eth0"), `reason` is the tool's complaint on one line ("File exists"), `stderr` the raw text.
 * `netnsGone` is set when the namespace itself could not be entered because its path is gone.
 */
export class NetError extends Error {
  override readonly name = 'NetError';

  readonly stderr: string;
  readonly netnsGone: boolean;
  /** For a batch: index of the failing step; the steps before it were done. */
  readonly stepIndex?: number;

  constructor(
    readonly step: string,
    readonly reason: string,
    readonly kind: NetErrorKind,
    extra: { stderr?: string; netnsGone?: boolean; stepIndex?: number } = {},
  ) {
    super(`${step}: ${reason}`);
    this.stderr = extra.stderr ?? '';
    this.netnsGone = extra.netnsGone ?? false;
    if (extra.stepIndex !== undefined) this.stepIndex = extra.stepIndex;
  }
}

const KIND_PATTERNS: ReadonlyArray<[NetErrorKind, RegExp]> = [
  ['exists', /File exists|already (exists|assigned|in use)|EEXIST/i],
  ['busy', /Device or resource busy|Resource busy|EBUSY/i],
  [
    'notfound',
    /No such (device|file or directory|process|address)|Cannot find device|does not exist|not found|Cannot assign requested address|Directory nonexistent|ENOENT|ENODEV|ESRCH/i,
  ],
];

export function kindOf(reason: string): NetErrorKind {
  for (const [kind, re] of KIND_PATTERNS) if (re.test(reason)) return kind;
  return 'other';
}

/** The tool's complaint on one line: iproute2's "RTNETLINK answers: " / "Error: " framing dropped. */
export function reasonOf(stderrLines: readonly string[], fallback: string): string {
  const text = stderrLines
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) =>
      l
        .replace(/^RTNETLINK answers:\s*/, '')
        .replace(/^Error:\s*/, '')
        .replace(/\.$/, ''),
    )
    .join('; ');
  if (!text) return fallback;
  return text.length > 400 ? `${text.slice(0, 397)}...` : text;
}

export function isNetError(e: unknown, kind?: NetErrorKind): e is NetError {
  return e instanceof NetError && (kind === undefined || e.kind === kind);
}
