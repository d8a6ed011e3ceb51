/**
 * File-system helpers for what Lifeboat writes that holds tenant data (backups, their scratch
 * folders, copies, quarantine): owner-only permissions whatever the umask, and folders created
 * one level at a time.
 */
import fs from 'node:fs';
import path from 'node:path';

/** Backups hold every tenant's data: only their owner may read them. */
export const PRIVATE_FILE_MODE = 0o600;
export const PRIVATE_DIR_MODE = 0o700;

/**
 * Creates one folder, owner-only. The mode given to mkdir is masked by the umask (which could
 * even take the owner's own bits away), so it is set again explicitly.
 */
export function mkdirPrivate(dir: string): void {
	fs.mkdirSync(dir, {mode: PRIVATE_DIR_MODE});
	fs.chmodSync(dir, PRIVATE_DIR_MODE);
}

/** Makes an existing file or folder owner-only (links are left alone: chmod would follow them). */
export function chmodPrivate(target: string): void {
	const stats = fs.lstatSync(target);
	if (stats.isDirectory()) fs.chmodSync(target, PRIVATE_DIR_MODE);
	else if (stats.isFile()) fs.chmodSync(target, PRIVATE_FILE_MODE);
}

/** Makes every file and folder under (and including) `root` owner-only. */
export function chmodTreePrivate(root: string): void {
	const stats = fs.lstatSync(root, {throwIfNoEntry: false});
	if (!stats) return;
	chmodPrivate(root);
	if (!stats.isDirectory()) return;
	for (const entry of fs.readdirSync(root, {withFileTypes: true})) {
		const full = path.join(root, entry.name);
		if (entry.isDirectory()) chmodTreePrivate(full);
		else if (entry.isFile()) fs.chmodSync(full, PRIVATE_FILE_MODE);
	}
}

/**
 * Creates `dir` and any missing parents one level at a time, each new one owner-only (existing
 * folders are not touched). Unlike `mkdirSync(dir, {recursive: true})`, which spins forever at
 * 100% CPU on paths such as `/proc/x` (a Node bug), every failure here is a plain error:
 * ENOENT, ENOTDIR, EACCES, … from the level that could not be made.
 */
export function ensureDir(dir: string): void {
	const missing: string[] = [];
	let current = path.resolve(dir);
	for (;;) {
		const stats = fs.statSync(current, {throwIfNoEntry: false});
		if (stats) {
			if (!stats.isDirectory()) throw Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${current}'`), {code: 'ENOTDIR', path: current});
			break;
		}
		missing.unshift(current);
		const parent = path.dirname(current);
		if (parent === current) break;
		current = parent;
	}
	for (const level of missing) {
		try {
			mkdirPrivate(level);
		} catch (error) {
			// Another process made it meanwhile: fine if it is a folder.
			if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || !fs.statSync(level).isDirectory()) throw error;
		}
	}
}

/**
 * The real path of `target` as far as it exists: the deepest existing ancestor is resolved
 * (following every link on the way) and the missing rest appended. So a path that goes through
 * a link compares by where it really leads.
 */
export function realPathOfDeepestAncestor(target: string, hops = 0): string {
	let current = path.resolve(target);
	const rest: string[] = [];
	for (;;) {
		try {
			return path.join(fs.realpathSync.native(current), ...rest);
		} catch (error) {
			const code = (error as NodeJS.ErrnoException).code;
			if (code !== 'ENOENT' && code !== 'ENOTDIR') throw error;
		}
		// A dangling link still says where a folder made through it would go.
		if (fs.lstatSync(current, {throwIfNoEntry: false})?.isSymbolicLink()) {
			if (hops >= 40) throw Object.assign(new Error(`ELOOP: too many symbolic links, ${current}`), {code: 'ELOOP'});
			return realPathOfDeepestAncestor(path.join(path.resolve(path.dirname(current), fs.readlinkSync(current)), ...rest), hops + 1);
		}
		const parent = path.dirname(current);
		if (parent === current) return path.join(current, ...rest);
		rest.unshift(path.basename(current));
		current = parent;
	}
}

/** fsync a file or directory so a rename after it cannot expose unwritten data after a crash. */
export async function fsyncPath(target: string): Promise<void> {
	const handle = await fs.promises.open(target, 'r');
	try {
		await handle.sync();
	} finally {
		await handle.close();
	}
}
