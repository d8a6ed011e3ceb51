import {describe, expect, it} from 'vitest';
import {medianOf, medianRun} from '../source/bench/bench-tools.js';
import {startBaseline} from '../source/bench/bench-report.js';

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

describe('the console start row', () => {
	it('shows Node itself beside the console, and both without NODE_EXTRA_CA_CERTS where it was measured', () => {
		const start = {medianMs: 319, runs: [319, 320], nodeMedianMs: 165, nodeRuns: [165, 170]};
		expect(startBaseline(start)).toBe('Node itself 165 ms (165,170)');
		expect(startBaseline({...start, withoutExtraCerts: {medianMs: 274, nodeMedianMs: 125}})).toBe('Node itself 165 ms (165,170); without NODE_EXTRA_CA_CERTS: console 274 ms, Node itself 125 ms');
		expect(startBaseline({medianMs: 319, runs: [319]})).toBe('');
	});
});
