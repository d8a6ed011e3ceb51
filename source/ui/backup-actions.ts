import fs from 'node:fs/promises';
import path from 'node:path';
import {deleteBackup as deleteAt} from '../core/backup/delete-backup.js';
import type {BackupListing} from '../core/backup/list-backups.js';
import {openLocalDestination} from '../core/destinations/local.js';
import {describeFsError, LifeboatError} from '../core/errors.js';

/**
 * Deletes a listed local backup through the engine, as `backup delete` does: a folder one renamed
 * aside first (a crash leaves no half folder that lists as a backup), and never the base of an
 * incremental at the same folder. A row Browse lists as unreadable that is no Lifeboat backup at
 * all (an empty or foreign .zip, which blocks pruning) is removed as the file it is: the operator
 * chose that row and confirmed.
 */
export async function deleteBackup(listing: BackupListing): Promise<void> {
	const destination = openLocalDestination(path.dirname(listing.path));
	try {
		await deleteAt(destination, path.basename(listing.path));
	} catch (error) {
		if (!(error instanceof LifeboatError && error.code === 'not-a-backup')) throw error;
		try {
			await fs.rm(listing.path, {recursive: listing.format === 'dir', force: false});
		} catch (fsError) {
			describeFsError(fsError, `Deleting ${listing.fileName}`);
		}
	} finally {
		await destination.close();
	}
}

/** Copies a backup into a folder or to a new file path: the engine's copy (core/backup/copy-backup.ts). */
export {copyBackup} from '../core/backup/copy-backup.js';
