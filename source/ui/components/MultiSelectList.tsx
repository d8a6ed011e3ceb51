import {Box, Text} from 'ink';
import {useState} from 'react';
import {useCommands} from '../keys.js';
import {initialWindow, listMoveCommands} from '../state/list-window.js';
import {useTheme} from '../theme.js';

export type MultiItem = {value: string; label: string; hint?: string};

/** Checkbox list: Space toggles, a toggles all, Enter confirms (at least one must be ticked). */
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
	const [window, setWindow] = useState(initialWindow);
	const current = items[window.cursor];
	useCommands(
		{
			...listMoveCommands(setWindow, items.length, rowsInView),
			toggle: () => {
				if (!current) return;
				const next = new Set(selected);
				if (next.has(current.value)) next.delete(current.value);
				else next.add(current.value);
				onChange(next);
			},
			toggleAll: () => onChange(selected.size === items.length ? new Set() : new Set(items.map(item => item.value))),
			select: onSubmit,
		},
		{isActive},
	);
	const visible = items.slice(window.offset, window.offset + rowsInView);
	return (
		<Box flexDirection="column">
			{visible.map((item, index) => {
				const isCursor = window.offset + index === window.cursor;
				return (
					<Text key={item.value} color={isCursor ? theme.selected : undefined} bold={isCursor} wrap="truncate">
						{isCursor ? '› ' : '  '}
						{selected.has(item.value) ? '[x] ' : '[ ] '}
						{item.label}
						{item.hint ? <Text dimColor>{'  ' + item.hint}</Text> : ''}
					</Text>
				);
			})}
			{items.length > rowsInView ? (
				<Text dimColor>
					{'  '}
					{window.offset + 1}–{window.offset + visible.length} of {items.length} · {selected.size} ticked
				</Text>
			) : undefined}
		</Box>
	);
}
