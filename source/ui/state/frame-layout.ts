import type {HelpEntry} from '../help-keys.js';
import {fit, wrapJoined, wrapWords} from '../text-fit.js';

/**
 * How a screen's rows are shared: title, body, help, status, footer. Every part gets an explicit
 * number of rows that adds up to the frame, so no part is ever drawn over another; the body's
 * budget is what lists and tables size themselves to.
 */
export type FrameLayout = {
	/** Rows of the whole frame (the terminal less the line the cursor rests on). */
	height: number;
	/** The key line, wrapped to the width. */
	footer: string[];
	/** The status line, wrapped to the width (and cut, saying so, if it would take the screen). */
	status: string[];
	/** The `?` help, one string per row (empty when closed). */
	help: string[];
	/** Rows left for the screen's own content. */
	body: number;
};

/** The body keeps at least this many rows (or half the room, on tiny terminals) when help opens. */
const MIN_BODY = 5;

export function frameLayout({
	columns,
	rows,
	footer,
	status,
	help,
}: {
	columns: number;
	rows: number;
	footer: readonly string[];
	status?: string | undefined;
	help?: readonly HelpEntry[] | undefined;
}): FrameLayout {
	const height = Math.max(3, rows - 1);
	const footerLines = footer.length > 0 ? wrapJoined(footer, ' · ', columns) : [];
	let statusLines = status ? wrapWords(status, columns) : [];
	const statusRoom = Math.max(1, Math.floor(height / 4));
	if (statusLines.length > statusRoom) statusLines = [...statusLines.slice(0, statusRoom - 1), fit(`… ${statusLines.length - statusRoom + 1} more lines of this message`, columns)];
	const available = Math.max(1, height - 1 - footerLines.length - statusLines.length);
	const helpRoom = available - Math.min(MIN_BODY, Math.ceil(available / 2));
	const helpLines = help ? helpRows(help, columns, helpRoom) : [];
	return {height, footer: footerLines, status: statusLines, help: helpLines, body: Math.max(1, available - helpLines.length)};
}

/**
 * The help as rows: a heading, then the entries in as many columns as the width allows (one
 * column: a long meaning wraps under itself). When they do not fit in `room` rows, the last row
 * says how many keys are not shown.
 */
export function helpRows(entries: readonly HelpEntry[], columns: number, room: number): string[] {
	if (room < 1) return [];
	const keysWidth = Math.max(...entries.map(entry => [...entry.keys].length));
	const cells = entries.map(entry => `${entry.keys.padEnd(keysWidth)}  ${entry.description}`);
	const cellWidth = Math.min(columns, Math.max(...cells.map(cell => [...cell].length)) + 3);
	const perRow = Math.max(1, Math.floor((columns + 3) / cellWidth));
	// Each group is the rows of `perRow` entries: one row, or a wrapped meaning in one column.
	const groups: string[][] = [];
	for (let index = 0; index < entries.length; index += perRow) {
		if (perRow === 1) {
			const entry = entries[index]!;
			const indent = keysWidth + 2;
			const meaning = wrapWords(entry.description, Math.max(1, columns - indent));
			groups.push(meaning.map((line, at) => fit(`${at === 0 ? entry.keys.padEnd(keysWidth) + '  ' : ' '.repeat(indent)}${line}`, columns).trimEnd()));
			continue;
		}
		groups.push([
			cells
				.slice(index, index + perRow)
				.map(cell => fit(cell, cellWidth - 3))
				.join('   ')
				.trimEnd(),
		]);
	}
	const heading = fit('Keys of this screen (? closes this list)', columns).trimEnd();
	const total = groups.reduce((sum, group) => sum + group.length, 0);
	if (total + 1 <= room) return [heading, ...groups.flat()];
	if (room === 1) return [fit(`Keys of this screen: enlarge the terminal to see all ${cells.length}`, columns).trimEnd()];
	const shown: string[] = [];
	let shownEntries = 0;
	for (const group of groups) {
		if (shown.length + group.length > room - 2) break;
		shown.push(...group);
		shownEntries += perRow;
	}
	const hidden = cells.length - shownEntries;
	return [heading, ...shown, fit(`+${hidden} more keys: enlarge the terminal to see them`, columns).trimEnd()];
}
