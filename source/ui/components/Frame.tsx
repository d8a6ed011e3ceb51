import {Box, measureElement, type DOMElement} from 'ink';
import {Text} from './Text.js';
import {terminalSafe} from '../../core/terminal-safe.js';
import {createContext, useContext, useEffect, useRef, useState, type ReactNode} from 'react';
import {useConsoleInput} from '../hooks/use-console-input.js';
import {useTerminalSize} from '../hooks/use-terminal-size.js';
import {helpEntries} from '../help-keys.js';
import {helpParts, splitKeys, type CommandName} from '../keys.js';
import {frameLayout} from '../state/frame-layout.js';
import {useTheme} from '../theme.js';
import {StatusLine, statusText, type Status} from './StatusLine.js';
import {clearDroppedKeys, droppedKeysText, useDroppedKeys} from '../state/dropped-keys.js';

/** The rows and columns the screen's body has (what lists and tables size themselves to). */
const BodySize = createContext<{rows: number; columns: number}>({rows: 20, columns: 80});

/**
 * Gives a part of the body its height: the body's rows less `reserve` (the lines the screen draws
 * beside it: a heading, a total, a prompt), at least `min`.
 */
export function BodyRows({reserve = 0, min = 1, children}: {reserve?: number; min?: number; children: (rows: number, columns: number) => ReactNode}) {
	const {rows, columns} = useContext(BodySize);
	return <>{children(Math.max(min, rows - reserve), columns)}</>;
}

/**
 * Every screen's layout: a title line, the body, the `?` help when open, the status line and the
 * key line. Each part gets an explicit number of rows (frameLayout), so no part is drawn over
 * another; a body taller than its rows is cut at the bottom with a line saying how much is hidden.
 */
export function Frame({
	title,
	commands,
	status,
	textEntry = false,
	meanings,
	children,
}: {
	title: string;
	/** The keys the footer shows; the `?` help lists these and every other key the screen handles. */
	commands: readonly CommandName[];
	status?: Status | undefined;
	/** A text field has the keyboard: `?` is typed, not help. */
	textEntry?: boolean;
	/** What a key does on this screen, for the `?` help ("show details" rather than "select"). */
	meanings?: Partial<Record<CommandName, string>>;
	children: ReactNode;
}) {
	const {columns, rows} = useTerminalSize();
	const theme = useTheme();
	const [help, setHelp] = useState(false);
	const dropped = useDroppedKeys();
	useConsoleInput(
		(input, key) => {
			// The notice of dropped keys stays until the next key (unless that read dropped more).
			clearDroppedKeys(dropped.version);
			if (textEntry) return;
			// "?" may arrive with other keys in one read ("?\r"): each counts.
			for (const press of splitKeys(input, key)) if (press.input === '?') setHelp(shown => !shown);
		},
	);
	// A screen's own message comes first; a note of dropped keys shows when there is none.
	if (!status && dropped.count > 0) status = {kind: 'warn', text: droppedKeysText(dropped.count)};
	const all: CommandName[] = [...commands.filter(name => name !== 'help'), ...(textEntry ? [] : (['help'] as CommandName[]))];
	const layout = frameLayout({
		columns,
		rows,
		footer: helpParts(all, textEntry),
		status: status ? statusText(status) : undefined,
		help: help && !textEntry ? helpEntries(commands.filter(name => name !== 'help'), textEntry, meanings) : undefined,
	});
	return (
		<Box flexDirection="column" width={columns} height={layout.height} overflow="hidden">
			{/* One row whatever the title holds: a name from data with a line break is shown as \u{A} (terminalSafe), and the box clips. */}
			<Box height={1} flexShrink={0} overflow="hidden">
				<Text wrap="truncate">
					<Text bold color={theme.accent}>
						Lifeboat
					</Text>
					<Text bold> · {terminalSafe(title)}</Text>
				</Text>
			</Box>
			<BodySize.Provider value={{rows: layout.body, columns}}>
				<Body height={layout.body}>{children}</Body>
			</BodySize.Provider>
			{layout.help.length > 0 ? (
				<Box flexDirection="column" height={layout.help.length} flexShrink={0}>
					{layout.help.map((line, index) => (
						// eslint-disable-next-line react/no-array-index-key
						<Text key={index} color={index === 0 ? theme.accent : undefined} bold={index === 0} wrap="truncate">
							{line}
						</Text>
					))}
				</Box>
			) : undefined}
			{status && layout.status.length > 0 ? (
				<Box height={layout.status.length} flexShrink={0} flexDirection="column">
					<StatusLine status={status} lines={layout.status} />
				</Box>
			) : undefined}
			<Box flexDirection="column" height={layout.footer.length} flexShrink={0}>
				{layout.footer.map((line, index) => (
					// eslint-disable-next-line react/no-array-index-key
					<Text key={index} dimColor wrap="truncate">
						{line}
					</Text>
				))}
			</Box>
		</Box>
	);
}

/**
 * The body: exactly `height` rows. Its content keeps its natural height (nothing is shrunk, so
 * nothing is drawn over a neighbour); what does not fit is cut, and the last row says how many
 * lines are hidden.
 */
function Body({height, children}: {height: number; children: ReactNode}) {
	const content = useRef<DOMElement>(null);
	const [natural, setNatural] = useState(0);
	useEffect(() => {
		if (!content.current) return;
		const measured = measureElement(content.current).height;
		if (measured !== natural) setNatural(measured);
	});
	const cut = natural > height;
	const shown = cut ? height - 1 : height;
	return (
		<Box flexDirection="column" height={height} flexShrink={0}>
			<Box flexDirection="column" height={shown} flexShrink={0} overflow="hidden">
				<Box ref={content} flexDirection="column" flexShrink={0}>
					{children}
				</Box>
			</Box>
			{cut ? (
				<Text dimColor wrap="truncate">
					… {natural - shown} more line{natural - shown === 1 ? '' : 's'} below: enlarge the terminal to see them
				</Text>
			) : undefined}
		</Box>
	);
}
