/**
 * Counts are grouped without ICU (its locale data cost ~6 MB of resident memory on every command
 * that printed one): the text must stay exactly what `toLocaleString('en-US')` printed.
 */
import fc from 'fast-check';
import {expect, test} from 'vitest';
import {compareCodeUnits, formatCount} from '../source/core/format.js';

test('formatCount prints every number as toLocaleString("en-US") does', () => {
	const edges = [0, -0, 1, -1, 999, 1000, -1000, 999_999, 1_000_000, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 2 ** 53, 1.5, -2.25, 1e21, Number.NaN, Number.POSITIVE_INFINITY];
	for (const count of edges) expect(formatCount(count)).toBe(count.toLocaleString('en-US'));
	fc.assert(
		fc.property(fc.oneof(fc.integer({min: -1e6, max: 1e6}), fc.maxSafeInteger(), fc.maxSafeNat(), fc.double({noNaN: true})), count => {
			expect(formatCount(count)).toBe(count.toLocaleString('en-US'));
		}),
		{numRuns: 20_000},
	);
});

test('compareCodeUnits sorts as the < operator does, ties equal', () => {
	fc.assert(
		fc.property(fc.array(fc.string({unit: 'binary', maxLength: 5}), {maxLength: 20}), names => {
			const sorted = [...names].sort(compareCodeUnits);
			for (let index = 1; index < sorted.length; index++) expect(sorted[index - 1]! <= sorted[index]!).toBe(true);
			for (const name of names) expect(compareCodeUnits(name, name)).toBe(0);
		}),
	);
});
