import {Box} from 'ink';
import {Text} from '../components/Text.js';
import {useMemo, useRef, useState} from 'react';
import type {DiffProgress, DiffResult} from '../../core/diff/diff-types.js';
import {formatDiff} from '../../core/diff/format-diff.js';
import {formatCount} from '../../core/format.js';
import {Busy} from '../components/Busy.js';
import {BodyRows} from '../components/Frame.js';
import type {TaskState} from '../hooks/use-task.js';
import {useCommands} from '../keys.js';
import type {ListMove} from '../state/list-window.js';
import {useTheme} from '../theme.js';

/** Ids listed per category and list on screen (the CLI's --json lists up to 10,000). */
const SCREEN_ID_CAP = 100;

/**
 * Browse's diff (`=`): the same lines as `lifeboat backup diff` (formatDiff), one per category
 * with its counts, then the ids, in a window that scrolls (↑↓, PgUp/PgDn, g/G) within the rows
 * the frame gives it.
 */
export function DiffPanel({state, isActive}: {state: TaskState<DiffResult, DiffProgress>; isActive: boolean}) {
	const theme = useTheme();
	const lines = useMemo(() => (state.status === 'done' ? formatDiff(state.result, SCREEN_ID_CAP) : []), [state]);
	const [top, setTop] = useState(0);
	// The rows the frame gave the lines at the last draw: what a page is, and where the end is.
	const rows = useRef(1);
	const scroll = (move: ListMove) => () =>
		setTop(current => {
			const last = Math.max(0, lines.length - rows.current);
			const page = Math.max(1, rows.current - 1);
			const target = {up: current - 1, down: current + 1, pageUp: current - page, pageDown: current + page, first: 0, last}[move];
			return Math.min(Math.max(0, target), last);
		});
	const moves: ListMove[] = ['up', 'down', 'pageUp', 'pageDown', 'first', 'last'];
	useCommands(Object.fromEntries(moves.map(move => [move, scroll(move)])), {isActive: isActive && state.status === 'done'});
	if (state.status === 'idle') return null;
	if (state.status === 'running') {
		const progress = state.progress;
		return <Busy label={progress ? `Comparing: reading ${progress.side} · ${progress.what} · ${formatCount(progress.rows)} rows` : 'Comparing…'} />;
	}
	if (state.status === 'error') {
		return (
			<Text color={theme.error} wrap="wrap">
				✗ Diff failed: {state.error}
			</Text>
		);
	}
	return (
		<BodyRows reserve={1} min={1}>
			{height => {
				rows.current = height;
				const first = Math.min(top, Math.max(0, lines.length - height));
				const shown = lines.slice(first, first + height);
				return (
					<Box flexDirection="column">
						{shown.map((line, index) => (
							<Text key={first + index} wrap="truncate" color={lineColor(line, theme)} dimColor={/\(\d[\d,]* unchanged\)$/.test(line) && line.includes('no changes')}>
								{line}
							</Text>
						))}
						<Text dimColor wrap="truncate">
							{lines.length > height ? `lines ${formatCount(first + 1)}–${formatCount(first + shown.length)} of ${formatCount(lines.length)} · ↑↓ PgUp/PgDn scroll` : ' '}
						</Text>
					</Box>
				);
			}}
		</BodyRows>
	);
}

function lineColor(line: string, theme: ReturnType<typeof useTheme>): string | undefined {
	if (line.startsWith('  + ')) return theme.ok;
	if (line.startsWith('  - ')) return theme.error;
	if (line.startsWith('  ~ ')) return theme.warn;
	return undefined;
}
