import { CniError, ErrCode } from './errors';

/**
 * CNI_ARGS (`K=V;K2=V2`) parsed with the Go library's rules: keys are case-sensitive, a value
 * cannot contain '=', and keys the plugin does not know are an error unless IgnoreUnknown is
 * true. `known` lists the keys this plugin reads (IgnoreUnknown is always known).
 */
export function parseCniArgs(raw: string, known: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  if (raw === '') return out;
  const unknown: string[] = [];
  let ignoreUnknown = false;
  for (const pair of raw.split(';')) {
    const kv = pair.split('=');
    if (kv.length !== 2) {
      throw new CniError(ErrCode.InvalidEnvironmentVariables, `CNI_ARGS: invalid pair "${pair}": expected KEY=VALUE`, raw);
    }
    const [key, value] = kv;
    if (key === 'IgnoreUnknown') {
      ignoreUnknown = parseArgBool(value, pair);
    } else if (known.includes(key)) {
      out.set(key, value);
    } else {
      unknown.push(pair);
    }
  }
  if (unknown.length > 0 && !ignoreUnknown) {
    throw new CniError(
      ErrCode.InvalidEnvironmentVariables,
      `CNI_ARGS: unknown args ${JSON.stringify(unknown)} (this plugin reads ${known.length ? known.join(', ') : 'none'}; add IgnoreUnknown=1 to pass others)`,
      raw,
    );
  }
  return out;
}

function parseArgBool(value: string, pair: string): boolean {
  const v = value.toLowerCase();
  if (v === '1' || v === 'true') return true;
  if (v === '0' || v === 'false') return false;
  throw new CniError(
    ErrCode.InvalidEnvironmentVariables,
    `CNI_ARGS: error parsing value of pair "${pair}": boolean must be 1, 0, true or false`,
  );
}
