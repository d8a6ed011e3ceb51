/**
 * The side-by-side view's text logic, React-free: a window of each side of a changed field around
 * its first difference ("…context [diff]…"), and the full value wrapped for the scrolling view.
 * Text is cut between graphemes only (a wide character or an emoji is never split), and measured in
 * terminal columns (East Asian wide characters and emoji count 2).
 */

const segmenter = new Intl.Segmenter(undefined, {granularity: 'grapheme'});

export function graphemes(text: string): string[] {
	return Array.from(segmenter.segment(text), part => part.segment);
}

const WIDE = /^[\u1100-\u115F\u231A\u231B\u2329\u232A\u2E80-\u303E\u3041-\u33FF\u3400-\u4DBF\u4E00-\u9FFF\uA000-\uA4CF\uA960-\uA97F\uAC00-\uD7A3\uF900-\uFAFF\uFE10-\uFE19\uFE30-\uFE6F\uFF00-\uFF60\uFFE0-\uFFE6\u{1F300}-\u{1F64F}\u{1F900}-\u{1F9FF}\u{20000}-\u{3FFFD}]/u;

/** Columns a grapheme takes (1 or 2; visibleText leaves no zero-width grapheme). */
export function graphemeWidth(grapheme: string): number {
	if (WIDE.test(grapheme) || /\p{Extended_Pictographic}\uFE0F|\p{Emoji_Presentation}|\p{Regional_Indicator}/u.test(grapheme)) return 2;
	return 1;
}

export function textWidth(text: string): number {
	return graphemes(text).reduce((sum, grapheme) => sum + graphemeWidth(grapheme), 0);
}

/** Characters a terminal would not show, or show as a plain space: escaped so every difference shows. */
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]/u;
const ESCAPES: Record<string, string> = {'\n': '\\n', '\r': '\\r', '\t': '\\t', '\\': '\\\\'};

const PICTOGRAPH = /\p{Extended_Pictographic}/u;

function escapeCodePoints(text: string): string {
	const chars = [...text];
	let out = '';
	for (const [index, char] of chars.entries()) {
		// A zero-width joiner between two pictographs is part of an emoji (👩‍💻): kept.
		const joiner = char === '\u200D' && PICTOGRAPH.test(chars[index - 1] ?? '') && PICTOGRAPH.test(chars[index + 1] ?? '');
		if (ESCAPES[char]) out += ESCAPES[char];
		else if (char !== ' ' && !joiner && INVISIBLE.test(char)) out += `\\u{${char.codePointAt(0)!.toString(16).toUpperCase()}}`;
		else out += char;
	}
	return out;
}

/**
 * A value as one line that shows every difference: newlines, tabs, control and format characters,
 * spaces other than U+0020, lone surrogates and a combining mark with nothing to combine with are
 * escaped (`\n`, `\u{200B}`), backslashes doubled, so two different strings never look the same.
 */
export function visibleText(text: string): string {
	const escaped = escapeCodePoints(text);
	return graphemes(escaped)
		.map(grapheme => (/^\p{M}/u.test(grapheme) ? [...grapheme].map(mark => `\\u{${mark.codePointAt(0)!.toString(16).toUpperCase()}}`).join('') : grapheme))
		.join('');
}

/** One side's window: graphemes [start, end) of the visible text, split at the difference. */
export type DiffSide = {start: number; end: number; cutBefore: boolean; cutAfter: boolean; before: string; diff: string; after: string};

export type DiffWindows = {
	/** Graphemes the two sides share at the start (the first difference is at this index). */
	common: number;
	left: DiffSide;
	right: DiffSide;
};

/** Narrowest window the guarantees hold for: "…", a grapheme of context, a wide grapheme, "…". */
export const MIN_DIFF_WIDTH = 6;

export function sideText(side: DiffSide): string {
	return `${side.cutBefore ? '…' : ''}${side.before}${side.diff}${side.after}${side.cutAfter ? '…' : ''}`;
}

function commonPrefix(a: readonly string[], b: readonly string[]): number {
	let index = 0;
	while (index < a.length && index < b.length && a[index] === b[index]) index++;
	return index;
}

function commonSuffix(a: readonly string[], b: readonly string[], prefix: number): number {
	let count = 0;
	while (count < a.length - prefix && count < b.length - prefix && a[a.length - 1 - count] === b[b.length - 1 - count]) count++;
	return count;
}

/** End of the window from `start`: as many graphemes as fit, a column kept for "…" if the rest does not. */
function windowEnd(widths: readonly number[], start: number, width: number): number {
	const room = width - (start > 0 ? 1 : 0);
	let used = 0;
	let end = start;
	while (end < widths.length && used + widths[end]! <= room) used += widths[end++]!;
	if (end === widths.length) return end;
	while (end > start && used + 1 > room) used -= widths[--end]!;
	return end;
}

function side(parts: readonly string[], widths: readonly number[], start: number, width: number, common: number, diffEnd: number): DiffSide {
	const end = windowEnd(widths, start, width);
	const at = Math.min(Math.max(common, start), end);
	const until = Math.min(Math.max(diffEnd, at), end);
	return {
		start,
		end,
		cutBefore: start > 0,
		cutAfter: end < parts.length,
		before: parts.slice(start, at).join(''),
		diff: parts.slice(at, until).join(''),
		after: parts.slice(until, end).join(''),
	};
}

/**
 * Windows of `width` columns of two values, around their first difference: the same context
 * before it on both sides (about a third of the width, more when the rest fits), the difference
 * itself (`diff`, to highlight), then as much as fits; "…" marks each cut side.
 */
export function diffWindows(leftValue: string, rightValue: string, width: number): DiffWindows {
	const columns = Math.max(MIN_DIFF_WIDTH, Math.floor(width));
	const left = graphemes(visibleText(leftValue));
	const right = graphemes(visibleText(rightValue));
	const leftWidths = left.map(graphemeWidth);
	const rightWidths = right.map(graphemeWidth);
	const common = commonPrefix(left, right);
	const suffix = commonSuffix(left, right, common);
	const context = Math.floor(columns / 3);
	let start = common;
	for (let used = 0; start > 0 && used + leftWidths[start - 1]! <= context; ) used += leftWidths[--start]!;
	// Near the end of both values: use the room for more context instead of leaving it empty.
	const fitsFrom = (from: number) => windowEnd(leftWidths, from, columns) === left.length && windowEnd(rightWidths, from, columns) === right.length;
	while (start > 0 && fitsFrom(start - 1)) start--;
	return {
		common,
		left: side(left, leftWidths, start, columns, common, left.length - suffix),
		right: side(right, rightWidths, start, columns, common, right.length - suffix),
	};
}

/** A line of a wrapped value: graphemes [start, end). */
export type WrappedLine = {start: number; end: number; text: string};

/** The visible text of a value cut into lines of at most `width` columns, between graphemes. */
export function wrapValue(value: string, width: number): {parts: string[]; lines: WrappedLine[]} {
	const columns = Math.max(2, Math.floor(width));
	const parts = graphemes(visibleText(value));
	const lines: WrappedLine[] = [];
	let start = 0;
	let used = 0;
	for (let index = 0; index < parts.length; index++) {
		const cell = graphemeWidth(parts[index]!);
		if (used + cell > columns) {
			lines.push({start, end: index, text: parts.slice(start, index).join('')});
			start = index;
			used = 0;
		}
		used += cell;
	}
	lines.push({start, end: parts.length, text: parts.slice(start).join('')});
	return {parts, lines};
}

/** Graphemes of each side's visible text that differ: [common, leftEnd) and [common, rightEnd) (what is not a shared start or end). */
export function diffRange(leftValue: string, rightValue: string): {common: number; leftEnd: number; rightEnd: number} {
	const left = graphemes(visibleText(leftValue));
	const right = graphemes(visibleText(rightValue));
	const common = commonPrefix(left, right);
	const suffix = commonSuffix(left, right, common);
	return {common, leftEnd: left.length - suffix, rightEnd: right.length - suffix};
}
