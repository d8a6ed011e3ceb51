import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {defaultBackupDir, demoHome} from '../core/default-locations.js';
import {isUrl} from '../core/destinations/location.js';
import {isDestinationName, readNamedDestinations} from '../core/destinations/named-destinations.js';
import {ensureDir} from '../core/private-fs.js';
import {openGateway} from '../core/store/gateway-store.js';
import {bareDataDir} from '../core/store/new-data-dir.js';
import {describeError} from './describe-error.js';

/** `--dest` as given: a URL or a named destination stays as typed, a path is made absolute. */
function where(text: string): string {
	if (isUrl(text)) return text;
	return isDestinationName(text) && readNamedDestinations().some(candidate => candidate.name === text) ? text : path.resolve(text);
}

export type GatewayChoice = {dataDir: string; backupDir: string; isDemo: boolean};

/**
 * The gateway the console opens: the configured one, or (first run, nothing configured) a demo
 * gateway created on the spot so a new user sees the product working.
 */
export async function prepareGateway(options: {dataDir?: string; backupDir?: string}): Promise<GatewayChoice> {
	if (options.dataDir) {
		return {dataDir: path.resolve(options.dataDir), backupDir: where(options.backupDir ?? defaultBackupDir()), isDemo: false};
	}
	const home = demoHome();
	const dataDir = path.join(home, 'gateway');
	const backupDir = where(options.backupDir ?? path.join(home, 'backups'));
	if (!fs.existsSync(path.join(dataDir, 'data', 'gateway.db'))) {
		process.stdout.write(`No gateway configured (--data-dir / LIFEBOAT_DATA_DIR): creating a demo gateway in ${dataDir}…\n`);
		const {generateDemo} = await import('../core/demo/generate-demo.js');
		await generateDemo({dir: dataDir});
	}
	ensureDir(backupDir);
	return {dataDir, backupDir, isDemo: true};
}

/** How to point the console at the right folder (Home's status line, after the reason it cannot use this one). */
export const DATA_DIR_WAY_OUT = 'choose Change data dir, or start lifeboat with --data-dir PATH (or LIFEBOAT_DATA_DIR)';

/** The console says how to change the folder itself (DATA_DIR_WAY_OUT): an engine message's CLI hint is dropped. */
export function withoutCliHint(message: string): string {
	return message.replace(/ \(set --data-dir or LIFEBOAT_DATA_DIR\)$/, '').replace(/; create one with: lifeboat demo init --dir .*$/, '');
}

/**
 * Why `dataDir` cannot serve as the gateway (one line: missing, not a gateway, newer schema,
 * damaged), or undefined when it can. Opens the database read-only and closes it at once.
 */
export function gatewayProblem(dataDir: string): string | undefined {
	try {
		openGateway(dataDir, {readonly: true}).close();
		return undefined;
	} catch (error) {
		return withoutCliHint(describeError(error));
	}
}

/**
 * A bare host: `dataDir` is absent or an empty folder (the operator on a rebuilt host), so
 * Restore can build the gateway in it (applyRestore's bare-host path). What Home and its
 * refusals say of it, or undefined when it is anything else (a gateway, a folder with files).
 */
export function bareHostNote(dataDir: string): string | undefined {
	const bare = bareDataDir(dataDir);
	if (!bare) return undefined;
	return `${dataDir} holds no gateway yet (${bare.exists ? 'an empty folder' : 'the folder does not exist'})`;
}

/** What a bare host offers (Home's status line, after bareHostNote). */
export const BARE_HOST_WAY_OUT = 'Restore rebuilds the gateway there from a backup (DR drill tests one first), or choose Change data dir';

/** A data dir as typed in the console: `~` is the home folder (no shell expands it here), relative to the working folder. */
export function resolveTypedDir(typed: string): string {
	const trimmed = typed.trim();
	if (trimmed === '~' || trimmed.startsWith('~/')) return path.join(os.homedir(), trimmed.slice(1));
	return path.resolve(trimmed);
}
