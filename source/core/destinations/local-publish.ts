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
 * What a `--force --verify` write keeps in its scratch folder while the new backup is verified: the
 * earlier backup it replaced (`KEPT_ASIDE`) and that backup's name in the destination folder
 * (`KEPT_ASIDE_NAME`), so a sweep can put it back when the run was killed after removing the new one.
 */
export const KEPT_ASIDE = 'replaced';
export const KEPT_ASIDE_NAME = 'replaced.name';

/** What a sweep did with one scratch folder: removed it, after putting back the backup it kept aside (its name). */
export type SweptPartial = {name: string; putBack?: string};

/**
 * The name a killed writer's scratch folder kept an earlier backup aside for, when that backup is
 * whole there and the name is free again (the run died between removing its new backup, which
 * failed its verify, and putting the earlier one back): put back, never over anything.
 */
function putBackKeptAside(destDir: string, scratch: string): string | undefined {
	try {
		const aside = path.join(scratch, KEPT_ASIDE);
		const name = fs.readFileSync(path.join(scratch, KEPT_ASIDE_NAME), 'utf8');
		// Only a plain name in this folder (the file is this program's own, but the folder is shared).
		if (!/^[^/\\\0]{1,255}$/.test(name) || name === '.' || name === '..' || name.startsWith(PARTIAL_PREFIX)) return undefined;
		if (!fs.lstatSync(aside, {throwIfNoEntry: false}) || fs.lstatSync(path.join(destDir, name), {throwIfNoEntry: false})) return undefined;
		publishWithoutReplacing(aside, path.join(destDir, name));
		// Under its name for good before the scratch folder holding its other link goes.
		const folder = fs.openSync(destDir, 'r');
		try {
			fs.fsyncSync(folder);
		} finally {
			fs.closeSync(folder);
		}
		return name;
	} catch {
		return undefined;
	}
}

/**
 * Removes scratch folders left by backups that were killed with SIGKILL (the only way one can
 * survive): their owning process is gone. A running backup's folder is left alone (this
 * process's own included: see holdPartial). An earlier backup a killed `--force --verify` run kept
 * aside goes back under its name first, if that name is free (see putBackKeptAside).
 */
export function sweepStalePartials(destDir: string): SweptPartial[] {
	const swept: SweptPartial[] = [];
	let names: string[];
	try {
		names = fs.readdirSync(destDir);
	} catch {
		return swept;
	}
	for (const name of names) {
		if (!name.startsWith(PARTIAL_PREFIX)) continue;
		const pid = Number(name.slice(PARTIAL_PREFIX.length).split('-')[0]);
		if (Number.isInteger(pid) && pid > 0 && processAlive(pid) && pid !== process.pid) continue;
		if (OWN_RUNNING.has(path.resolve(destDir, name))) continue;
		const putBack = putBackKeptAside(destDir, path.join(destDir, name));
		fs.rmSync(path.join(destDir, name), {recursive: true, force: true});
		swept.push(putBack === undefined ? {name} : {name, putBack});
	}
	return swept;
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

