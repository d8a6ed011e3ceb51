import {Box} from 'ink';
import {Text} from './Text.js';
import SelectInput from 'ink-select-input';
import {useRef, type ReactNode} from 'react';
import {useCommands} from '../keys.js';
import {useTheme} from '../theme.js';
import {Pointer, useListWindow} from './SelectList.js';
import {noteDroppedKeys} from '../state/dropped-keys.js';

export type MultiItem = {value: string; label: string; hint?: string};

/**
 * Checkbox list on ink-select-input's item rendering: Space toggles, a toggles all, Enter
 * confirms (at least one must be ticked). Keys are handled here, as in SelectList.
 */
export function MultiSelectList({
	items,
	selected,
	height,
	isActive = true,
	onChange,
	onSubmit,
}: {
	items: readonly MultiItem[];
	selected: ReadonlySet<string>;
	height: number;
	isActive?: boolean;
	onChange: (next: Set<string>) => void;
	onSubmit: () => void;
}) {
	const theme = useTheme();
	const rowsInView = Math.max(1, items.length > height ? height - 1 : height);
	const {window, move, cursor, armed, disarm} = useListWindow(items.length, rowsInView);
	// The ticks as the last key left them: Space twice in one read toggles twice.
	const ticks = useRef(selected);
	const given = useRef(selected);
	if (given.current !== selected) {
		given.current = selected;
		ticks.current = selected;
	}
	const change = (next: Set<string>) => {
		ticks.current = next;
		onChange(next);
	};
	useCommands(
		{
			...move,
			toggle: () => {
				const current = items[cursor()];
				if (!armed.current || !current) return noteDroppedKeys(1);
				const next = new Set(ticks.current);
				if (next.has(current.value)) next.delete(current.value);
				else next.add(current.value);
				change(next);
			},
			toggleAll: () => {
				if (armed.current) change(ticks.current.size === items.length ? new Set() : new Set(items.map(item => item.value)));
				else noteDroppedKeys(1);
			},
			select: () => {
				if (!armed.current) return noteDroppedKeys(1);
				disarm();
				onSubmit();
			},
		},
		{isActive},
	);
	const visible = items.slice(window.offset, window.offset + rowsInView);
	const draw = (item: MultiItem, isCursor: boolean): ReactNode => (
		<Text color={isCursor ? theme.selected : undefined} bold={isCursor} wrap="truncate">
			{selected.has(item.value) ? '[x] ' : '[ ] '}
			{item.label}
			{item.hint ? <Text dimColor>{'  ' + item.hint}</Text> : ''}
		</Text>
	);
	return (
		<Box flexDirection="column">
			<SelectInput
				key={`${window.offset}:${window.cursor}`}
				items={visible.map((item, index) => ({key: item.value, label: item.label, value: window.offset + index, row: item, draw}))}
				limit={rowsInView}
				initialIndex={window.cursor - window.offset}
				isFocused={false}
				indicatorComponent={Pointer}
				itemComponent={Row as never}
			/>
			{items.length > rowsInView ? (
				<Text dimColor>
					{'  '}
					{window.offset + 1}–{window.offset + visible.length} of {items.length} · {selected.size} ticked
				</Text>
			) : undefined}
		</Box>
	);
}

function Row({row, draw, isSelected = false}: {row: MultiItem; draw: (row: MultiItem, selected: boolean) => ReactNode; isSelected?: boolean}) {
	return <>{draw(row, isSelected)}</>;
}
