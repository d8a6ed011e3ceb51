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
import {listDestination} from './list-backups.js';

/** A backup other backups' chains need (incrementals built on it): not deleted unless asked to. */
export class NeededByChainError extends LifeboatError {
	constructor(
		where: string,
		readonly dependents: string[],
	) {
		const named = dependents.slice(0, 3).join(', ') + (dependents.length > 3 ? ', …' : '');
		super('usage', `${where} is the base of ${dependents.length === 1 ? 'an incremental backup' : `${dependents.length} incremental backups`} (${named}): deleting it would break ${dependents.length === 1 ? 'its' : 'their'} chain and ${dependents.length === 1 ? 'it' : 'they'} could not be restored; delete ${dependents.length === 1 ? 'it' : 'them'} first (newest first), or, from the CLI, pass --force to delete it anyway`);
	}
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
	if (!options.breakChains) await refuseNeededByChain(destination, name, where);
	await destination.delete(name, {signal: options.signal});
	return stat;
}

async function refuseNeededByChain(destination: Destination, name: string, where: string): Promise<void> {
	const listings = await listDestination(destination);
	const id = listings.find(listing => listing.fileName === name)?.summary?.id;
	if (id === undefined) return;
	// Another listing of the same id (a copy of the backup) serves its chains as well.
	if (listings.some(listing => listing.fileName !== name && listing.summary?.id === id)) return;
	const dependents = listings.filter(listing => listing.summary?.backupKind === 'incremental' && listing.summary.baseBackupId === id).map(listing => listing.fileName);
	if (dependents.length > 0) throw new NeededByChainError(where, dependents);
}
