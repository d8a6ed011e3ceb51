import {Box, useInput, useStdout} from 'ink';
import {useCallback, useLayoutEffect, useMemo, useRef, useState, type ReactNode} from 'react';
import {KeyGateProvider, type KeyGate} from '../hooks/use-console-input.js';
import {fitsConsole, MIN_SIZE, readSize, ScreenSizeProvider, useStdoutSize, type TerminalSize} from '../hooks/use-terminal-size.js';
import {splitKeys} from '../keys.js';
import {columns as width, fit} from '../text-fit.js';
import {useTheme} from '../theme.js';
import {Text} from './Text.js';

const sizeText = (size: TerminalSize) => `${size.columns}x${size.rows}`;

/**
 * The line shown instead of the screen on a terminal smaller than MIN_SIZE: the longest wording
 * that fits `size.columns`, the shortest one cut to it on a very narrow terminal.
 */
export function tooSmallText(size: TerminalSize, working = false): string {
	const have = sizeText(size);
	const need = sizeText(MIN_SIZE);
	const wordings = working
		? [
				`Terminal too small: ${have}, Lifeboat needs ${need}. Enlarge it to follow the work running.`,
				`Terminal too small: ${have}, needs ${need}. Enlarge it to follow the work running.`,
				`Too small: ${have}, needs ${need}. The work runs on.`,
				`Too small: ${have} < ${need}, work runs on`,
			]
		: [
				`Terminal too small: ${have}, Lifeboat needs ${need}. Enlarge it or press q to quit.`,
				`Terminal too small: ${have}, needs ${need}. Enlarge it or press q to quit.`,
				`Too small: ${have}, needs ${need}. Enlarge it or press q to quit.`,
				`Too small: ${have}, needs ${need}. q quits.`,
				`Too small: ${have} < ${need}, q quits`,
			];
	const fitting = wordings.find(text => width(text) <= size.columns);
	return fitting ?? fit(wordings.at(-1)!, size.columns).trimEnd();
}

/**
 * The console's size check, at its root: the one place the terminal's size is read. On a
 * terminal smaller than MIN_SIZE one line says so instead of the screen, and no key reaches the
 * screen: q quits (`onQuit`) unless a screen holds work running (useHoldsConsole), Ctrl+C stays App's. The screen stays mounted, only hidden, so its
 * state and the work it runs carry on, and it shows again as it was once the terminal is large
 * enough. Screens lay out to the size handed down here (useTerminalSize); while hidden, to the
 * last size they were shown at, so nothing is laid out anew unseen.
 */
export function SizeGate({onQuit, children}: {onQuit: () => void; children: ReactNode}) {
	const {stdout} = useStdout();
	const size = useStdoutSize();
	const shown = fitsConsole(size);
	const lastShown = useRef<TerminalSize>(shown ? size : MIN_SIZE);
	if (shown) lastShown.current = size;
	// Keys reach the screen only once it is drawn, and only while the terminal is large enough at
	// the moment the key arrives (a key read between a resize and the next frame is not let through).
	const drawn = useRef(shown);
	useLayoutEffect(() => {
		drawn.current = shown;
	}, [shown]);
	const [holds, setHolds] = useState(0);
	const hold = useCallback(() => {
		setHolds(count => count + 1);
		return () => setHolds(count => count - 1);
	}, []);
	const gate = useMemo<KeyGate>(() => ({shown, open: () => drawn.current && fitsConsole(readSize(stdout)), hold}), [shown, stdout, hold]);
	useInput((input, key) => {
		if (gate.open() || holds > 0) return;
		// Every key of a read counts ("jq" is j, then q): q is the one that acts.
		if (splitKeys(input, key).some(press => press.input === 'q' && !press.key.ctrl)) onQuit();
	});
	return (
		<KeyGateProvider value={gate}>
			<ScreenSizeProvider value={lastShown.current}>
				{shown ? undefined : <TooSmall size={size} working={holds > 0} />}
				<Box display={shown ? 'flex' : 'none'} flexDirection="column">
					{children}
				</Box>
			</ScreenSizeProvider>
		</KeyGateProvider>
	);
}

function TooSmall({size, working}: {size: TerminalSize; working: boolean}) {
	const theme = useTheme();
	return (
		<Text color={theme.warn} wrap="truncate">
			{tooSmallText(size, working)}
		</Text>
	);
}
