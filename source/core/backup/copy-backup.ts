import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import {describeFsError, LifeboatError} from '../errors.js';
import {chmodTreePrivate, ensureDir, mkdirPrivate} from '../private-fs.js';
import {PARTIAL_PREFIX, publishWithoutReplacing} from '../destinations/local-publish.js';

/** A backup on a local disk: where it is and the name a copy keeps. */
export type CopySource = {path: string; fileName: string};

/**
 * Where a copy of `source` to `target` lands. A trailing slash or an existing folder means
 * "into this folder, under the backup's own name" (the folder is made if missing); anything
 * else is the new file's own path. An existing file is not a folder to copy into.
 */
export async function copyDestination(source: CopySource, target: string): Promise<string> {
	if (target.trim() === '') throw new LifeboatError('usage', 'Where to? Give a folder to copy into, or a new file path');
	const resolved = path.resolve(target);
	const intoFolder = /[\\/]$/.test(target);
	const stats = await fs.stat(resolved).catch(() => undefined);
	if (stats && !stats.isDirectory()) throw notAFolder(resolved, 'exists');
	const finalPath = stats || intoFolder ? path.join(resolved, source.fileName) : resolved;
	// A file on the way (`notes.txt/copies/`) is named as such, not as a missing folder.
	const blocker = await deepestExisting(path.dirname(finalPath));
	if (blocker && !blocker.isDirectory) throw notAFolder(blocker.path);
	return finalPath;
}

async function deepestExisting(dir: string): Promise<{path: string; isDirectory: boolean} | undefined> {
	for (let current = dir; ; current = path.dirname(current)) {
		const stats = await fs.stat(current).catch(() => undefined);
		if (stats) return {path: current, isDirectory: stats.isDirectory()};
		if (path.dirname(current) === current) return undefined;
	}
}

const notAFolder = (where: string, code: 'exists' | 'destination' = 'destination') => new LifeboatError(code, `${where} is a file, not a folder: give a folder to copy into, or a new file name`);

/**
 * Copies a backup into a folder (keeping its file name) or to a new file path (see
 * copyDestination). Never overwrites; copies into a private scratch folder beside the target and
 * moves the copy into place, so a cut-short copy never looks like a backup and nobody else can
 * read it meanwhile. The copy is owner-only (0600 files, 0700 folders) whatever the original's
 * mode or the umask. Returns where the copy is.
 */
export async function copyBackup(source: CopySource, target: string): Promise<string> {
	const finalPath = await copyDestination(source, target);
	if (path.resolve(source.path) === finalPath) throw new LifeboatError('exists', 'That is the backup itself; choose another folder');
	if (await fs.lstat(finalPath).catch(() => undefined)) throw new LifeboatError('exists', `${finalPath} already exists; choose another path`);
	const scratch = path.join(path.dirname(finalPath), `${PARTIAL_PREFIX}${process.pid}-copy-${crypto.randomBytes(3).toString('hex')}`);
	try {
		ensureDir(path.dirname(finalPath));
		mkdirPrivate(scratch);
		const temporary = path.join(scratch, 'output');
		await fs.cp(source.path, temporary, {recursive: true, errorOnExist: true, force: false});
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
