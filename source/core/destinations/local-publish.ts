/**
 * Putting a finished file or folder under its final name in a local folder without ever
 * replacing anything there, and sweeping what killed writers left: used by local backups
 * (backup/atomic-output.ts), copies, and the local destination's puts.
 */
import {processAlive} from '../pid-scratch.js';
import fs from 'node:fs';
import path from 'node:path';
import {LifeboatError} from '../errors.js';

/** Every in-progress backup lives in a folder with this prefix inside the destination. */
export const PARTIAL_PREFIX = '.lifeboat-partial-';

/**
 * Scratch folders this process is writing now (their full paths): a process running several
 * backups at once (lifeboat serve) must not sweep its own running ones.
 */
const OWN_RUNNING = new Set<string>();

/** Marks a scratch folder of this process as in use until the returned function is called. */
export function holdPartial(scratch: string): () => void {
	const key = path.resolve(scratch);
	OWN_RUNNING.add(key);
	return () => OWN_RUNNING.delete(key);
}

/**
 * Removes scratch folders left by backups that were killed with SIGKILL (the only way one can
 * survive): their owning process is gone. A running backup's folder is left alone (this
 * process's own included: see holdPartial).
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
		if (OWN_RUNNING.has(path.resolve(destDir, name))) continue;
		fs.rmSync(path.join(destDir, name), {recursive: true, force: true});
		removed.push(name);
	}
	return removed;
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

