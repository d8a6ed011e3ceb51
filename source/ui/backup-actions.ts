import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type {BackupListing} from '../core/backup/list-backups.js';
import {describeFsError, LifeboatError} from '../core/errors.js';
import {chmodTreePrivate, ensureDir, mkdirPrivate} from '../core/private-fs.js';
import {PARTIAL_PREFIX, publishWithoutReplacing} from '../core/backup/atomic-output.js';

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
 * copies into a private scratch folder beside the target and moves the copy into place, so a
 * cut-short copy never looks like a backup and nobody else can read it meanwhile. The copy is
 * owner-only (0600 files, 0700 folders) whatever the original's mode or the umask.
 */
export async function copyBackup(listing: BackupListing, target: string): Promise<string> {
	const resolved = path.resolve(target);
	const stats = await fs.stat(resolved).catch(() => undefined);
	const finalPath = stats?.isDirectory() ? path.join(resolved, listing.fileName) : resolved;
	if (path.resolve(listing.path) === finalPath) throw new LifeboatError('exists', 'That is the backup itself; choose another folder');
	if (await fs.lstat(finalPath).catch(() => undefined)) throw new LifeboatError('exists', `${finalPath} already exists; choose another path`);
	const scratch = path.join(path.dirname(finalPath), `${PARTIAL_PREFIX}${process.pid}-copy-${crypto.randomBytes(3).toString('hex')}`);
	try {
		ensureDir(path.dirname(finalPath));
		mkdirPrivate(scratch);
		const temporary = path.join(scratch, 'output');
		await fs.cp(listing.path, temporary, {recursive: true, errorOnExist: true, force: false});
		chmodTreePrivate(temporary);
		publishWithoutReplacing(temporary, finalPath);
		await fs.rm(scratch, {recursive: true, force: true});
	} catch (error) {
		await fs.rm(scratch, {recursive: true, force: true}).catch(() => undefined);
		if (error instanceof LifeboatError) throw error;
		describeFsError(error, `Copying to ${finalPath}`);
	}
	return finalPath;
}
