import {expect, it} from 'vitest';

/** CPU time of this process while `run` runs, in milliseconds (waiting for a core is not work). */
function cpuMs(run: () => void): number {
	const started = process.cpuUsage();
	run();
	const used = process.cpuUsage(started);
	return (used.user + used.system) / 1000;
}

/**
 * How much more work `large` is than `small`: a scaling ratio, not a time limit. The cheapest of
 * `runs` runs of each, taken in turns so a busy machine slows both alike; the small side counts as
 * at least 2 ms, so a baseline too quick to time does not make the ratio large.
 */
export function workRatio(small: () => void, large: () => void, runs: number): number {
	let least = Infinity;
	let most = Infinity;
	for (let run = 0; run < runs; run++) {
		least = Math.min(least, cpuMs(small));
		most = Math.min(most, cpuMs(large));
	}
	return most / Math.max(least, 2);
}

/**
 * One test per hostile text: `work` on it eight times over costs about eight times the work, not
 * sixty-four (linear work gives ~8, the quadratic patterns this guards against gave 64 and more:
 * the bound of 24 leaves room for noise). One test each, since each takes seconds and all in one
 * test outran its timeout on a loaded machine.
 */
export function eachCostsLinearWork(hostile: readonly string[], work: (text: string) => unknown, runs = 5): void {
	for (const [index, text] of hostile.entries()) {
		it(`${index}: ${JSON.stringify(text.slice(0, 24))}`, () => {
			const larger = text.repeat(8);
			expect(workRatio(() => work(text), () => work(larger), runs)).toBeLessThan(24);
		});
	}
}
