import {Box, Text, useInput} from 'ink';
import {useState, type ReactNode} from 'react';
import {useTerminalSize} from '../hooks/use-terminal-size.js';
import {BINDINGS, helpText, splitKeys, type CommandName} from '../keys.js';
import {useTheme} from '../theme.js';
import {StatusLine, type Status} from './StatusLine.js';

/**
 * Every screen's layout: a title line, the body (clipped to the terminal, so a small terminal
 * cuts content instead of breaking the layout), an optional status line, and the key help line.
 * `?` toggles the full list of keys for the screen.
 */
export function Frame({
	title,
	commands,
	status,
	textEntry = false,
	children,
}: {
	title: string;
	commands: readonly CommandName[];
	status?: Status | undefined;
	/** A text field has the keyboard: `?` is typed, not help. */
	textEntry?: boolean;
	children: ReactNode;
}) {
	const {columns, rows} = useTerminalSize();
	const theme = useTheme();
	const [help, setHelp] = useState(false);
	useInput(
		(input, key) => {
			// "?" may arrive with other keys in one read ("?\r"): each counts.
			for (const press of splitKeys(input, key)) if (press.input === '?') setHelp(shown => !shown);
		},
		{isActive: !textEntry},
	);
	const all: CommandName[] = [...commands.filter(name => name !== 'help'), ...(textEntry ? [] : (['help'] as CommandName[]))];
	return (
		<Box flexDirection="column" width={columns} height={Math.max(3, rows - 1)}>
			<Box>
				<Text bold color={theme.accent} wrap="truncate">
					Lifeboat
				</Text>
				<Text bold wrap="truncate">
					{' '}
					· {title}
				</Text>
			</Box>
			<Box flexDirection="column" flexGrow={1} flexShrink={1} overflow="hidden">
				{children}
			</Box>
			{help ? (
				<Box flexDirection="column" borderStyle="single" borderColor={theme.muted} flexShrink={0}>
					{all.map(name => (
						<Text key={name} wrap="truncate">
							{BINDINGS[name].keys.padEnd(8)} {BINDINGS[name].description}
						</Text>
					))}
				</Box>
			) : undefined}
			{status ? (
				<Box flexShrink={0}>
					<StatusLine status={status} />
				</Box>
			) : undefined}
			<Box flexShrink={0}>
				<Text dimColor wrap="wrap">
					{helpText(all, textEntry)}
				</Text>
			</Box>
		</Box>
	);
}
