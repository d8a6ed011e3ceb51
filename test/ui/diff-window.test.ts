import fc from 'fast-check';
import {describe, expect, test} from 'vitest';
import {diffWindows, graphemes, MIN_DIFF_WIDTH, sideText, textWidth, visibleText, wrapValue, type DiffSide} from '../../source/ui/state/diff-window.js';

const runs = Number(process.env['LIFEBOAT_PROPERTY_RUNS'] ?? 0) * 10 || 500;

/** Text of every kind a memory entry or a file may hold: ASCII, wide CJK, emoji (ZWJ, flags, skin tones), combining marks, controls, invisible and lone surrogates. */
const PIECES = ['a', 'b', 'z', ' ', '…', '\\', '\n', '\t', '\r', '\u0000', '\u00A0', '\u200B', '\u200D', '\uFEFF', 'é', 'e\u0301', '\u0301', '漢', '字', 'ｱ', '한', '😀', '👩\u200D💻', '🇫🇷', '👍🏽', '❤️', '\uD800', '\uDFFF', 'u{200B}'];
const piece = fc.constantFrom(...PIECES);
const text = fc.oneof(
	fc.array(piece, {maxLength: 60}).map(parts => parts.join('')),
	fc.string({unit: 'binary', maxLength: 40}),
	fc.string({unit: 'grapheme', maxLength: 40}),
);
/** Two different values: unrelated, or one edited somewhere (often at the end of a long shared text). */
const pair = fc
	.oneof(
		fc.tuple(text, text),
		fc.tuple(text, text, text, text).map(([head, tail, a, b]) => [head + a + tail, head + b + tail] as [string, string]),
		fc.tuple(fc.array(piece, {minLength: 80, maxLength: 300}), text).map(([long, edit]) => [long.join(''), long.join('') + edit] as [string, string]),
	)
	.filter(([a, b]) => a !== b);

/** The window's graphemes are the visible value's graphemes [start, end), joined: nothing split. */
function expectWhole(value: string, side: DiffSide): void {
	expect(side.before + side.diff + side.after).toBe(graphemes(visibleText(value)).slice(side.start, side.end).join(''));
}

describe('diff windows (side-by-side)', () => {
	test('for any two different values and width, both windows fit, hold the first difference, split no grapheme, and differ', () => {
		fc.assert(
			fc.property(pair, fc.integer({min: MIN_DIFF_WIDTH, max: 120}), ([left, right], width) => {
				const windows = diffWindows(left, right, width);
				const leftParts = graphemes(visibleText(left));
				const rightParts = graphemes(visibleText(right));
				for (const [value, parts, side] of [
					[left, leftParts, windows.left],
					[right, rightParts, windows.right],
				] as const) {
					expect(textWidth(sideText(side))).toBeLessThanOrEqual(width);
					expectWhole(value, side);
					// The first difference is inside the window (or is the end of this value, shown uncut).
					expect(side.start).toBeLessThanOrEqual(windows.common);
					if (windows.common < parts.length) expect(side.end).toBeGreaterThan(windows.common);
					else expect(side.cutAfter).toBe(false);
					expect(side.cutBefore).toBe(side.start > 0);
					expect(side.cutAfter).toBe(side.end < parts.length);
				}
				// Same context before the difference on both sides; the marked differences differ.
				expect(windows.left.before).toBe(windows.right.before);
				expect(windows.left.diff).not.toBe(windows.right.diff);
				if (![...left, ...right].includes('…')) expect(sideText(windows.left)).not.toBe(sideText(windows.right));
			}),
			{numRuns: runs},
		);
	});

	test('two different values never look the same once made visible', () => {
		fc.assert(
			fc.property(pair, ([left, right]) => {
				expect(visibleText(left)).not.toBe(visibleText(right));
			}),
			{numRuns: runs},
		);
	});

	test('wrapping keeps every grapheme, in order, each line within the width', () => {
		fc.assert(
			fc.property(text, fc.integer({min: 2, max: 80}), (value, width) => {
				const {parts, lines} = wrapValue(value, width);
				expect(lines.map(line => line.text).join('')).toBe(parts.join(''));
				for (const line of lines) expect(textWidth(line.text)).toBeLessThanOrEqual(width);
			}),
			{numRuns: runs},
		);
	});

	test('an edit at the end of a long memory entry is shown, with "…" on the cut side', () => {
		const entry = 'The operator prefers short answers and weekly summaries of every open task. '.repeat(4);
		const windows = diffWindows(entry + 'Mondays.', entry + 'Fridays.', 30);
		expect(sideText(windows.left)).toMatch(/^….*Mondays\.$/);
		expect(sideText(windows.right)).toMatch(/^….*Fridays\.$/);
		expect([windows.left.diff, windows.right.diff]).toEqual(['Mon', 'Fri']);
		expect(textWidth(sideText(windows.left))).toBe(30);
	});

	test('wide characters and emoji take two columns and are never split', () => {
		const windows = diffWindows('漢字漢字漢字漢字漢字漢字A', '漢字漢字漢字漢字漢字漢字B', 9);
		expect(sideText(windows.left)).toBe('…字漢字A'); // 8 columns: another 漢 would make 10
		expect(sideText(windows.right)).toBe('…字漢字B');
		expect(visibleText('a\u200Bb\nc')).toBe('a\\u{200B}b\\nc');
		expect(visibleText('👩\u200D💻')).toBe('👩\u200D💻');
	});
});
