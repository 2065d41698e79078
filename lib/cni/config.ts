import { CniError, ErrCode } from './errors';

export type JsonObject = Record<string, unknown>;

export function isJsonObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Go's encoding/json matches object keys to fields case-insensitively, and a later key wins
 * over an earlier one. Runtimes rely on it (containerd sends runtimeConfig with Go field names,
 * e.g. `HostPort`), so every lookup of a config key goes through here.
 */
export function lookup(obj: JsonObject, key: string): unknown {
  const lower = key.toLowerCase();
  let found: unknown;
  for (const k of Object.keys(obj)) if (k.toLowerCase() === lower) found = obj[k];
  return found;
}

function describe(v: unknown): string {
  // JSON.stringify(undefined) is undefined, not a string: a missing value must still be described.
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/**
 * Typed, validated access to one JSON object of a config. `where` prefixes every message
 * ("bridge", "host-local: ipam.ranges[0][1]") so the person reading it knows what to fix.
 * null counts as absent, as in Go.
 */
export class ConfigReader {
  constructor(
    readonly obj: JsonObject,
    readonly where: string,
  ) {}

  static of(v: unknown, where: string): ConfigReader {
    if (!isJsonObject(v)) throw new CniError(ErrCode.InvalidNetworkConfig, `${where} must be a JSON object, got ${describe(v)}`);
    return new ConfigReader(v, where);
  }

  raw(key: string): unknown {
    const v = lookup(this.obj, key);
    return v === null ? undefined : v;
  }

  has(key: string): boolean {
    return this.raw(key) !== undefined;
  }

  fail(key: string, requirement: string, got?: unknown): CniError {
    const suffix = arguments.length >= 3 ? `, got ${describe(got)}` : '';
    return new CniError(ErrCode.InvalidNetworkConfig, `${this.where}: option '${key}' ${requirement}${suffix}`);
  }

  optString(key: string): string | undefined {
    const v = this.raw(key);
    if (v === undefined) return undefined;
    if (typeof v !== 'string') throw this.fail(key, 'must be a string', v);
    return v;
  }

  string(key: string, def: string): string {
    const v = this.optString(key);
    return v === undefined || v === '' ? def : v;
  }

  bool(key: string, def: boolean): boolean {
    const v = this.raw(key);
    if (v === undefined) return def;
    if (typeof v !== 'boolean') throw this.fail(key, 'must be true or false (a JSON boolean)', v);
    return v;
  }

  optInt(key: string, range?: { min?: number; max?: number }): number | undefined {
    const v = this.raw(key);
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v)) throw this.fail(key, 'must be an integer', v);
    const { min, max } = range ?? {};
    if ((min !== undefined && v < min) || (max !== undefined && v > max)) {
      const req =
        min !== undefined && max !== undefined
          ? `must be ${min}-${max}`
          : min !== undefined
            ? `must be at least ${min}`
            : `must be at most ${max}`;
      throw this.fail(key, req, v);
    }
    return v;
  }

  int(key: string, def: number, range?: { min?: number; max?: number }): number {
    return this.optInt(key, range) ?? def;
  }

  optObject(key: string): ConfigReader | undefined {
    const v = this.raw(key);
    if (v === undefined) return undefined;
    if (!isJsonObject(v)) throw this.fail(key, 'must be a JSON object', v);
    return new ConfigReader(v, `${this.where}: ${key}`);
  }

  optArray(key: string): unknown[] | undefined {
    const v = this.raw(key);
    if (v === undefined) return undefined;
    if (!Array.isArray(v)) throw this.fail(key, 'must be a list', v);
    return v;
  }

  optStrings(key: string): string[] | undefined {
    const v = this.optArray(key);
    if (v === undefined) return undefined;
    if (v.some((s) => typeof s !== 'string')) throw this.fail(key, 'must be a list of strings', v);
    return v as string[];
  }
}
