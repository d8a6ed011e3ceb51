import {Box, Text} from 'ink';
import {useTheme} from '../theme.js';
import {fit} from '../text-fit.js';

/** Renders a value of a row as one line. */
function show(value: unknown): string {
	if (value === null) return 'null';
	if (value === undefined) return '—';
	if (typeof value === 'string') return value.replace(/\s+/g, ' ');
	return JSON.stringify(value);
}

/**
 * Field | backup | live, one line per field, changed fields first and marked ≠ (so the
 * difference is visible without colour), as many as fit in `height`.
 */
export function SideBySide({backup, live, changed, width, height, leftTitle = 'Backup', rightTitle = 'Live'}: {backup: Record<string, unknown>; live: Record<string, unknown>; changed: readonly string[]; width: number; height: number; leftTitle?: string; rightTitle?: string}) {
	const theme = useTheme();
	const fields = [...new Set([...Object.keys(backup), ...Object.keys(live)])];
	const ordered = [...fields.filter(field => changed.includes(field)), ...fields.filter(field => !changed.includes(field))];
	const nameWidth = Math.min(18, Math.max(8, ...fields.map(field => field.length)));
	const valueWidth = Math.max(6, Math.floor((width - nameWidth - 6) / 2));
	const shown = ordered.slice(0, Math.max(1, height - 1));
	return (
		<Box flexDirection="column">
			<Text bold wrap="truncate">
				{'  '}
				{fit('Field', nameWidth)} {fit(leftTitle, valueWidth)} {fit(rightTitle, valueWidth)}
			</Text>
			{shown.map(field => {
				const differs = changed.includes(field);
				return (
					<Text key={field} color={differs ? theme.warn : undefined} wrap="truncate">
						{differs ? '≠ ' : '  '}
						{fit(field, nameWidth)} {fit(show(backup[field]), valueWidth)} {fit(show(live[field]), valueWidth)}
					</Text>
				);
			})}
			{ordered.length > shown.length ? <Text dimColor>  … {ordered.length - shown.length} more fields</Text> : undefined}
		</Box>
	);
}
