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
	/**
	 * Removes everything written so far. Safe to call more than once; after commit() handed an earlier
	 * backup to keepReplaced, it leaves the scratch folder to that handle.
	 */
	discard(): void;
};

/**
 * The earlier backup a --force write replaced, kept aside in the scratch folder (a hard link of a
 * file, a folder moved there) until the caller decides: put back under its name when the new one
 * failed its verify and was removed, or let go.
 */
export type ReplacedBackup = {
	/** Puts it back under its name, which must be free again; false when it could not be (it is then gone). */
	putBack(): Promise<boolean>;
	/** Lets it go. Safe to call more than once, and after putBack. */
	release(): void;
};

export type AtomicOutputOptions = {
	force?: boolean;
	/** With force: keep the backup replaced, and hand it over here once the new one is in place. */
	keepReplaced?: (replaced: ReplacedBackup) => void;
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

/**
 * --force: replaces an earlier backup (checked again now: the name may have changed hands); whether
 * the one replaced is left at `aside` (a folder always is; a file, when `keep`, as a hard link).
 */
function replaceBackup(tempOutput: string, finalPath: string, aside: string, keep: boolean): boolean {
	const existing = fs.lstatSync(finalPath, {throwIfNoEntry: false});
	if (existing) refuseToReplaceNonBackup(finalPath);
	// rename() replaces a file atomically; a folder backup being replaced is moved aside first
	// (into the scratch folder, removed with it).
	let kept = false;
	if (existing?.isDirectory() && fs.statSync(tempOutput).isDirectory()) {
		fs.renameSync(finalPath, aside);
		kept = true;
	} else if (existing?.isDirectory() || (existing && fs.statSync(tempOutput).isDirectory())) {
		throw new LifeboatError('exists', `${finalPath} is a backup of another kind (file vs folder); remove it first`);
	} else if (existing && keep) {
		try {
			fs.linkSync(finalPath, aside);
			kept = true;
		} catch {
			// A file system without hard links: the earlier backup is replaced outright, as without keep.
		}
	}
	fs.renameSync(tempOutput, finalPath);
	return kept;
}

/** The earlier backup at `aside`, to be put back under `finalPath` or let go (`discard` removes the scratch folder). */
function keptAside(aside: string, finalPath: string, remove: () => void): ReplacedBackup {
	// Removing the scratch folder is best effort here: its failure never hides what the caller says.
	const release = () => {
		try {
			remove();
		} catch {
			// Left for a later run's sweep (its process is gone by then).
		}
	};
	return {
		async putBack() {
			try {
				// Never over anything: another run may have put its own backup under the name since.
				publishWithoutReplacing(aside, finalPath);
			} catch {
				return false;
			} finally {
				release();
			}
			await fsyncPath(path.dirname(finalPath)).catch(() => undefined);
			return true;
		},
		release,
	};
}

/**
 * Prepares an atomic write of `finalPath`: nothing appears under that name until commit(), and a
 * failure or interruption leaves no file behind. Everything written is owner-only (0600 files,
 * 0700 folders), whatever the umask: backups hold every tenant's data.
 */
export function prepareAtomicOutput(finalPath: string, options: AtomicOutputOptions): AtomicOutput {
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
	/** Whether the earlier backup kept aside (and the scratch folder with it) was handed to keepReplaced. */
	let handedOver = false;
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
			const aside = path.join(workDir, 'replaced');
			let kept = false;
			try {
				chmodTreePrivate(tempOutput);
				if (options.force) kept = replaceBackup(tempOutput, finalPath, aside, options.keepReplaced !== undefined);
				else publishWithoutReplacing(tempOutput, finalPath);
			} catch (error) {
				discard();
				if (error instanceof LifeboatError) throw error;
				describeFsError(error, finalPath);
			}
			await fsyncPath(destDir);
			if (!(kept && options.keepReplaced)) {
				discard();
				return;
			}
			// The scratch folder now holds only the earlier backup (the archive's staging goes now: it may be
			// plaintext of an encrypted backup), and belongs to the handle: discard() no longer removes it.
			for (const entry of fs.readdirSync(workDir)) if (entry !== 'replaced') fs.rmSync(path.join(workDir, entry), {recursive: true, force: true});
			handedOver = true;
			options.keepReplaced(keptAside(aside, finalPath, discard));
		},
		discard: () => {
			if (!handedOver) discard();
		},
	};
}
