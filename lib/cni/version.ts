import { lookup, type JsonObject } from './config';
import { CniError, ErrCode } from './errors';

export const ALL_VERSIONS = ['0.1.0', '0.2.0', '0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'] as const;
export const CURRENT_VERSION = '1.1.0';
/** A config or result without cniVersion is, by the spec's history, 0.1.0. */
export const IMPLICIT_VERSION = '0.1.0';

const SEMVER = /^(\d+)\.(\d+)\.(\d+)$/;

function parts(v: string): [number, number, number] {
  const m = SEMVER.exec(v);
  if (!m) throw new CniError(ErrCode.DecodingFailure, `invalid version "${v}": must be in the form X.Y.Z`);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

export function compareVersions(a: string, b: string): number {
  const pa = parts(a);
  const pb = parts(b);
  for (let i = 0; i < 3; i++) if (pa[i] !== pb[i]) return pa[i] - pb[i];
  return 0;
}

export function versionAtLeast(v: string, min: string): boolean {
  return compareVersions(v, min) >= 0;
}

export type VersionFamily = '0.2' | '0.4' | '1.x';

/** Result shapes come in three families; versions inside one family share a wire format. */
export function familyOf(v: string): VersionFamily {
  if (compareVersions(v, '0.3.0') < 0) return '0.2';
  if (compareVersions(v, '1.0.0') < 0) return '0.4';
  return '1.x';
}

/**
 * Picks the version a config is to be used at: `cniVersion` when present, otherwise the highest
 * entry of `cniVersions` (1.1) that we implement, the way libcni negotiates. Keys match
 * case-insensitively, as in Go's decoder.
 */
export function configVersion(conf: JsonObject): string {
  const cniVersion = lookup(conf, 'cniVersion');
  const cniVersions = lookup(conf, 'cniVersions');
  if (typeof cniVersion === 'string' && cniVersion !== '') return cniVersion;
  if (cniVersion !== undefined && cniVersion !== null && typeof cniVersion !== 'string') {
    throw new CniError(ErrCode.DecodingFailure, `cniVersion must be a string, got ${JSON.stringify(cniVersion)}`);
  }
  if (Array.isArray(cniVersions)) {
    const usable = cniVersions
      .filter((v): v is string => typeof v === 'string' && SEMVER.test(v))
      .filter((v) => (ALL_VERSIONS as readonly string[]).includes(v))
      .sort(compareVersions);
    if (usable.length > 0) return usable[usable.length - 1];
  }
  return IMPLICIT_VERSION;
}

export function isSupported(v: string, supported: readonly string[] = ALL_VERSIONS): boolean {
  return supported.includes(v);
}

export function versionInfoJson(supported: readonly string[] = ALL_VERSIONS): string {
  return JSON.stringify({ cniVersion: CURRENT_VERSION, supportedVersions: supported }) + '\n';
}
