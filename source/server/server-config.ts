import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {openLocalDestination} from '../core/destinations/local.js';
import {isLifeboatBackup} from '../core/backup/backup-sniff.js';
import {parseLocation} from '../core/destinations/location.js';
import {lookupNamedDestination} from '../core/destinations/named-destinations.js';
import {resolveTarget, type OpenOptions, type ResolvedTarget} from '../core/destinations/open-destination.js';
import type {ApiToken} from './tokens.js';
import {badRequest} from './http-errors.js';
import {checkRequestName} from './names.js';

export type ServerConfig = {
	/** The gateway every route reads and restores into. */
	dataDir: string;
	/** Where backups go and are listed from: a folder, URL or named destination (as --dest). */
	dest: string;
	/** Remote connection settings (credentials come from `env`). */
	openOptions: OpenOptions;
	tokens: readonly ApiToken[];
	/** Largest upload (multipart file or decoded base64 bundle), in bytes. */
	uploadLimit: number;
	/** Aborted on shutdown: running backups and restores stop cleanly. */
	signal?: AbortSignal;
	/** Access and error log lines (one JSON object each). */
	log: (line: Record<string, unknown>) => void;
	/** Backups written at once (default: four times the cores, 4 to 16); more exports wait their turn. */
	exportsAtOnce?: number;
	/** PBKDF2 iterations for encrypted exports (tests only lower it). */
	kdfIterations?: number;
};

/**
 * The server's destination, or a sub-folder of it (`export_path`, local destinations only). The
 * caller closes it.
 */
export async function openFolder(config: ServerConfig, exportPath?: unknown): Promise<ResolvedTarget> {
	const sub = exportPath === undefined || exportPath === null || exportPath === '' ? undefined : checkRequestName(exportPath, 'export_path');
	const target = await resolveTarget(config.dest, {...config.openOptions, localObject: 'folder'});
	if (!sub) return target;
	if (target.location.kind !== 'local') {
		await target.destination.close();
		throw badRequest('export_path (a sub-folder) applies to a local destination only');
	}
	await target.destination.close();
	const folder = path.join(target.location.folder, sub);
	// A folder backup (anyone's) is not a sub-folder: a file written into it would break it.
	if (isLifeboatBackup(folder)) throw badRequest('export_path names a backup, not a sub-folder of the destination');
	// A file (a backup, an operator's note) is the client's mistake, not the server's (a 500).
	if (fs.statSync(folder, {throwIfNoEntry: false})?.isFile()) throw badRequest('export_path names a file, not a sub-folder of the destination');
	return {destination: openLocalDestination(folder), location: {kind: 'local', folder}};
}

/** Where a request's scratch folders go (LIFEBOAT_TMPDIR, else the system's temporary folder). */
export function scratchRoot(): string {
	return process.env['LIFEBOAT_TMPDIR'] ?? os.tmpdir();
}

/**
 * The server's folders and what error details call them instead: the gateway, a local
 * destination and the scratch root, each as given and as resolved (a symlinked /tmp…).
 */
export function serverFolders(config: ServerConfig): Array<[string, string]> {
	const folders: Array<[string, string]> = [];
	const add = (folder: string, label: string): void => {
		const absolute = path.resolve(folder);
		folders.push([absolute, label]);
		try {
			folders.push([fs.realpathSync(absolute), label]);
		} catch {
			// Not made yet (a destination before its first backup): the path as given is all there is.
		}
	};
	add(config.dataDir, '<gateway>');
	try {
		const location = parseLocation(lookupNamedDestination(config.dest, config.openOptions.env)?.url ?? config.dest, {localObject: 'folder'});
		if (location.kind === 'local') add(location.folder, '<destination>');
	} catch {
		// A destination that does not parse fails on first use, with its own message.
	}
	add(scratchRoot(), '<scratch>');
	return folders;
}
