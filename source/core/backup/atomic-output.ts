import fs from 'node:fs';
import path from 'node:path';
import {fsyncPath} from '../archive/archive-writer.js';
import {ARCHIVE_KIND, formatFromPath} from '../archive/archive-format.js';
import {describeFsError, LifeboatError} from '../errors.js';

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
 * --force replaces an earlier backup, never anything else: a file must be a zip, tar.gz or .enc
 * archive by name, a folder must be a Lifeboat folder backup (its metadata.json says so).
 */
function refuseToReplaceNonBackup(finalPath: string): void {
	const stats = fs.lstatSync(finalPath);
	if (stats.isFile() && formatFromPath(finalPath)) return;
	if (stats.isDirectory()) {
		try {
			const metadata = JSON.parse(fs.readFileSync(path.join(finalPath, 'metadata.json'), 'utf8')) as {kind?: string};
			if (metadata.kind === ARCHIVE_KIND) return;
		} catch {
			// Not a backup folder: refused below.
		}
	}
	throw new LifeboatError('exists', `${finalPath} exists and is not a Lifeboat backup; --force only replaces backups`);
}

/**
 * Prepares an atomic write of `finalPath`: nothing appears under that name until commit(), and a
 * failure or interruption leaves no file behind.
 */
export function prepareAtomicOutput(finalPath: string, options: {force?: boolean}): AtomicOutput {
	const destDir = path.dirname(finalPath);
	try {
		fs.mkdirSync(destDir, {recursive: true});
		const stats = fs.statSync(destDir);
		if (!stats.isDirectory()) throw new LifeboatError('destination', `Destination ${destDir} is not a directory`);
		fs.accessSync(destDir, fs.constants.W_OK);
	} catch (error) {
		if (error instanceof LifeboatError) throw error;
		describeFsError(error, `Destination ${destDir}`);
	}
	if (fs.existsSync(finalPath)) {
		if (!options.force) throw new LifeboatError('exists', `${finalPath} already exists (pass --force to replace it)`);
		refuseToReplaceNonBackup(finalPath);
	}
	sweepStalePartials(destDir);
	const workDir = path.join(destDir, `${PARTIAL_PREFIX}${process.pid}-${Date.now().toString(36)}`);
	try {
		fs.mkdirSync(workDir);
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
			// rename() replaces a file atomically; a directory backup being replaced must go first.
			if (options.force && fs.existsSync(finalPath) && fs.statSync(finalPath).isDirectory()) fs.rmSync(finalPath, {recursive: true, force: true});
			try {
				fs.renameSync(tempOutput, finalPath);
			} catch (error) {
				discard();
				describeFsError(error, finalPath);
			}
			await fsyncPath(destDir);
			discard();
		},
		discard,
	};
}
