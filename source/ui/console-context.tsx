import {createContext, useContext} from 'react';
import type {createBackup} from '../core/backup/create-backup.js';
import type {applyRestore} from '../core/restore/index.js';
import {DEFAULT_DRILL_ENGINE, type ConsoleDrillEngine} from './drill-engine.js';
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
	/** The DR drill screen (no gateway needed: the live data dir is only compared with, when there is one). */
	drill(): void;
	/** The Schedules screen (backups the daemon runs by themselves). */
	schedules(): void;
	/** Points the console at another data dir (checked by the caller) and shows Home on it. */
	changeDataDir(dataDir: string): void;
	quit(): void;
};

/**
 * The long engine calls the console makes. The real ones by default; a test can wrap them (to
 * hold a backup at a known point while it checks what the screen shows).
 */
export type ConsoleEngine = {createBackup: typeof createBackup; applyRestore: typeof applyRestore} & ConsoleDrillEngine;

/**
 * The engine is imported when first called, not when the console starts: its archive, SQLite
 * and compression modules would delay the first frame (issue 13: first frame < 300 ms).
 */
export const DEFAULT_ENGINE: ConsoleEngine = {
	createBackup: async options => (await import('../core/backup/create-backup.js')).createBackup(options),
	applyRestore: async options => (await import('../core/restore/index.js')).applyRestore(options),
	...DEFAULT_DRILL_ENGINE,
};

/**
 * `env`: where named destinations (LIFEBOAT_CONFIG_DIR, XDG_CONFIG_HOME) and remote credentials
 * (AWS_*, LIFEBOAT_S3_ENDPOINT, …) are read; process.env unless a test gives its own.
 */
export type ConsoleValue = {gateway: GatewayChoice; nav: Navigation; engine: ConsoleEngine; env: NodeJS.ProcessEnv};

const ConsoleContext = createContext<ConsoleValue | undefined>(undefined);

export const ConsoleProvider = ConsoleContext.Provider;

export function useConsole(): ConsoleValue {
	const value = useContext(ConsoleContext);
	if (!value) throw new Error('useConsole outside <App>');
	return value;
}
