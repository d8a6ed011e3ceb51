import {Box} from 'ink';
import {Text} from './Text.js';
import {useMemo, useState} from 'react';
import {useCommands} from '../keys.js';
import {diffRange, diffWindows, graphemes, MIN_DIFF_WIDTH, textWidth, visibleText, wrapValue, type DiffSide} from '../state/diff-window.js';
import {fit} from '../text-fit.js';
import {useTheme} from '../theme.js';

/** A value of a row as text (strings as they are: diff-window makes invisible characters visible). */
function show(value: unknown): string {
	if (value === null) return 'null';
	if (value === undefined) return '—';
	if (typeof value === 'string') return value;
	return JSON.stringify(value) ?? String(value);
}

function pad(text: string, width: number): string {
	return text + ' '.repeat(Math.max(0, width - textWidth(text)));
}

/** One side of a changed field: "…context" then the difference highlighted (inverse), then the rest. */
function Window({side, width}: {side: DiffSide; width: number}) {
	const theme = useTheme();
	const text = `${side.cutBefore ? '…' : ''}${side.before}${side.diff}${side.after}${side.cutAfter ? '…' : ''}`;
	return (
		<Text>
			{side.cutBefore ? '…' : ''}
			{side.before}
			<Text inverse color={theme.error}>
				{side.diff}
			</Text>
			{side.after}
			{side.cutAfter ? '…' : ''}
			{' '.repeat(Math.max(0, width - textWidth(text)))}
		</Text>
	);
}

/**
 * Field | backup | live, one line per field, changed fields first and marked ≠. A changed field
 * shows each side around its first difference, highlighted, "…" on each cut side; with `isActive`,
 * ↑↓ pick a field and Enter shows it in full (both sides wrapped, ↑↓ scroll, Esc back), and
 * `onExpandedChange` tells the screen so its own Esc waits.
 */
export function SideBySide({
	backup,
	live,
	changed,
	width,
	height,
	leftTitle = 'Backup',
	rightTitle = 'Live',
	isActive = false,
	onExpandedChange,
}: {
	backup: Record<string, unknown>;
	live: Record<string, unknown>;
	changed: readonly string[];
	width: number;
	height: number;
	leftTitle?: string;
	rightTitle?: string;
	isActive?: boolean;
	onExpandedChange?: (expanded: boolean) => void;
}) {
	const theme = useTheme();
	const fields = useMemo(() => orderedFields(backup, live, changed), [backup, live, changed]);
	const [cursor, setCursor] = useState(0);
	const [expanded, setExpanded] = useState<string | undefined>(undefined);
	const [scroll, setScroll] = useState(0);
	const nameWidth = Math.min(18, Math.max(8, ...fields.map(field => field.length)));
	const valueWidth = Math.max(MIN_DIFF_WIDTH, Math.floor((width - nameWidth - 7) / 2));
	const rowsShown = Math.max(1, height - 2);
	const offset = Math.min(Math.max(0, cursor - rowsShown + 1), Math.max(0, fields.length - rowsShown));
	const full = useMemo(() => (expanded === undefined ? undefined : fullView(show(backup[expanded]), show(live[expanded]), Math.max(4, Math.floor((width - 5) / 2)))), [expanded, backup, live, width]);
	const pageLines = Math.max(1, height - 3);
	const maxScroll = full ? Math.max(0, full.lines - pageLines) : 0;

	const toggle = (field: string | undefined) => {
		setExpanded(field);
		onExpandedChange?.(field !== undefined);
		if (field !== undefined) {
			const view = fullView(show(backup[field]), show(live[field]), Math.max(4, Math.floor((width - 5) / 2)));
			setScroll(Math.max(0, Math.min(view.firstDiffLine - 1, view.lines - pageLines)));
		}
	};
	useCommands(
		expanded === undefined
			? {up: () => setCursor(at => Math.max(0, at - 1)), down: () => setCursor(at => Math.min(fields.length - 1, at + 1)), expand: () => toggle(fields[cursor])}
			: {up: () => setScroll(at => Math.max(0, at - 1)), down: () => setScroll(at => Math.min(maxScroll, at + 1)), pageUp: () => setScroll(at => Math.max(0, at - pageLines)), pageDown: () => setScroll(at => Math.min(maxScroll, at + pageLines)), back: () => toggle(undefined)},
		{isActive},
	);

	if (expanded !== undefined && full) return <FullView field={expanded} view={full} scroll={Math.min(scroll, maxScroll)} lines={pageLines} leftTitle={leftTitle} rightTitle={rightTitle} />;
	const shown = fields.slice(offset, offset + rowsShown);
	return (
		<Box flexDirection="column">
			<Text bold wrap="truncate">
				{'   '}
				{fit('Field', nameWidth)} {fit(leftTitle, valueWidth)} {fit(rightTitle, valueWidth)}
			</Text>
			{shown.map((field, index) => fieldRow({field, backup: backup[field], live: live[field], differs: changed.includes(field), selected: isActive && offset + index === cursor, nameWidth, valueWidth, warn: theme.warn}))}
			<Text dimColor wrap="truncate">
				{fields.length > rowsShown ? `  ${offset + 1}–${offset + shown.length} of ${fields.length} fields` : ' '}
				{isActive ? `${fields.length > rowsShown ? ' · ' : ' '}Enter shows ${fields[cursor] ?? 'a field'} in full` : ''}
			</Text>
		</Box>
	);
}

/** Every field of either side, the changed ones first. */
function orderedFields(backup: Record<string, unknown>, live: Record<string, unknown>, changed: readonly string[]): string[] {
	const all = [...new Set([...Object.keys(backup), ...Object.keys(live)])];
	return [...all.filter(field => changed.includes(field)), ...all.filter(field => !changed.includes(field))];
}

/** One field's line: the cursor, ≠ when it changed, the name, then each side (its difference highlighted). */
function fieldRow({
	field,
	backup,
	live,
	differs,
	selected,
	nameWidth,
	valueWidth,
	warn,
}: {
	field: string;
	backup: unknown;
	live: unknown;
	differs: boolean;
	selected: boolean;
	nameWidth: number;
	valueWidth: number;
	warn: string | undefined;
}) {
	const left = show(backup);
	const right = show(live);
	const windows = differs && left !== right ? diffWindows(left, right, valueWidth) : undefined;
	return (
		<Text key={field} color={differs ? warn : undefined} bold={selected} wrap="truncate">
			{selected ? '›' : ' '}
			{differs ? '≠ ' : '  '}
			{fit(field, nameWidth)}{' '}
			{windows ? <Window side={windows.left} width={valueWidth} /> : pad(fitVisible(left, valueWidth), valueWidth)}{' '}
			{windows ? <Window side={windows.right} width={valueWidth} /> : fitVisible(right, valueWidth)}
		</Text>
	);
}

/** The start of a value that fits `width` columns, cut between graphemes with "…". */
function fitVisible(value: string, width: number): string {
	const parts = graphemes(visibleText(value));
	let out = '';
	let used = 0;
	for (const [index, part] of parts.entries()) {
		const cell = textWidth(part);
		const room = index === parts.length - 1 ? width : width - 1;
		if (used + cell > room) return `${out}…`;
		out += part;
		used += cell;
	}
	return out;
}

type Full = {left: Array<Array<{text: string; diff: boolean}>>; right: Array<Array<{text: string; diff: boolean}>>; lines: number; firstDiffLine: number; width: number};

/** Both sides wrapped to `width`, each line split into plain and differing runs. */
function fullView(left: string, right: string, width: number): Full {
	const range = diffRange(left, right);
	const runs = (value: string, end: number) => {
		const {parts, lines} = wrapValue(value, width);
		return lines.map(line => {
			const cut = [line.start, Math.min(Math.max(range.common, line.start), line.end), Math.min(Math.max(end, range.common, line.start), line.end), line.end];
			return [0, 1, 2].map(i => ({text: parts.slice(cut[i], cut[i + 1]).join(''), diff: i === 1})).filter(run => run.text);
		});
	};
	const leftLines = runs(left, range.leftEnd);
	const rightLines = runs(right, range.rightEnd);
	const lineOf = (value: string) => wrapValue(value, width).lines.findIndex(line => range.common < line.end || line.end === line.start);
	const firstDiffLine = Math.max(0, Math.min(...[lineOf(left), lineOf(right)].filter(line => line >= 0)));
	return {left: leftLines, right: rightLines, lines: Math.max(leftLines.length, rightLines.length), firstDiffLine: Number.isFinite(firstDiffLine) ? firstDiffLine : 0, width};
}

function FullView({field, view, scroll, lines, leftTitle, rightTitle}: {field: string; view: Full; scroll: number; lines: number; leftTitle: string; rightTitle: string}) {
	const theme = useTheme();
	const line = (runs: Array<{text: string; diff: boolean}> | undefined) => (
		<Text>
			{(runs ?? []).map((run, index) =>
				run.diff ? (
					<Text key={index} inverse color={theme.error}>
						{run.text}
					</Text>
				) : (
					run.text
				),
			)}
			{' '.repeat(Math.max(0, view.width - textWidth((runs ?? []).map(run => run.text).join(''))))}
		</Text>
	);
	return (
		<Box flexDirection="column">
			<Text bold wrap="truncate">
				{field} in full · lines {Math.min(view.lines, scroll + 1)}–{Math.min(view.lines, scroll + lines)} of {view.lines} · ↑↓ scroll · Esc back to the fields
			</Text>
			<Text bold wrap="truncate">
				{pad(fit(leftTitle, view.width), view.width)} │ {fit(rightTitle, view.width)}
			</Text>
			{Array.from({length: Math.min(lines, view.lines - scroll)}, (_, index) => (
				<Text key={scroll + index} wrap="truncate">
					{line(view.left[scroll + index])} │ {line(view.right[scroll + index])}
				</Text>
			))}
		</Box>
	);
}
