import {Text} from './Text.js';
import type {CancelPhase} from '../hooks/use-confirm-cancel.js';
import {useTheme} from '../theme.js';
import {Busy} from './Busy.js';

/**
 * The last line under a running job's progress: how to cancel it, the question once Esc was
 * pressed ("Cancel the backup? y/n", the job going on meanwhile), or that it is being cancelled.
 */
export function CancelPrompt({phase, what, hint, cancelling}: {phase: CancelPhase; what: string; hint: string; cancelling: string}) {
	const theme = useTheme();
	if (phase === 'asking') {
		return (
			<Text wrap="wrap">
				<Text color={theme.warn} bold>
					Cancel the {what}? y/n
				</Text>
				<Text dimColor> (it goes on while you decide)</Text>
			</Text>
		);
	}
	if (phase === 'cancelling') return <Busy label={cancelling} />;
	return (
		<Text dimColor wrap="truncate">
			{hint}
		</Text>
	);
}
