// Everything a plugin prints is read by the runtime's JSON parser, and some (jq 1.6, serde_json)
// refuse an escaped unpaired surrogate, which JSON.stringify writes for a lone surrogate taken
// from the input (stdin may spell one as "\ud800"). Printed text replaces them with U+FFFD.

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** `text` with each unpaired surrogate replaced by U+FFFD (valid pairs kept). */
export function wellFormed(text: string): string {
  return text.replace(LONE_SURROGATE, '\ufffd');
}

/** JSON.stringify whose output has no unpaired surrogate in any string or key. */
export function outputJson(value: unknown, indent?: number): string {
  return JSON.stringify(
    value,
    (_key, v: unknown) => {
      if (typeof v === 'string') return wellFormed(v);
      if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
        return Object.fromEntries(Object.entries(v).map(([k, x]) => [wellFormed(k), x]));
      }
      return v;
    },
    indent,
  );
}
