import stringWidth from 'string-width';
import {terminalSafe} from '../core/terminal-safe.js';

/**
 * Text is measured in terminal columns as Ink lays it out (string-width: a CJK character or an
 * emoji takes two, a combining mark none), and cut between grapheme clusters, never inside one.
 * Everything these functions return is on one row and safe to print: control and format
 * characters from data (ESC, a carriage return, a line break, a tab) are shown as `\u{..}`
 * (terminalSafe) before it is measured.
 */
export function columns(text: string): number {
	return stringWidth(text);
}

const graphemes = new Intl.Segmenter(undefined, {granularity: 'grapheme'});

function clusters(text: string): string[] {
	return Array.from(graphemes.segment(text), segment => segment.segment);
}

/** The longest start of `text` that takes at most `width` columns. */
function headColumns(text: string, width: number): string {
	let taken = 0;
	let head = '';
	for (const cluster of clusters(text)) {
		const size = stringWidth(cluster);
		if (taken + size > width) break;
		taken += size;
		head += cluster;
	}
	return head;
}

/** The longest end of `text` that takes at most `width` columns. */
function tailColumns(text: string, width: number): string {
	const parts = clusters(text);
	let taken = 0;
	let tail = '';
	for (let index = parts.length - 1; index >= 0; index--) {
		const size = stringWidth(parts[index]!);
		if (taken + size > width) break;
		taken += size;
		tail = parts[index]! + tail;
	}
	return tail;
}

/** Fixed-width cells for tables: cut with an ellipsis, pad to the width. */
export function fit(text: string, width: number, align: 'left' | 'right' = 'left'): string {
	if (width <= 0) return '';
	const safe = terminalSafe(text);
	const cut = stringWidth(safe) > width ? headColumns(safe, width - 1) + '…' : safe;
	const pad = ' '.repeat(Math.max(0, width - stringWidth(cut)));
	return align === 'right' ? pad + cut : cut + pad;
}

/** Keeps the end of a long path visible ("…/backups/lifeboat-backup-2026.zip"). */
export function fitPath(text: string, width: number): string {
	const safe = terminalSafe(text);
	if (stringWidth(safe) <= width) return safe;
	if (width <= 1) return '…'.slice(0, Math.max(0, width));
	return '…' + tailColumns(safe, width - 1);
}

/**
 * One line of at most `width` columns that names a path between other text ("… into a new
 * gateway in PATH · nothing written yet"). A long path is cut at its start (fitPath), so its last,
 * most telling part stays visible, and keeps at least `minPath` columns: when the text around it
 * leaves fewer, the text after it goes, then the text before it is cut at its end.
 */
export function lineWithPath(prefix: string, rawText: string, suffix: string, width: number, minPath = 16): string {
	const length = columns;
	const text = terminalSafe(rawText);
	if (length(prefix) + length(text) + length(suffix) <= width) return prefix + text + suffix;
	const least = Math.min(minPath, length(text), width);
	if (length(prefix) + least + length(suffix) <= width) return prefix + fitPath(text, width - length(prefix) - length(suffix)) + suffix;
	if (length(prefix) + least <= width) return prefix + fitPath(text, width - length(prefix));
	// "… new gatew… …/rebuilt/gateway": the cut text, a space, the path.
	const before = width - least - 1;
	if (before < 2) return fitPath(text, width);
	return `${headColumns(prefix, before - 1)}… ${fitPath(text, least)}`;
}

/** "2026-01-05 09:00" in local time: compact enough for an 80-column list. */
export function shortDate(iso: string): string {
	const date = new Date(iso);
	if (Number.isNaN(date.getTime())) return '?';
	const pad = (value: number) => String(value).padStart(2, '0');
	return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/**
 * Greedy word wrap to `width` columns, the way a terminal shows it: breaks at spaces, cuts a
 * word longer than the width. Frame uses it to know how many rows a line takes before drawing.
 */
export function wrapWords(text: string, width: number): string[] {
	const lines: string[] = [];
	for (const paragraph of text.split('\n')) lines.push(...wrapJoined(terminalSafe(paragraph).split(' '), ' ', width));
	return lines;
}

/** Joins `parts` with `separator` into lines of at most `width`, never splitting a part that fits. */
export function wrapJoined(parts: readonly string[], separator: string, width: number): string[] {
	const max = Math.max(1, width);
	const lines: string[] = [];
	let line = '';
	for (const part of parts) {
		const joined = line === '' ? part : line + separator + part;
		if (stringWidth(joined) <= max) {
			line = joined;
			continue;
		}
		if (line !== '') lines.push(line);
		let rest = part;
		while (stringWidth(rest) > max) {
			// At least one cluster a line, so a character wider than the width cannot loop for ever.
			const head = headColumns(rest, max) || clusters(rest)[0]!;
			lines.push(head);
			rest = rest.slice(head.length);
		}
		line = rest;
	}
	lines.push(line);
	return lines;
}

/** A one-line field's text cut to `width` columns around its cursor (cursorWindow). */
export type CursorWindow = {before: string; at: string; after: string; cutStart: boolean; cutEnd: boolean};

/**
 * The part of a field's text (code points; `cursor` an index into them, at most their count) that
 * `width` columns show with the cursor in it, cut between grapheme clusters: the cursor's cluster
 * (the one holding its code point, a space past the end; a mark with no base before it is drawn on
 * a space, so the cursor never has no width) with up to half the width of text before it, then as
 * much after it as fits, then more before it if room is left; a `…` (one column each) where text
 * is cut off at either end. Used where the whole text does not fit: ink-text-input draws it whole
 * and the row is cut at its start, which hid a cursor moved back into the cut-off part (and what
 * was typed there).
 */
export function cursorWindow(chars: readonly string[], cursor: number, width: number): CursorWindow {
	const parts: Array<{text: string; end: number; width: number}> = [];
	let end = 0;
	for (const text of clusters(chars.join(''))) {
		end += [...text].length;
		parts.push({text, end, width: stringWidth(text)});
	}
	let index = parts.findIndex(part => cursor < part.end);
	if (index === -1) index = parts.length;
	const cluster = parts[index];
	const at = cluster === undefined ? ' ' : cluster.width === 0 ? ` ${cluster.text}` : cluster.text;
	const room = Math.max(1, width - 2);
	let used = Math.max(1, cluster?.width ?? 1);
	let start = index;
	let stop = Math.min(index + 1, parts.length);
	const widen = (side: 'before' | 'after', limit: number): void => {
		for (;;) {
			const next = side === 'before' ? parts[start - 1] : parts[stop];
			if (next === undefined || used + next.width > limit) return;
			used += next.width;
			if (side === 'before') start--;
			else stop++;
		}
	};
	widen('before', Math.floor(room / 2));
	widen('after', room);
	widen('before', room);
	const text = (from: number, to: number) => parts.slice(from, to).map(part => part.text).join('');
	return {before: text(start, index), at, after: text(Math.min(index + 1, stop), stop), cutStart: start > 0, cutEnd: stop < parts.length};
}
