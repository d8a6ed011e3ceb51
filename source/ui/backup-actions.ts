import path from 'node:path';
import {deleteBackup as deleteAt} from '../core/backup/delete-backup.js';
import type {BackupListing} from '../core/backup/list-backups.js';
import {openLocalDestination} from '../core/destinations/local.js';

/**
 * Deletes a listed local backup through the engine, as `backup delete` does: only a Lifeboat
 * backup, a folder one renamed aside first (a crash leaves no half folder that lists as a
 * backup), and never the base of an incremental at the same folder.
 */
export async function deleteBackup(listing: BackupListing): Promise<void> {
	const destination = openLocalDestination(path.dirname(listing.path));
	try {
		await deleteAt(destination, path.basename(listing.path));
	} finally {
		await destination.close();
	}
}

/** Copies a backup into a folder or to a new file path: the engine's copy (core/backup/copy-backup.ts). */
export {copyBackup} from '../core/backup/copy-backup.js';
