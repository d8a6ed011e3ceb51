import {Box} from 'ink';
import {Text} from './Text.js';
import {terminalSafe} from '../../core/terminal-safe.js';
import {useTheme} from '../theme.js';
import {TextInput} from './TextInput.js';

/**
 * A labelled one-line input. It owns its text (give `key` to start it afresh); `onChange` keeps
 * the owner informed. `mask` hides what is typed (passphrases). The label and the hint are one row
 * each, whatever names from data they hold (a line break is shown as `\u{A}`).
 */
export function TextField({
	label,
	initialValue,
	onChange,
	onSubmit,
	mask,
	placeholder,
	hint,
	isActive = true,
}: {
	label: string;
	initialValue?: string;
	onChange?: (value: string) => void;
	onSubmit: (value: string) => void;
	mask?: string;
	placeholder?: string;
	hint?: string;
	isActive?: boolean;
}) {
	const theme = useTheme();
	return (
		// The whole width: the field measures what it has (TextInput), not what its text takes.
		<Box flexDirection="column" width="100%">
			<Text bold wrap="truncate">
				{terminalSafe(label)}
			</Text>
			<Box>
				<Text color={theme.accent}>› </Text>
				<TextInput initialValue={initialValue} onChange={onChange} onSubmit={onSubmit} mask={mask} placeholder={placeholder} focus={isActive} />
			</Box>
			{hint ? (
				<Text dimColor wrap="truncate">
					{terminalSafe(hint)}
				</Text>
			) : undefined}
		</Box>
	);
}
