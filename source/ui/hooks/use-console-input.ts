import {useInput, type Key} from 'ink';
import {createContext, useContext, useEffect} from 'react';

export type KeyGate = {
	/** Whether the screen is drawn (false while the terminal is too small for it). */
	readonly shown: boolean;
	/** Whether a key arriving now reaches the screen: asked when the key arrives, not when drawn. */
	readonly open: () => boolean;
	/** Marks work running that quitting would stop (a backup, a restore): returns its release. */
	readonly hold: () => () => void;
};

const OPEN: KeyGate = {shown: true, open: () => true, hold: () => () => undefined};

const KeyGateContext = createContext<KeyGate>(OPEN);

/** Set by SizeGate at the console's root. Without it (a component drawn on its own) keys always reach it. */
export const KeyGateProvider = KeyGateContext.Provider;

export function useKeyGate(): KeyGate {
	return useContext(KeyGateContext);
}

/**
 * Ink's useInput for the console's screens: a key reaches `handler` only while the root lets keys
 * through (not while the terminal is too small and the screen is hidden). Every key handler of
 * the screens goes through here.
 */
export function useConsoleInput(handler: (input: string, key: Key) => void, options: {isActive?: boolean} = {}): void {
	const gate = useKeyGate();
	useInput((input, key) => {
		if (gate.open()) handler(input, key);
	}, options);
}

/**
 * While `active`, the screen runs work that quitting would stop (a backup, a restore, a drill): q
 * on the too-small line does not quit then (at a usable size q never stops a job; Esc asks first).
 */
export function useHoldsConsole(active: boolean): void {
	const {hold} = useKeyGate();
	useEffect(() => (active ? hold() : undefined), [active, hold]);
}
