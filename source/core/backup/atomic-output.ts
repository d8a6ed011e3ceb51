import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {holdPartial, PARTIAL_PREFIX, publishWithoutReplacing, sweepStalePartials} from '../destinations/local-publish.js';
import {describeFsError, LifeboatError} from '../errors.js';
import {chmodTreePrivate, ensureDir, fsyncPath, mkdirPrivate} from '../private-fs.js';
import {isLifeboatBackup} from './backup-sniff.js';

export type AtomicOutput = {
	/** Scratch folder on the destination's file system (same device, so rename is atomic). */
	workDir: string;
	/** Where the archive (or dir tree) is written before it is renamed into place. */
	tempOutput: string;
	finalPath: string;
	/** fsync, rename into place, fsync the folder, remove the scratch folder. */
	commit(): Promise<void>;
	/** Removes everything written so far. Safe to call more than once. */
	discard(): void;
};

/**
 * --force replaces an earlier backup, never anything else: the file or folder must be a Lifeboat
 * backup by its content (an encrypted file's header, an archive's or folder's metadata.json),
 * whatever its name.
 */
function refuseToReplaceNonBackup(finalPath: string): void {
	if (isLifeboatBackup(finalPath)) return;
	throw new LifeboatError('exists', `${finalPath} exists and is not a Lifeboat backup; --force only replaces backups`);
}

/** The destination folder, made if missing (one level at a time, owner-only), and writable. */
function prepareDestination(destDir: string): void {
	try {
		ensureDir(destDir);
		fs.accessSync(destDir, fs.constants.W_OK);
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === 'ENOTDIR') throw new LifeboatError('destination', `Destination ${destDir} is not a directory`, {cause: error});
		describeFsError(error, `Destination ${destDir}`);
	}
}

/** --force: replaces an earlier backup (checked again now: the name may have changed hands). */
function replaceBackup(workDir: string, tempOutput: string, finalPath: string): void {
	const existing = fs.lstatSync(finalPath, {throwIfNoEntry: false});
	if (existing) refuseToReplaceNonBackup(finalPath);
	// rename() replaces a file atomically; a folder backup being replaced is moved aside first
	// (into the scratch folder, removed with it).
	if (existing?.isDirectory() && fs.statSync(tempOutput).isDirectory()) fs.renameSync(finalPath, path.join(workDir, 'replaced'));
	else if (existing?.isDirectory() || (existing && fs.statSync(tempOutput).isDirectory())) {
		throw new LifeboatError('exists', `${finalPath} is a backup of another kind (file vs folder); remove it first`);
	}
	fs.renameSync(tempOutput, finalPath);
}

/**
 * Prepares an atomic write of `finalPath`: nothing appears under that name until commit(), and a
 * failure or interruption leaves no file behind. Everything written is owner-only (0600 files,
 * 0700 folders), whatever the umask: backups hold every tenant's data.
 */
export function prepareAtomicOutput(finalPath: string, options: {force?: boolean}): AtomicOutput {
	const destDir = path.dirname(finalPath);
	prepareDestination(destDir);
	if (fs.lstatSync(finalPath, {throwIfNoEntry: false})) {
		if (!options.force) throw new LifeboatError('exists', `${finalPath} already exists (pass --force to replace it)`);
		refuseToReplaceNonBackup(finalPath);
	}
	sweepStalePartials(destDir);
	const workDir = path.join(destDir, `${PARTIAL_PREFIX}${process.pid}-${Date.now().toString(36)}-${crypto.randomBytes(3).toString('hex')}`);
	const release = holdPartial(workDir);
	try {
		mkdirPrivate(workDir);
	} catch (error) {
		release();
		describeFsError(error, `Destination ${destDir}`);
	}
	const tempOutput = path.join(workDir, 'output');
	let done = false;
	const discard = () => {
		if (done) return;
		done = true;
		fs.rmSync(workDir, {recursive: true, force: true});
		release();
	};
	return {
		workDir,
		tempOutput,
		finalPath,
		async commit() {
			try {
				chmodTreePrivate(tempOutput);
				if (options.force) replaceBackup(workDir, tempOutput, finalPath);
				else publishWithoutReplacing(tempOutput, finalPath);
			} catch (error) {
				discard();
				if (error instanceof LifeboatError) throw error;
				describeFsError(error, finalPath);
			}
			await fsyncPath(destDir);
			discard();
		},
		discard,
	};
}
