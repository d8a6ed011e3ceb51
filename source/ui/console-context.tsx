import {createContext, useContext} from 'react';
import type {GatewayChoice} from './prepare-gateway.js';

/** Where screens can go. App owns the state machine; screens only ask. */
export type Navigation = {
	home(): void;
	create(): void;
	/** Browse a folder (default: the gateway's backup folder), the cursor on `selectedPath` if it is there. */
	browse(destDir?: string, selectedPath?: string): void;
	/**
	 * Restore wizard, optionally on a backup picked in Browse; `from` is the Browse folder that
	 * Esc returns to (with that backup selected), and the folder the wizard's own list reads.
	 */
	restore(backup?: {path: string; encrypted: boolean}, from?: {destDir: string}): void;
	quarantine(): void;
	quit(): void;
};

export type ConsoleValue = {gateway: GatewayChoice; nav: Navigation};

const ConsoleContext = createContext<ConsoleValue | undefined>(undefined);

export const ConsoleProvider = ConsoleContext.Provider;

export function useConsole(): ConsoleValue {
	const value = useContext(ConsoleContext);
	if (!value) throw new Error('useConsole outside <App>');
	return value;
}
