import fc from 'fast-check';
import {Box} from 'ink';
import {render} from 'ink-testing-library';
import {afterEach, describe, expect, test} from 'vitest';
import {TextField} from '../../source/ui/components/TextField.js';
import {columns, cursorWindow} from '../../source/ui/text-fit.js';
import {settled} from './harness.js';

/**
 * A value wider than its field: the cursor moved back into the part that does not fit, and what is
 * typed there, are seen (ink-text-input drew the value whole and the row was cut at its start,
 * which kept showing the end). Wide characters count two columns.
 */
const LEFT = '\u001B[D';
const RIGHT = '\u001B[C';

let unmount: (() => void) | undefined;
afterEach(() => {
	unmount?.();
	unmount = undefined;
});

describe('cursorWindow', () => {
	const char = fc.oneof(fc.constantFrom('a', 'B', '7', ' ', '.', '/'), fc.constantFrom('界', '字', '😀', 'é', 'ｶ', '❤', '\uFE0F', '\u0301', '\u200D', '👍🏽'));
	const segmenter = new Intl.Segmenter(undefined, {granularity: 'grapheme'});
	test('shows the cursor\'s whole cluster, a contiguous part of the text around it cut between clusters, within the width, … where cut', () => {
		fc.assert(
			fc.property(fc.array(char, {maxLength: 120}), fc.nat(), fc.integer({min: 4, max: 90}), (parts, seed, width) => {
				const chars = [...parts.join('')];
				const whole = chars.join('');
				const cursor = seed % (chars.length + 1);
				const cut = cursorWindow(chars, cursor, width);
				const drawn = `${cut.cutStart ? '…' : ''}${cut.before}${cut.at}${cut.after}${cut.cutEnd ? '…' : ''}`;
				expect(columns(drawn)).toBeLessThanOrEqual(width);
				expect(columns(cut.at)).toBeGreaterThan(0);
				const offset = chars.slice(0, cursor).join('').length;
				const clusters = [...segmenter.segment(whole)];
				const cluster = clusters.find(segment => offset < segment.index + segment.segment.length);
				if (!cluster) {
					expect(cut.at).toBe(' ');
					expect(whole.endsWith(cut.before)).toBe(true);
					expect(cut.after).toBe('');
					expect(cut.cutStart).toBe(cut.before.length < whole.length);
					return;
				}
				expect([cluster.segment, ` ${cluster.segment}`]).toContain(cut.at);
				const start = cluster.index - cut.before.length;
				const stop = cluster.index + cluster.segment.length + cut.after.length;
				expect(whole.slice(start, cluster.index)).toBe(cut.before);
				expect(whole.slice(cluster.index + cluster.segment.length, stop)).toBe(cut.after);
				// Cut between clusters only.
				const boundaries = new Set([...clusters.map(segment => segment.index), whole.length]);
				expect(boundaries.has(start) && boundaries.has(stop)).toBe(true);
				expect(cut.cutStart).toBe(start > 0);
				expect(cut.cutEnd).toBe(stop < whole.length);
			}),
			{numRuns: 3000},
		);
	});
});

/** A field of `width` columns (its label's row above it); its field row, and what it submitted. */
function renderField(width: number, initialValue = '') {
	const submitted: string[] = [];
	const instance = render(
		<Box width={width}>
			<TextField label="Name" initialValue={initialValue} onSubmit={value => submitted.push(value)} />
		</Box>,
	);
	unmount = instance.unmount;
	return {instance, submitted, field: () => (instance.lastFrame() ?? '').split('\n')[1] ?? ''};
}

describe('a text field narrower than its value', () => {
	test('moving back into the cut-off start shows the cursor there and what is typed; Enter submits the real value', async () => {
		const {instance, submitted, field} = renderField(40);
		await settled();
		instance.stdin.write(`${'A'.repeat(100)}${'B'.repeat(100)}`);
		await settled();
		expect(field()).toMatch(/B{30,}\s*$/);
		for (let index = 0; index < 120; index++) {
			instance.stdin.write(LEFT);
			await settled();
		}
		instance.stdin.write('Z');
		await settled();
		expect(field()).toMatch(/^› …A+ZA+…$/);
		expect(columns(field())).toBeLessThanOrEqual(40);
		// Back to the end: the end is shown again, as ink-text-input draws it.
		for (let index = 0; index < 125; index++) {
			instance.stdin.write(RIGHT);
			await settled();
		}
		expect(field()).toMatch(/B{30,}\s*$/);
		instance.stdin.write('C\r');
		await settled();
		expect(submitted).toEqual([`${'A'.repeat(80)}Z${'A'.repeat(20)}${'B'.repeat(100)}C`]);
	});

	test('arrows arriving faster than the field redraws (one read) move the cursor there, and typing goes there', async () => {
		const {instance, submitted, field} = renderField(40, 'hello world');
		await settled();
		instance.stdin.write(LEFT.repeat(5));
		await settled();
		instance.stdin.write('X');
		await settled();
		expect(field()).toMatch(/^› hello Xworld\s*$/);
		instance.stdin.write(RIGHT.repeat(5));
		await settled();
		instance.stdin.write('!\r');
		await settled();
		expect(submitted).toEqual(['hello Xworld!']);
	});

	test('wide characters: the cursor stays in view at every position, moving left then right', async () => {
		const value = '字'.repeat(30) + 'x'.repeat(30) + '😀'.repeat(10);
		const {instance, field} = renderField(30, value);
		await settled();
		const chars = [...value];
		for (let cursor = chars.length - 1; cursor >= 0; cursor--) {
			instance.stdin.write(LEFT);
			await settled();
			const shown = field();
			expect(columns(shown), shown).toBeLessThanOrEqual(30);
			const cut = cursorWindow(chars, cursor, 28);
			expect(shown, `cursor ${cursor}`).toContain(`${cut.before}${cut.at}${cut.after}`);
		}
	});
});
