import { canonicalRange, type RangeSpec } from '../../../plugins/host-local/allocator/range';
import { makeRangeSet, type RangeSet } from '../../../plugins/host-local/allocator/range-set';

/** A validated range set from subnets ("10.0.0.0/29") or full range specs. */
export function set(index: number, ...ranges: (string | RangeSpec)[]): RangeSet {
  const specs = ranges.map((r) => (typeof r === 'string' ? { subnet: r } : r));
  return makeRangeSet(
    specs.map((s, i) => canonicalRange(s, `test[${index}][${i}]`)),
    index,
    `test[${index}]`,
  );
}
