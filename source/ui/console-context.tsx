import {createContext, useContext} from 'react';
import type {GatewayChoice} from './prepare-gateway.js';

/** Where screens can go. App owns the state machine; screens only ask. */
export type Navigation = {
	home(): void;
	create(): void;
	browse(destDir?: string): void;
	/** Restore wizard, optionally on a backup picked in Browse (and back to Browse on Esc). */
	restore(backup?: {path: string; encrypted: boolean}): void;
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
