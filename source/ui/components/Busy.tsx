import {Text} from './Text.js';
import {terminalSafe} from '../../core/terminal-safe.js';
import Spinner from 'ink-spinner';
import {useTheme} from '../theme.js';

/** A spinner and what is being waited for (one row: a name in it is shown escaped): shown for any work without a measurable total. */
export function Busy({label}: {label: string}) {
	const theme = useTheme();
	return (
		<Text wrap="truncate">
			<Text color={theme.accent}>
				<Spinner type="dots" />
			</Text>{' '}
			{terminalSafe(label)}
		</Text>
	);
}
