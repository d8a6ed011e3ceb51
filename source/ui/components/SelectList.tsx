import {Box} from 'ink';
import {Text} from './Text.js';
import {terminalSafe} from '../../core/terminal-safe.js';
import SelectInput from 'ink-select-input';
import {useEffect, useLayoutEffect, useRef, useState, type ReactNode, type RefObject} from 'react';
import {useCommands, type CommandHandlers} from '../keys.js';
import {clampWindow, initialWindow, moveBy, moveTo, type ListMove, type ListWindow} from '../state/list-window.js';
import {useTheme} from '../theme.js';
import {formatCount} from '../../core/format.js';
import {noteDroppedKeys} from '../state/dropped-keys.js';

export type ListItem<T> = {key: string; label: string; value: T; hint?: string; disabled?: boolean};

/**
 * A list whose keys the screen reads itself (`keys` prop): its moves and Enter, and the row under
 * the cursor as the last key left it. With one reader for the list's keys and the screen's own,
 * a key that acts on the highlighted row (v, d, m…) after a move, in the same read or before the
 * next frame, acts on the row the move reached, never on the one it left.
 */
export type ListKeys<T> = {commands: Record<ListMove | 'select', () => void>; current: () => ListItem<T> | undefined};

const LIST_COMMANDS: ReadonlyArray<ListMove | 'select'> = ['up', 'down', 'pageUp', 'pageDown', 'first', 'last', 'select'];

/**
 * The screen's side of a list it reads the keys of: a ref to hand the list as `keys`, handlers for
 * its moves and Enter to put among the screen's own (they do nothing while no list is active),
 * and the highlighted row, read synchronously.
 */
export function useListKeys<T>(): {ref: RefObject<ListKeys<T> | undefined>; handlers: CommandHandlers; current: () => T | undefined} {
	const ref = useRef<ListKeys<T> | undefined>(undefined);
	const handlers: CommandHandlers = Object.fromEntries(LIST_COMMANDS.map(name => [name, () => ref.current?.commands[name]()]));
	return {ref, handlers, current: () => ref.current?.current()?.value};
}

/**
 * A keyboard list drawn by ink-select-input, rendering only the rows in view. `renderRow` draws
 * custom rows (tables); by default a row is "› label  hint".
 *
 * ink-select-input draws the rows (its `limit`, `indicatorComponent` and `itemComponent`), but
 * its own key handling is left off (`isFocused={false}`): it reads each key against the props
 * of its last render, so two keys in one read move once; it wraps around instead of scrolling,
 * has no disabled rows, no PgUp/PgDn/g/G, and picks a row on a digit. Here the cursor and scroll
 * offset live in `state/list-window` (held in a ref, so every key of a chunk is applied in
 * order), and the library is handed the window's rows with the cursor row as its selection.
 */
export function SelectList<T>({
	items,
	height,
	isActive = true,
	initialIndex = 0,
	onSelect,
	onHighlight,
	renderRow,
	keys,
	onWindow,
}: {
	items: readonly ListItem<T>[];
	height: number;
	isActive?: boolean;
	initialIndex?: number;
	onSelect?: (item: ListItem<T>, index: number) => void;
	onHighlight?: (item: ListItem<T>, index: number) => void;
	renderRow?: (item: ListItem<T>, selected: boolean) => ReactNode;
	/** The screen reads this list's keys (see ListKeys): the list registers none of its own. */
	keys?: RefObject<ListKeys<T> | undefined>;
	/** The rows in view changed: [first, end) of `items` (a screen reads what they show lazily). */
	onWindow?: (first: number, end: number) => void;
}) {
	const theme = useTheme();
	const showPosition = items.length > height;
	const rowsInView = Math.max(1, showPosition ? height - 1 : height);
	// A move tells the screen at once (in the same key handler), not a frame later.
	const {window, move, cursor, armed, disarm} = useListWindow(items.length, rowsInView, initialIndex, index => {
		if (items[index]) onHighlight?.(items[index], index);
	});
	const current = items[window.cursor];
	useEffect(() => {
		if (current) onHighlight?.(current, window.cursor);
		// eslint-disable-next-line react-hooks/exhaustive-deps
	}, [current?.key]);
	const commands = {
		...move,
		select: () => {
			if (!armed.current) return noteDroppedKeys(1);
			const index = cursor();
			const item = items[index];
			if (!item || item.disabled) return;
			// Keys after this Enter wait for the next frame: they belong to what it opens.
			disarm();
			onSelect?.(item, index);
		},
	};
	useCommands(commands, {isActive: isActive && !keys});
	useLayoutEffect(() => {
		if (keys) keys.current = isActive ? {commands, current: () => items[cursor()]} : undefined;
	});
	useLayoutEffect(
		() => () => {
			if (keys) keys.current = undefined;
		},
		// eslint-disable-next-line react-hooks/exhaustive-deps
		[],
	);
	const visible = items.slice(window.offset, window.offset + rowsInView);
	useEffect(() => {
		onWindow?.(window.offset, window.offset + visible.length);
		// eslint-disable-next-line react-hooks/exhaustive-deps
	}, [window.offset, visible.length, items]);
	const draw = (item: ListItem<T>, selected: boolean): ReactNode =>
		renderRow ? (
			renderRow(item, selected)
		) : (
			<Text color={selected ? theme.selected : undefined} bold={selected} dimColor={item.disabled} wrap="truncate">
				{terminalSafe(item.label)}
				{item.hint ? <Text dimColor>{'  ' + terminalSafe(item.hint)}</Text> : ''}
			</Text>
		);
	return (
		<Box flexDirection="column">
			<SelectInput
				// A fresh instance per window position: the library keeps its own selection, seeded from initialIndex.
				key={`${window.offset}:${window.cursor}`}
				items={visible.map((item, index) => ({key: item.key, label: item.label, value: window.offset + index, row: item, draw}))}
				limit={rowsInView}
				initialIndex={window.cursor - window.offset}
				isFocused={false}
				indicatorComponent={renderRow ? NoIndicator : Pointer}
				itemComponent={Row as never}
			/>
			{showPosition ? (
				<Text dimColor wrap="truncate">
					{'  '}
					{formatCount(window.offset + 1)}–{formatCount(window.offset + visible.length)} of {formatCount(items.length)}
				</Text>
			) : undefined}
		</Box>
	);
}

/**
 * ink-select-input's indicator: "› " on the cursor row, in the theme's colour. Its own box never
 * shrinks: beside a label wider than the row, a shrunk indicator would be drawn under the label.
 */
export function Pointer({isSelected = false}: {isSelected?: boolean}) {
	const theme = useTheme();
	return (
		<Box flexShrink={0} width={2}>
			<Text color={isSelected ? theme.selected : undefined} bold={isSelected}>
				{isSelected ? '› ' : '  '}
			</Text>
		</Box>
	);
}

/** Custom rows (tables) draw their own marker. */
export function NoIndicator() {
	return null;
}

/** ink-select-input's item: the row is drawn by the list that handed it over. */
function Row<R>({row, draw, isSelected = false}: {row: R; draw: (row: R, selected: boolean) => ReactNode; isSelected?: boolean}) {
	return <>{draw(row, isSelected)}</>;
}

export type ListWindowControls = {
	window: ListWindow;
	/** The moves, for useCommands. */
	move: Record<ListMove, () => void>;
	/** The cursor as the last key left it. */
	cursor: () => number;
	/** False until the list has been drawn with its rows, and after `disarm` until the next frame. */
	armed: {readonly current: boolean};
	/** Ignores keys until the list has been drawn again (after an Enter: they belong to what it opens). */
	disarm: () => void;
};

/**
 * The cursor and scroll offset of a windowed list. Every key is applied to the latest window
 * (a ref), not to the last render's, so keys that arrive in one read all count. Keys that
 * arrive before the list was drawn with its rows (while a step loads) are dropped.
 */
export function useListWindow(count: number, rowsInView: number, initialIndex = 0, onMove?: (cursor: number) => void): ListWindowControls {
	const [window, setWindow] = useState(() => moveTo(initialWindow, initialIndex, count, rowsInView));
	const latest = useRef(window);
	const armed = useRef(false);
	const update = (next: ListWindow) => {
		latest.current = next;
		setWindow(next);
	};
	useEffect(() => {
		update(clampWindow(latest.current, count, rowsInView));
	}, [count, rowsInView]);
	// Drawn with its rows: from now on keys act on what the operator sees.
	useEffect(() => {
		armed.current = count > 0;
	});
	// A list that has left the screen ignores keys still addressed to it.
	useLayoutEffect(
		() => () => {
			armed.current = false;
		},
		[],
	);
	const step = (how: ListMove) => () => {
		if (!armed.current) {
			if (count > 0) noteDroppedKeys(1);
			return;
		}
		const before = latest.current.cursor;
		update(moveBy(latest.current, how, count, rowsInView));
		if (latest.current.cursor !== before) onMove?.(latest.current.cursor);
	};
	const move = {
		up: step('up'),
		down: step('down'),
		pageUp: step('pageUp'),
		pageDown: step('pageDown'),
		first: step('first'),
		last: step('last'),
	};
	const disarm = () => {
		armed.current = false;
		// Draw again even if the Enter changed nothing, so the list is armed after that frame.
		update({...latest.current});
	};
	return {window, move, cursor: () => latest.current.cursor, armed, disarm};
}
