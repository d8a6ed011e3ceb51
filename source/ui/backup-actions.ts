import fs from 'node:fs/promises';
import type {BackupListing} from '../core/backup/list-backups.js';
import {describeFsError} from '../core/errors.js';

/**
 * File operations on a listed backup (local destinations). Kept out of the components; when the
 * destinations feature lands these belong on the destination interface.
 */
export async function deleteBackup(listing: BackupListing): Promise<void> {
	try {
		await fs.rm(listing.path, {recursive: listing.format === 'dir', force: false});
	} catch (error) {
		describeFsError(error, `Deleting ${listing.fileName}`);
	}
}

/** Copies a backup into a folder or to a new file path: the engine's copy (core/backup/copy-backup.ts). */
export {copyBackup} from '../core/backup/copy-backup.js';
