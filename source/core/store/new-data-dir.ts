/**
 * A gateway data directory made from nothing (restore onto a bare host), crash-safe: the new
 * gateway is built in a private scratch folder beside the data dir, `.<name>.lifeboat-new-<pid>-<hex>`
 * (0700, same parent, so same file system), and renamed onto the data dir only once everything
 * in it succeeded. rename(2) replaces an empty folder atomically and fails on a non-empty one, so
 * the data dir is at every instant either as it was (absent or empty) or the whole new gateway.
 * A failure removes the scratch folder; one left by a killed process is swept by the next run
 * (its pid is in its name and no longer runs).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {loadOrCreateGatewayKey} from '../crypto/gateway-key.js';
import {describeFsError, LifeboatError, restoreStoreFailure} from '../errors.js';
import {processAlive} from '../pid-scratch.js';
import {chmodTreePrivate, mkdirPrivate, realPathOfDeepestAncestor} from '../private-fs.js';
import {createGateway} from './gateway-store.js';
import {gatewayPaths} from './gateway-paths.js';

const NEW_INFIX = '.lifeboat-new-';

/** Scratch folders this process is building (never swept, whatever their pid says). */
const building = new Set<string>();

/** A data dir a new gateway can be made in: absent, or an empty folder. `root` is where it really leads. */
export type BareDataDir = {root: string; exists: boolean};

/**
 * The data dir as a bare host's (absent, or an empty folder), or undefined when it is anything
 * else (a gateway, a folder with files, a file), which the normal checks then handle. A link is
 * followed: the new gateway goes where it leads.
 */
export function bareDataDir(dataDir: string): BareDataDir | undefined {
	try {
		const root = realPathOfDeepestAncestor(dataDir);
		const stats = fs.statSync(root, {throwIfNoEntry: false});
		if (!stats) return {root, exists: false};
		if (!stats.isDirectory()) return undefined;
		return fs.readdirSync(root).length === 0 ? {root, exists: true} : undefined;
	} catch {
		// Unreadable, a link loop, …: opening it as a gateway says what is wrong.
		return undefined;
	}
}


/** Removes scratch folders beside `root` left by runs that were killed (their process is gone). */
export function sweepStaleNewDataDirs(root: string): string[] {
	const parent = path.dirname(root);
	const prefix = `.${path.basename(root)}${NEW_INFIX}`;
	let names: string[];
	try {
		names = fs.readdirSync(parent);
	} catch {
		return [];
	}
	const removed: string[] = [];
	for (const name of names) {
		if (!name.startsWith(prefix)) continue;
		const full = path.join(parent, name);
		const pid = Number(name.slice(prefix.length).split('-')[0]);
		if (building.has(full) || (Number.isInteger(pid) && pid > 0 && pid !== process.pid && processAlive(pid))) continue;
		fs.rmSync(full, {recursive: true, force: true});
		removed.push(name);
	}
	return removed;
}

/** Makes the missing parent folders of `root` (owner-only), adding each one made to `made`, deepest last. */
function makeParents(root: string, made: string[]): void {
	const missing: string[] = [];
	for (let current = path.dirname(root); !fs.existsSync(current); current = path.dirname(current)) missing.unshift(current);
	for (const dir of missing) {
		mkdirPrivate(dir);
		made.push(dir);
	}
}

function removeMadeParents(made: string[]): void {
	for (const dir of [...made].reverse()) {
		try {
			fs.rmdirSync(dir);
		} catch {
			return;
		}
	}
}

/**
 * An empty folder that is a mount point cannot be renamed onto from beside it (another file
 * system): refused up front, with the way out.
 */
function refuseMountPoint(bare: BareDataDir, shown: string): void {
	if (!bare.exists) return;
	const own = fs.statSync(bare.root);
	const parent = fs.statSync(path.dirname(bare.root));
	if (own.dev !== parent.dev) {
		throw new LifeboatError('not-a-gateway', `${shown} is an empty mount point: a new gateway is built beside the data directory and renamed onto it, which cannot cross file systems; restore into a folder inside it (e.g. ${path.join(shown, 'gateway')})`);
	}
}

/**
 * The data dir's messages name the data dir, never the scratch folder the work ran in; the disk
 * refusing (no permission to write beside the data dir, a read-only or full file system) is an
 * operator error too, not a bug.
 */
function inDataDir(error: unknown, scratch: string, shown: string): unknown {
	const failed = restoreStoreFailure(error, shown);
	if (failed) return failed;
	if (!(error instanceof LifeboatError)) {
		try {
			describeFsError(error, `Restoring into ${shown} (a new gateway is built beside it, in ${path.dirname(shown)})`);
		} catch (mapped) {
			return mapped;
		}
	}
	if (!(error instanceof LifeboatError) || !error.message.includes(scratch)) return error;
	return new LifeboatError(error.code, error.message.replaceAll(scratch, shown), {cause: error});
}

/**
 * A data dir the operator made beforehand for the gateway's service user (`install -d -o gateway
 * /var/lib/gateway`) keeps that owner: run as root, the new gateway's files are handed to the
 * folder's owner and group, still owner-only. Otherwise the files belong to whoever restores.
 */
function keepOwner(scratch: string, bare: BareDataDir): void {
	if (!bare.exists || process.getuid?.() !== 0) return;
	const owner = fs.statSync(bare.root);
	if (owner.uid === 0 && owner.gid === 0) return;
	const hand = (target: string): void => {
		fs.lchownSync(target, owner.uid, owner.gid);
		if (!fs.lstatSync(target).isDirectory()) return;
		for (const name of fs.readdirSync(target)) hand(path.join(target, name));
	};
	hand(scratch);
}

/** Renames the finished gateway onto the data dir; a data dir that got files meanwhile is left alone. */
function moveIntoPlace(scratch: string, bare: BareDataDir, shown: string): void {
	try {
		fs.renameSync(scratch, bare.root);
	} catch (error) {
		const code = (error as NodeJS.ErrnoException).code;
		if (code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'ENOTDIR') {
			throw new LifeboatError('exists', `${shown} got files while the restore ran (another restore into it?); it was left as it is and nothing was restored`, {cause: error});
		}
		throw error;
	}
	try {
		const fd = fs.openSync(path.dirname(bare.root), 'r');
		fs.fsyncSync(fd);
		fs.closeSync(fd);
	} catch {
		// fsync of a folder is not supported everywhere
	}
}

/**
 * Builds a new gateway for `dataDir` (absent or empty): an empty store (this Lifeboat's schema)
 * and its own backup key (keys/backup.key, 0600) in a scratch folder, then `fill(scratch)`; on
 * success every file is made owner-only and the folder renamed onto the data dir. On any failure
 * (or a kill) the data dir is left as it was.
 */
export async function buildNewDataDir<T>(dataDir: string, bare: BareDataDir, fill: (scratch: string) => Promise<T>): Promise<T> {
	const shown = path.resolve(dataDir);
	refuseMountPoint(bare, shown);
	sweepStaleNewDataDirs(bare.root);
	const made: string[] = [];
	const scratch = path.join(path.dirname(bare.root), `.${path.basename(bare.root)}${NEW_INFIX}${process.pid}-${crypto.randomBytes(4).toString('hex')}`);
	building.add(scratch);
	try {
		makeParents(bare.root, made);
		mkdirPrivate(scratch);
		createGateway(scratch).close();
		loadOrCreateGatewayKey(gatewayPaths(scratch).backupKey);
		const result = await fill(scratch);
		chmodTreePrivate(scratch);
		keepOwner(scratch, bare);
		moveIntoPlace(scratch, bare, shown);
		return result;
	} catch (error) {
		fs.rmSync(scratch, {recursive: true, force: true});
		removeMadeParents(made);
		throw inDataDir(error, scratch, shown);
	} finally {
		building.delete(scratch);
	}
}
