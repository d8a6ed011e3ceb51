import fs from 'node:fs';
import path from 'node:path';
import {describeFsError, LifeboatError, storeIoFailure} from './errors.js';

/** Whether process `pid` may run: only ESRCH says it does not (EPERM: another user's; any other refusal is not a no). */
export function processAlive(pid: number): boolean {
	try {
		process.kill(pid, 0);
		return true;
	} catch (error) {
		return (error as NodeJS.ErrnoException).code !== 'ESRCH';
	}
}

/**
 * Whether `folder` is one this user could have made with makePidScratch: a real folder (not a
 * link), this user's, private. In a shared temp folder anyone can make a folder with a scratch
 * name, and removing one they own is a race they can win (renaming it to a link mid-removal).
 */
function ownPrivateFolder(folder: string): boolean {
	let stats: fs.Stats;
	try {
		stats = fs.lstatSync(folder);
	} catch {
		return false;
	}
	if (!stats.isDirectory() || (stats.mode & 0o077) !== 0) return false;
	return typeof process.getuid !== 'function' || stats.uid === process.getuid();
}

function escapeRegExp(text: string): string {
	return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * A private scratch folder `<prefix><pid>-XXXXXX` in `parent` (0700): named after the process
 * that made it, so a later run can tell a killed run's leftovers from a running one's.
 */
export function makePidScratch(parent: string, prefix: string): string {
	const scratch = fs.mkdtempSync(path.join(parent, `${prefix}${process.pid}-`));
	fs.chmodSync(scratch, 0o700);
	return scratch;
}

/**
 * Removes the scratch folders of `prefix` in `parent` whose process no longer runs (SIGKILL, a
 * crash, a power cut). A running process's folder, this process's, anything not named like a
 * scratch folder and anything that is not this user's private folder are left alone.
 */
export function sweepPidScratch(parent: string, prefix: string): string[] {
	const pattern = new RegExp(`^${escapeRegExp(prefix)}(\\d+)-[A-Za-z0-9]{6}$`);
	let names: string[];
	try {
		names = fs.readdirSync(parent);
	} catch {
		return [];
	}
	const removed: string[] = [];
	for (const name of names) {
		const pid = Number(pattern.exec(name)?.[1] ?? 0);
		if (pid <= 0 || pid === process.pid || processAlive(pid) || !ownPrivateFolder(path.join(parent, name))) continue;
		try {
			fs.rmSync(path.join(parent, name), {recursive: true, force: true});
			removed.push(name);
		} catch {
			// Not ours to remove.
		}
	}
	return removed;
}

/**
 * A new scratch folder of `prefix` in `parent` (makePidScratch), once the folders of killed runs
 * are swept; one that cannot be made is a scratchFailure of `what`.
 */
export function freshPidScratch(parent: string, prefix: string, what: string): string {
	sweepPidScratch(parent, prefix);
	try {
		return makePidScratch(parent, prefix);
	} catch (error) {
		throw scratchFailure(error, what);
	}
}

/** A scratch folder's failure: the machine's (its disk, its permissions), never the backup's or the gateway's. */
export class ScratchError extends LifeboatError {}

/** File-system errors of the scratch folder itself: no room, or no permission to use it. */
const SCRATCH_CODES = new Set(['ENOSPC', 'EDQUOT', 'EFBIG', 'EACCES', 'EPERM', 'EROFS']);

/**
 * A scratch folder that cannot be written (a full disk, the file size limit, no permission; a
 * scratch SQLite database's own I/O errors, in its folder or in SQLite's temporary files) as an
 * operator error (exit 4) naming `what` and where scratch files go: never "internal error", and
 * never "the gateway database", which the store's errors would otherwise be called. No path is
 * named (the HTTP API answers with these messages). Anything else passes through unchanged (an
 * entry that exists twice, a file where a folder must be: the archive's, said where it is read).
 */
export function scratchFailure(error: unknown, what: string): unknown {
	if (error instanceof LifeboatError) return error;
	const where = 'in a scratch folder (under LIFEBOAT_TMPDIR, else the system temp folder)';
	const code = (error as {code?: unknown} | undefined)?.code;
	const sqlite = typeof code === 'string' ? storeIoFailure(code) : undefined;
	if (sqlite) {
		const files = "or in SQLite's temporary files (under SQLITE_TMPDIR or TMPDIR, else /var/tmp or /tmp)";
		return new ScratchError(sqlite.code === 'disk-full' ? 'disk-full' : 'destination', `${what}: a scratch database ${where}, ${files}, ${sqlite.reason}`, {cause: error});
	}
	if (typeof code !== 'string' || !SCRATCH_CODES.has(code)) return error;
	try {
		describeFsError(error, `${what} ${where}`);
	} catch (mapped) {
		return mapped instanceof LifeboatError ? new ScratchError(mapped.code, mapped.message, {cause: error}) : mapped;
	}
	return error;
}
