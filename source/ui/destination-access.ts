/**
 * The console's reach into destinations (named ones, remote ones): listing, opening one backup,
 * download, delete, `destination test`, free space. A local folder that is no destination's
 * name goes the way it always went (listBackupsOrNone, openBackupSource); anything else is
 * opened with resolveTarget and closed when the work is done.
 */
import fs from 'node:fs';
import path from 'node:path';
import type {ArchiveSource} from '../core/archive/archive-reader.js';
import {deleteBackup} from '../core/backup/delete-backup.js';
import {downloadBackup} from '../core/backup/download-backup.js';
import {findBackupEntries, listBackupsOrNone, listDestination, listLocalBackup, newestFileFirst, newestFirst, unreadListing, type BackupCandidate, type BackupListing} from '../core/backup/list-backups.js';
import {mapBounded, REMOTE_READS_AT_ONCE} from '../core/backup/bounded-map.js';
import {consoleSummaries} from './gateway-summary.js';
import {openBackupChain, type OpenedBackup} from '../core/backup/backup-chain.js';
import {openLocalDestination} from '../core/destinations/local.js';
import {formatBytes} from '../core/format.js';
import {readNamedDestinations, type NamedDestination} from '../core/destinations/named-destinations.js';
import {resolveTarget, type ResolvedTarget} from '../core/destinations/open-destination.js';
import {testDestination, type TestStep} from '../core/destinations/test-destination.js';
import {describeError} from './describe-error.js';
import {isLocalWhere} from './state/destinations.js';

/** A backup the console opens: a local path, or an object at a destination (`where` as in state/destinations). */
export type BackupRef = string | {where: string; object: string};

/** The named destinations, or none and why (a damaged config file is a line, not a crash). */
export function readNamedOrNone(env: NodeJS.ProcessEnv): {named: NamedDestination[]; problem?: string} {
	try {
		return {named: readNamedDestinations(env)};
	} catch (error) {
		return {named: [], problem: describeError(error)};
	}
}

/** Opens `where`, runs `work`, and closes the destination whatever happens. */
export async function withWhere<T>(where: string, env: NodeJS.ProcessEnv, work: (target: ResolvedTarget) => Promise<T>): Promise<T> {
	const target = await resolveTarget(where, {env});
	try {
		return await work(target);
	} finally {
		await target.destination.close();
	}
}

/** The backups at `where`, newest first. */
export async function listWhere(where: string, env: NodeJS.ProcessEnv): Promise<BackupListing[]> {
	if (isLocalWhere(where, readNamedOrNone(env).named)) return listBackupsOrNone(where, {cache: consoleSummaries});
	return withWhere(where, env, target => listDestination(target.destination));
}

/** Local backups Browse reads whole before drawing (tens of milliseconds); a larger folder is read as its rows come into view. */
export const BROWSE_READS_ALL_UP_TO = 256;

/**
 * What Browse shows first. A local folder of up to {@link BROWSE_READS_ALL_UP_TO} backups, or a
 * remote destination: the whole listing, newest first by creation time, as `backup list` shows it.
 * A larger local folder: its backups as the folder listing gives them, newest file first, no byte
 * read (`candidates`: each one's summary is read when its row comes into view).
 */
export async function browseWhere(where: string, env: NodeJS.ProcessEnv): Promise<{backups: BackupListing[]; candidates?: Map<string, BackupCandidate>}> {
	if (!isLocalWhere(where, readNamedOrNone(env).named)) return {backups: await listWhere(where, env)};
	if (!fs.existsSync(where)) return {backups: await listBackupsOrNone(where)};
	const entries = findBackupEntries(where);
	if (entries.length <= BROWSE_READS_ALL_UP_TO) return {backups: (await readCandidates(entries)).sort(newestFirst)};
	entries.sort(newestFileFirst);
	return {backups: entries.map(unreadListing), candidates: new Map(entries.map(entry => [entry.path, entry]))};
}

/** Reads the summaries of these not-yet-read local backups (a few at a time; from the console's cache when unchanged). */
export async function readCandidates(candidates: readonly BackupCandidate[]): Promise<BackupListing[]> {
	return mapBounded(candidates, REMOTE_READS_AT_ONCE, candidate => listLocalBackup(candidate, consoleSummaries));
}

/** The ref for a backup listed at `where`: its path when `where` is a plain folder. */
export function refAt(where: string, backup: {path: string; fileName: string}, env: NodeJS.ProcessEnv): BackupRef {
	return isLocalWhere(where, readNamedOrNone(env).named) ? backup.path : {where, object: backup.fileName};
}

/** A remote backup's listing path is a URL: it is downloaded and deleted through its destination. */
export function isRemoteListing(backup: {path: string}): boolean {
	return /^[a-z][a-z0-9+.-]*:\/\//i.test(backup.path);
}

/**
 * Opens a backup for reading (unlocking it with `passphrase` when encrypted). `close` releases
 * the destination once the reading is done (a remote source reads by ranges as it goes).
 */
export async function openBackupRef(ref: BackupRef, passphrase: string | undefined, env: NodeJS.ProcessEnv): Promise<{source: ArchiveSource; chain?: OpenedBackup['chain']; close: () => Promise<void>}> {
	const options = passphrase === undefined ? {} : {passphrase};
	// An incremental is read with its whole chain, found beside it (backup-chain.ts).
	const target = typeof ref === 'string' ? {destination: openLocalDestination(path.dirname(path.resolve(ref))), location: {kind: 'local' as const, folder: path.dirname(path.resolve(ref))}, object: path.basename(ref)} : await resolveTarget(ref.where, {env});
	try {
		const opened = await openBackupChain({destination: target.destination, location: target.location, object: typeof ref === 'string' ? target.object : ref.object}, options);
		return {
			source: opened.source,
			chain: opened.chain,
			close: async () => {
				await opened.close();
				await target.destination.close();
			},
		};
	} catch (error) {
		await target.destination.close();
		throw error;
	}
}

/** Downloads one backup at `where` to a local folder or file; returns the file written. */
export async function downloadFrom(where: string, name: string, target: string, env: NodeJS.ProcessEnv): Promise<string> {
	return withWhere(where, env, async resolved => (await downloadBackup(resolved.destination, name, {target})).path);
}

/** Deletes one backup at `where` (only a Lifeboat backup: the engine checks its first bytes). */
export async function deleteFrom(where: string, name: string, env: NodeJS.ProcessEnv): Promise<void> {
	await withWhere(where, env, async resolved => {
		await deleteBackup(resolved.destination, name);
	});
}

/** `destination test` on `where`: each step reported as it ends. */
export async function testWhere(where: string, env: NodeJS.ProcessEnv, onStep: (step: TestStep) => void): Promise<{ok: boolean; steps: TestStep[]}> {
	return withWhere(where, env, target => testDestination(target.destination, onStep));
}

/** Free bytes for a local folder (on its deepest existing ancestor, as it may not exist yet). */
export function freeSpace(folder: string): number | undefined {
	let current = path.resolve(folder);
	for (;;) {
		try {
			const stats = fs.statfsSync(current);
			return stats.bavail * stats.bsize;
		} catch (error) {
			const parent = path.dirname(current);
			if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || parent === current) return undefined;
			current = parent;
		}
	}
}

/** "12.3 GB free", or nothing when it cannot be read. */
export function freeSpaceText(folder: string): string | undefined {
	const free = freeSpace(folder);
	return free === undefined ? undefined : `${formatBytes(free)} free`;
}
