import {Box} from 'ink';
import {Text} from './Text.js';
import {transferFigures, type Transfer} from '../state/progress-math.js';
import {ProgressBar} from './ProgressBar.js';

/** Bar plus bytes · files · rate · ETA, and the file being worked on. */
export function TransferProgress({transfer, width, current}: {transfer: Transfer; width: number; current?: string | undefined}) {
	const figures = transferFigures(transfer);
	const parts = [figures.bytes, figures.files, figures.rate, figures.eta ? `ETA ${figures.eta}` : undefined].filter(Boolean);
	return (
		<Box flexDirection="column">
			<ProgressBar ratio={figures.ratio} width={Math.max(10, Math.min(60, width - 6))} />
			<Text wrap="truncate">{parts.join(' · ')}</Text>
			{current ? (
				<Text dimColor wrap="truncate">
					{current}
				</Text>
			) : undefined}
		</Box>
	);
}
