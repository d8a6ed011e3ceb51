import {Box} from 'ink';
import {Text} from './Text.js';
import {formatChecklist, type ChecklistItem} from '../../core/restore/index.js';
import {useTheme} from '../theme.js';

/**
 * The post-restore checklist as `backup restore` prints it (formatChecklist: the heading, then
 * numbered steps), one row per step cut to the width (never wrapped), and at most `rows` step
 * rows: when they do not all fit, the last row says how many steps are left.
 */
export function Checklist({items, rows}: {items: readonly ChecklistItem[]; rows: number}) {
	const theme = useTheme();
	const [heading, ...steps] = formatChecklist(items);
	const shown = steps.length > rows ? steps.slice(0, Math.max(0, rows - 1)) : steps;
	const left = steps.length - shown.length;
	return (
		<Box flexDirection="column">
			<Text bold color={theme.warn} wrap="truncate">
				{heading}
			</Text>
			{shown.map((line, index) => (
				<Text key={`${index}:${items[index]!.kind}`} wrap="truncate">
					{line}
				</Text>
			))}
			{left > 0 ? (
				<Text dimColor wrap="truncate">
					{'  '}… {left} more step{left === 1 ? '' : 's'}
				</Text>
			) : undefined}
		</Box>
	);
}
