import {Box, Text} from 'ink';
import TextInput from 'ink-text-input';
import {useTheme} from '../theme.js';

/** A labelled one-line input. `mask` hides what is typed (passphrases). */
export function TextField({
	label,
	value,
	onChange,
	onSubmit,
	mask,
	placeholder,
	hint,
	isActive = true,
}: {
	label: string;
	value: string;
	onChange: (value: string) => void;
	onSubmit: (value: string) => void;
	mask?: string;
	placeholder?: string;
	hint?: string;
	isActive?: boolean;
}) {
	const theme = useTheme();
	return (
		<Box flexDirection="column">
			<Text bold>{label}</Text>
			<Box>
				<Text color={theme.accent}>› </Text>
				<TextInput value={value} onChange={onChange} onSubmit={onSubmit} mask={mask} placeholder={placeholder} focus={isActive} />
			</Box>
			{hint ? <Text dimColor wrap="truncate">{hint}</Text> : undefined}
		</Box>
	);
}
