import {Box} from 'ink';
import {Text} from '../components/Text.js';
import type {VerifyResult} from '../../core/backup/verify-backup.js';
import {formatBytes, formatCount} from '../../core/format.js';
import {Busy} from '../components/Busy.js';
import {TransferProgress} from '../components/TransferProgress.js';
import type {TaskState} from '../hooks/use-task.js';
import type {VerifyView} from '../hooks/use-verify.js';
import {wrapWords} from '../text-fit.js';
import {useTheme} from '../theme.js';

const SHOWN_PROBLEMS = 3;

/** Terminal rows `text` takes when wrapped at `width`, the way the frame wraps it. */
function wrappedRows(text: string, width: number): number {
	return wrapWords(text, width).length;
}

/** How many rows the panel takes at `width`, so a screen can leave room for all of it. */
export function verifyPanelRows(state: TaskState<VerifyResult, VerifyView>, width: number, retry?: string): number {
	if (state.status === 'idle') return 0;
	if (state.status === 'running') return state.progress && state.progress.bytesTotal > 0 ? 2 : 1;
	if (state.status === 'error') return wrappedRows(`✗ Verify failed: ${state.error}${retry ? ` — ${retry}` : ''}`, width);
	if (state.result.ok) return 1;
	const problems = state.result.problems.slice(0, SHOWN_PROBLEMS);
	return 1 + problems.reduce((sum, problem) => sum + wrappedRows(`  ${problem}`, width), 0);
}

/** A verify run: progress while it reads, then ✓ or the first problems in red (wrapped, never cut). */
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
	// Errors wrap: the reason is the part the operator needs, and it is at the end of the line.
	if (state.status === 'error') {
		return (
			<Text color={theme.error} wrap="wrap">
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
			<Text color={theme.error} wrap="wrap">
				✗ Verify found {result.problems.length} problem{result.problems.length === 1 ? '' : 's'}: do not rely on this backup
			</Text>
			{result.problems.slice(0, SHOWN_PROBLEMS).map(problem => (
				<Text key={problem} color={theme.error} wrap="wrap">
					{'  '}
					{problem}
				</Text>
			))}
		</Box>
	);
}
