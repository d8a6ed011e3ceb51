import {describe, expect, it} from 'vitest';
import {medianOf, medianRun} from '../source/bench/bench-tools.js';

const run = (seconds: number, peakRssKb: number, label = `${seconds}s`) => ({label, seconds, cpuSeconds: seconds, outputBytes: 1, peakRssKb});

describe('the bench keeps medians of repeated runs', () => {
	it('takes time from the run of median time and peak RSS as the median of every run', () => {
		// The median-time run (2 s) peaked highest: one sample of RSS is as noisy as one of time.
		const kept = medianRun([run(3, 95_000), run(2, 101_000), run(1, 94_000)]);
		expect(kept.label).toBe('2s');
		expect(kept.seconds).toBe(2);
		expect(kept.peakRssKb).toBe(95_000);
	});

	it('takes the lower middle of an even count, and a lone run as it is', () => {
		expect(medianOf([4, 1, 3, 2])).toBe(2);
		expect(medianOf([7])).toBe(7);
		expect(medianRun([run(5, 80_000)])).toEqual(run(5, 80_000));
	});
});
