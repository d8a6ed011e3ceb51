import fs from 'node:fs/promises';
import path from 'node:path';
import type {BackupListing} from '../core/backup/list-backups.js';
import {describeFsError, LifeboatError} from '../core/errors.js';

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

/**
 * Copies a backup to a folder (keeping its file name) or to a new file path. Never overwrites;
 * writes under a temporary name and renames, so a cut-short copy never looks like a backup.
 */
export async function copyBackup(listing: BackupListing, target: string): Promise<string> {
	const resolved = path.resolve(target);
	const stats = await fs.stat(resolved).catch(() => undefined);
	const finalPath = stats?.isDirectory() ? path.join(resolved, listing.fileName) : resolved;
	if (path.resolve(listing.path) === finalPath) throw new LifeboatError('exists', 'That is the backup itself; choose another folder');
	if (await fs.stat(finalPath).catch(() => undefined)) throw new LifeboatError('exists', `${finalPath} already exists; choose another path`);
	const temporary = path.join(path.dirname(finalPath), `.lifeboat-copy-${process.pid}-${path.basename(finalPath)}`);
	try {
		await fs.mkdir(path.dirname(finalPath), {recursive: true});
		await fs.cp(listing.path, temporary, {recursive: true, errorOnExist: true, force: false});
		await fs.rename(temporary, finalPath);
	} catch (error) {
		await fs.rm(temporary, {recursive: true, force: true}).catch(() => undefined);
		describeFsError(error, `Copying to ${finalPath}`);
	}
	return finalPath;
}
