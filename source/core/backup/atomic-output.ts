import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {fsyncPath} from '../archive/archive-writer.js';
import {describeFsError, LifeboatError} from '../errors.js';
import {chmodTreePrivate, ensureDir, mkdirPrivate} from '../private-fs.js';
import {isLifeboatBackup} from './backup-sniff.js';

/** Every in-progress backup lives in a folder with this prefix inside the destination. */
export const PARTIAL_PREFIX = '.lifeboat-partial-';

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

function processAlive(pid: number): boolean {
	try {
		process.kill(pid, 0);
		return true;
	} catch (error) {
		return (error as NodeJS.ErrnoException).code === 'EPERM';
	}
}

/**
 * Removes scratch folders left by backups that were killed with SIGKILL (the only way one can
 * survive): their owning process is gone. A running backup's folder is left alone.
 */
export function sweepStalePartials(destDir: string): string[] {
	const removed: string[] = [];
	let names: string[];
	try {
		names = fs.readdirSync(destDir);
	} catch {
		return removed;
	}
	for (const name of names) {
		if (!name.startsWith(PARTIAL_PREFIX)) continue;
		const pid = Number(name.slice(PARTIAL_PREFIX.length).split('-')[0]);
		if (Number.isInteger(pid) && pid > 0 && processAlive(pid) && pid !== process.pid) continue;
		fs.rmSync(path.join(destDir, name), {recursive: true, force: true});
		removed.push(name);
	}
	return removed;
}

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

const appeared = (finalPath: string, cause?: unknown) =>
	new LifeboatError('exists', `${finalPath} appeared while this backup was being written (another backup of the same name?); this one was discarded`, {cause});

/** File systems without hard links (some network and FAT-like ones) answer link(2) so. */
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EMLINK', 'EXDEV']);

/**
 * Puts a finished file under its final name without replacing anything: link(2) fails with
 * EEXIST, atomically, if the name appeared meanwhile (another backup of the same name finished
 * first). The scratch name goes with the scratch folder. A kill between link and cleanup leaves a
 * complete backup plus a scratch folder that the next backup sweeps.
 */
function publishFile(tempOutput: string, finalPath: string): void {
	try {
		fs.linkSync(tempOutput, finalPath);
		return;
	} catch (error) {
		const code = (error as NodeJS.ErrnoException).code ?? '';
		if (code === 'EEXIST') throw appeared(finalPath, error);
		if (!NO_HARD_LINKS.has(code)) throw error;
	}
	// No hard links here: check, then rename (a tiny window remains on such file systems).
	if (fs.lstatSync(finalPath, {throwIfNoEntry: false})) throw appeared(finalPath);
	fs.renameSync(tempOutput, finalPath);
}

/**
 * Puts a finished folder under its final name without replacing anything. rename(2) of a folder
 * fails (ENOTEMPTY/EEXIST/ENOTDIR) onto anything but a missing name or an EMPTY folder; the
 * empty-folder case is checked first. Another Lifeboat never makes an empty folder under a
 * backup's name (its folder appears whole, by rename), so two backups of one name cannot both
 * succeed; a kill at any point leaves either nothing or the complete folder under the name.
 */
function publishFolder(tempOutput: string, finalPath: string): void {
	if (fs.lstatSync(finalPath, {throwIfNoEntry: false})) throw appeared(finalPath);
	try {
		fs.renameSync(tempOutput, finalPath);
	} catch (error) {
		const code = (error as NodeJS.ErrnoException).code;
		if (code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'ENOTDIR' || code === 'EISDIR') throw appeared(finalPath, error);
		throw error;
	}
}

/**
 * Moves a finished file or folder (on the same file system) to `finalPath` without ever replacing
 * anything there: a name that appeared meanwhile is an `exists` error and `tempOutput` stays.
 */
export function publishWithoutReplacing(tempOutput: string, finalPath: string): void {
	if (fs.lstatSync(tempOutput).isDirectory()) publishFolder(tempOutput, finalPath);
	else publishFile(tempOutput, finalPath);
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
	try {
		mkdirPrivate(workDir);
	} catch (error) {
		describeFsError(error, `Destination ${destDir}`);
	}
	const tempOutput = path.join(workDir, 'output');
	let done = false;
	const discard = () => {
		if (done) return;
		done = true;
		fs.rmSync(workDir, {recursive: true, force: true});
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
