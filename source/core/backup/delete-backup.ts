/**
 * Deletes one backup at a destination, and only a backup: the object must carry a Lifeboat
 * backup's first bytes (an encrypted header, a zip or gzip whose first entry is metadata.json),
 * checked by a small ranged read, so a mistyped name never removes someone else's file.
 */
import path from 'node:path';
import {formatFromPath} from '../archive/archive-format.js';
import type {Destination, StoredObject} from '../destinations/destination.js';
import {destinationError} from '../destinations/retry.js';
import {LifeboatError} from '../errors.js';
import {isLifeboatBackup} from './backup-sniff.js';
import {looksLikeLifeboatBackup, readSniffHead} from './backup-sniff.js';
import {listDestination, type BackupListing} from './list-backups.js';

/**
 * A backup other backups' chains need (incrementals built on it), or may need (a backup here that
 * cannot be read may be one): not deleted unless asked to.
 */
export class NeededByChainError extends LifeboatError {
	/** What is wrong and what to do, without the location or the CLI's flag: the HTTP layer's detail. */
	readonly problem: string;

	constructor(
		where: string,
		readonly dependents: string[],
		readonly unreadable: string[] = [],
	) {
		const problem = `${neededBy(dependents, unreadable)}; ${remedy(dependents)}`;
		super('usage', `${where} ${problem}, or, from the CLI, pass --force to delete it anyway`);
		this.problem = problem;
	}
}

/** "is the base of an incremental backup (b.zip): deleting it would break its chain…" */
function neededBy(dependents: readonly string[], unreadable: readonly string[]): string {
	const names = (list: readonly string[]) => list.slice(0, 3).join(', ') + (list.length > 3 ? ', …' : '');
	if (dependents.length > 0) {
		return `is the base of ${dependents.length === 1 ? 'an incremental backup' : `${dependents.length} incremental backups`} (${names(dependents)}): deleting it would break ${dependents.length === 1 ? 'its' : 'their'} chain and ${dependents.length === 1 ? 'it' : 'they'} could not be restored`;
	}
	return `may be the base of ${unreadable.length === 1 ? 'a backup there that cannot be read' : `${unreadable.length} backups there that cannot be read`} (${names(unreadable)}): ${unreadable.length === 1 ? 'it may be an incremental' : 'they may be incrementals'} built on it`;
}

function remedy(dependents: readonly string[]): string {
	if (dependents.length === 0) return 'delete or repair that one first';
	return `delete ${dependents.length === 1 ? 'it' : 'them'} first (newest first)`;
}

/**
 * Deletes one backup. `breakChains`: delete it even when incrementals at the destination are
 * built on it (prune deletes in an order that never needs this check; the CLI's --force); by
 * default such a backup is refused (NeededByChainError, exit 2), as nothing a restore needs
 * should go by a mistyped name.
 */
export async function deleteBackup(destination: Destination, name: string, options: {signal?: AbortSignal; breakChains?: boolean} = {}): Promise<StoredObject> {
	const where = destination.locate(name);
	const stat = await destination.stat(name, {signal: options.signal});
	if (!stat) throw destinationError(where, 'no such backup');
	const isBackup = destination.kind === 'local' ? isLifeboatBackup(path.join(destination.label, name)) : Boolean(formatFromPath(name)) && looksLikeLifeboatBackup(await readSniffHead(destination, name, options.signal));
	if (!isBackup) throw new LifeboatError('not-a-backup', `${where} is not a Lifeboat backup; it was not deleted`);
	if (!options.breakChains) await refuseNeededByChain(destination, name, where, options.signal);
	await destination.delete(name, {signal: options.signal});
	return stat;
}

async function refuseNeededByChain(destination: Destination, name: string, where: string, signal: AbortSignal | undefined): Promise<void> {
	const listings = await listDestination(destination);
	const target = listings.find(listing => listing.fileName === name);
	const id = target?.summary?.id;
	if (!target || id === undefined) return;
	// A whole copy of the same backup there (the same id, size and format, readable) serves its chains as well.
	if (listings.some(listing => listing.fileName !== name && listing.summary?.id === id && !listing.error && listing.size === target.size && listing.format === target.format)) return;
	const dependents = listings.filter(listing => listing.summary?.backupKind === 'incremental' && listing.summary.baseBackupId === id).map(listing => listing.fileName);
	const unreadable = dependents.length > 0 ? [] : await unreadableBackups(destination, listings, name, signal);
	if (dependents.length > 0 || unreadable.length > 0) throw new NeededByChainError(where, dependents, unreadable);
}

/**
 * Listings whose summary could not be read and that are, or may be, Lifeboat backups (their first
 * bytes say so, or cannot be read either): any of them may be an incremental built on the backup.
 * A file that is plainly something else (a photos.zip) is not counted.
 */
async function unreadableBackups(destination: Destination, listings: readonly BackupListing[], name: string, signal: AbortSignal | undefined): Promise<string[]> {
	const unreadable: string[] = [];
	for (const listing of listings) {
		if (listing.fileName === name || (listing.summary && !listing.error)) continue;
		let backup: boolean;
		try {
			backup = destination.kind === 'local' ? isLifeboatBackup(path.join(destination.label, listing.fileName)) : looksLikeLifeboatBackup(await readSniffHead(destination, listing.fileName, signal));
		} catch {
			backup = true;
		}
		if (backup) unreadable.push(listing.fileName);
	}
	return unreadable;
}
