import {Box, Text} from 'ink';
import type {VerifyResult} from '../../core/backup/verify-backup.js';
import {formatBytes, formatCount} from '../../core/format.js';
import {Busy} from '../components/Busy.js';
import {TransferProgress} from '../components/TransferProgress.js';
import type {TaskState} from '../hooks/use-task.js';
import type {VerifyView} from '../hooks/use-verify.js';
import {useTheme} from '../theme.js';

/** A verify run: progress while it reads, then ✓ or the first problems in red. */
export function VerifyPanel({state, width, retry}: {state: TaskState<VerifyResult, VerifyView>; width: number; retry?: string}) {
	const theme = useTheme();
	if (state.status === 'idle') return null;
	if (state.status === 'running') {
		const progress = state.progress;
		if (!progress || progress.bytesTotal === 0) return <Busy label="Verifying…" />;
		return (
			<Box flexDirection="column">
				<Busy label="Verifying" />
				<TransferProgress transfer={{bytesDone: progress.bytesDone, bytesTotal: progress.bytesTotal, elapsedMs: progress.elapsedMs}} width={Math.min(width, 50)} />
			</Box>
		);
	}
	if (state.status === 'error') {
		return (
			<Text color={theme.error} wrap="truncate">
				✗ Verify failed: {state.error}
				{retry ? ` — ${retry}` : ''}
			</Text>
		);
	}
	const result = state.result;
	if (result.ok) {
		return (
			<Text color={theme.ok} wrap="truncate">
				✓ Verified: {formatCount(result.checkedFiles)} files, {formatBytes(result.checkedBytes)}, every checksum matches
			</Text>
		);
	}
	return (
		<Box flexDirection="column">
			<Text color={theme.error} wrap="truncate">
				✗ Verify found {result.problems.length} problem{result.problems.length === 1 ? '' : 's'}: do not rely on this backup
			</Text>
			{result.problems.slice(0, 3).map(problem => (
				<Text key={problem} color={theme.error} wrap="truncate">
					{'  '}
					{problem}
				</Text>
			))}
		</Box>
	);
}

/** How many rows VerifyPanel draws for `state` (so a list beside it can leave them free). */
export function verifyPanelRows(state: TaskState<VerifyResult, VerifyView>): number {
	if (state.status === 'idle') return 0;
	if (state.status === 'running') return state.progress && state.progress.bytesTotal > 0 ? 2 : 1;
	if (state.status === 'error' || state.result.ok) return 1;
	return 1 + Math.min(3, state.result.problems.length);
}
