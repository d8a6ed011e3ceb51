import {useStdout} from 'ink';
import {createContext, useContext, useEffect, useState} from 'react';

export type TerminalSize = {columns: number; rows: number};

/** The smallest terminal the console lays out in (the readme's "from 50x16"); below it SizeGate says so. */
export const MIN_SIZE: TerminalSize = {columns: 50, rows: 16};

export function fitsConsole(size: TerminalSize): boolean {
	return size.columns >= MIN_SIZE.columns && size.rows >= MIN_SIZE.rows;
}

/** The stream's size now. Falls back to 80x24 when the stream does not say. */
export function readSize(stdout: NodeJS.WriteStream): TerminalSize {
	return {columns: stdout.columns || 80, rows: stdout.rows || 24};
}

/** The terminal's size, following resizes: read in one place, the console's root (SizeGate). */
export function useStdoutSize(): TerminalSize {
	const {stdout} = useStdout();
	const [size, setSize] = useState(() => readSize(stdout));
	useEffect(() => {
		const onResize = () => setSize(readSize(stdout));
		stdout.on('resize', onResize);
		return () => {
			stdout.off('resize', onResize);
		};
	}, [stdout]);
	return size;
}

const ScreenSize = createContext<TerminalSize | undefined>(undefined);

/** Set by SizeGate: the size the screens lay out to. */
export const ScreenSizeProvider = ScreenSize.Provider;

/**
 * The size a screen lays out to, as the console's root hands it down (SizeGate). A component
 * drawn on its own, without the root, reads the stream's size.
 */
export function useTerminalSize(): TerminalSize {
	const given = useContext(ScreenSize);
	const {stdout} = useStdout();
	return given ?? readSize(stdout);
}
