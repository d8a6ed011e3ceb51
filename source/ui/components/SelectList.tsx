import {Box, Text} from 'ink';
import {useEffect, useState, type ReactNode} from 'react';
import {useCommands} from '../keys.js';
import {clampWindow, initialWindow, listMoveCommands, moveTo} from '../state/list-window.js';
import {useTheme} from '../theme.js';
import {formatCount} from '../../core/format.js';

export type ListItem<T> = {key: string; label: string; value: T; hint?: string; disabled?: boolean};

/**
 * A keyboard list that renders only the rows in view. `renderRow` draws custom rows (tables);
 * by default a row is "› label  hint".
 */
export function SelectList<T>({
	items,
	height,
	isActive = true,
	initialIndex = 0,
	onSelect,
	onHighlight,
	renderRow,
}: {
	items: readonly ListItem<T>[];
	height: number;
	isActive?: boolean;
	initialIndex?: number;
	onSelect?: (item: ListItem<T>, index: number) => void;
	onHighlight?: (item: ListItem<T>, index: number) => void;
	renderRow?: (item: ListItem<T>, selected: boolean) => ReactNode;
}) {
	const theme = useTheme();
	const showPosition = items.length > height;
	const rowsInView = Math.max(1, showPosition ? height - 1 : height);
	const [window, setWindow] = useState(() => moveTo(initialWindow, initialIndex, items.length, rowsInView));
	useEffect(() => {
		setWindow(current => clampWindow(current, items.length, rowsInView));
	}, [items.length, rowsInView]);
	const current = items[window.cursor];
	useEffect(() => {
		if (current) onHighlight?.(current, window.cursor);
		// eslint-disable-next-line react-hooks/exhaustive-deps
	}, [current?.key]);
	useCommands(
		{
			...listMoveCommands(setWindow, items.length, rowsInView),
			select: () => {
				if (current && !current.disabled) onSelect?.(current, window.cursor);
			},
		},
		{isActive},
	);
	const visible = items.slice(window.offset, window.offset + rowsInView);
	return (
		<Box flexDirection="column">
			{visible.map((item, index) => {
				const selected = window.offset + index === window.cursor;
				if (renderRow) return <Box key={item.key}>{renderRow(item, selected)}</Box>;
				return (
					<Box key={item.key}>
						<Text color={selected ? theme.selected : undefined} bold={selected} dimColor={item.disabled} wrap="truncate">
							{selected ? '› ' : '  '}
							{item.label}
							{item.hint ? <Text dimColor>{'  ' + item.hint}</Text> : ''}
						</Text>
					</Box>
				);
			})}
			{showPosition ? (
				<Text dimColor wrap="truncate">
					{'  '}
					{formatCount(window.offset + 1)}–{formatCount(window.offset + visible.length)} of {formatCount(items.length)}
				</Text>
			) : undefined}
		</Box>
	);
}
