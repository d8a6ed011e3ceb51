/**
 * Staged file swap for restore, and recovery after a crash.
 *
 * A restore never writes a live file before its database transaction commits:
 *
 * 1. Incoming files (and the quarantine folder) are written under
 *    `<data-dir>/.lifeboat-restore/<restore-id>/` (same file system, so renames are atomic),
 *    while the rows go into one open SQLite transaction.
 * 2. `journal.json` lists the moves (staged file → live path) and removals (live files replace
 *    mode drops); it is fsynced. Inside the same transaction, the row
 *    `schema_meta(restore_pending:<id>)` is inserted: it commits with the data or not at all.
 * 3. COMMIT. Then each move renames the live file aside (into `old/`) and the staged one in;
 *    then the marker row is deleted and the staging folder removed.
 *
 * Recovery (before any restore or quarantine change, or explicitly) looks at leftover staging
 * folders whose owner process is gone: marker row present → the database committed, so the
 * journal is replayed (every step is idempotent) and the restore completes; marker absent → the
 * transaction never committed, the live files were never touched, and the folder is deleted.
 * So a kill -9 at any point leaves the store as before, or (after the commit) as after once
 * recovered. Limits: between the commit and recovery, a gateway reading the data dir sees the new
 * rows with some old files; recovery needs a Lifeboat run (the gateway does not run it); fsync of
 * the renames' directories is left to the file system.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Database from 'better-sqlite3';
import {LifeboatError} from '../errors.js';
import {ensureDir} from '../private-fs.js';
import {openGateway} from './gateway-store.js';
import {isRestorableTarget} from './gateway-paths.js';
import {writeAll} from '../write-all.js';

export const STAGING_DIR = '.lifeboat-restore';

export const pendingKey = (restoreId: string) => `restore_pending:${restoreId}`;

export type JournalOp = {from: string; to: string};

export type Journal = {restoreId: string; createdAt: string; moves: JournalOp[]; removes: string[]};

/** Restores running in this process (their staging folders are not stale). */
const active = new Set<string>();

export class Staging {
	readonly dir: string;
	readonly quarantineDir: string;
	readonly moves: JournalOp[] = [];
	readonly removes: string[] = [];
	private counter = 0;

	constructor(
		readonly root: string,
		readonly restoreId: string,
	) {
		this.dir = path.join(root, STAGING_DIR, restoreId);
		this.quarantineDir = path.join(this.dir, 'quarantine');
		// Owner-only: the quarantine is assembled in here before it moves into place.
		ensureDir(path.join(this.dir, 'files'));
		active.add(restoreId);
		fs.writeFileSync(path.join(this.dir, 'owner.json'), JSON.stringify({pid: process.pid, hostname: os.hostname(), startedAt: new Date().toISOString()}) + '\n');
	}

	/** A fresh path for a staged file. */
	newFile(): string {
		return path.join(this.dir, 'files', String(this.counter++));
	}

	/** Stages `file` (inside the staging folder) to be renamed to `target` (relative to the data dir). */
	move(file: string, target: string): void {
		this.moves.push({from: path.relative(this.dir, file).split(path.sep).join('/'), to: target});
	}

	remove(target: string): void {
		this.removes.push(target);
	}

	writeJournal(): Journal {
		const journal: Journal = {restoreId: this.restoreId, createdAt: new Date().toISOString(), moves: this.moves, removes: this.removes};
		const file = path.join(this.dir, 'journal.json');
		const fd = fs.openSync(file + '.tmp', 'w');
		try {
			writeAll(fd, JSON.stringify(journal));
			fs.fsyncSync(fd);
		} finally {
			fs.closeSync(fd);
		}
		fs.renameSync(file + '.tmp', file);
		fsyncDir(this.dir);
		return journal;
	}

	discard(): void {
		fs.rmSync(this.dir, {recursive: true, force: true});
		removeIfEmpty(path.dirname(this.dir));
		active.delete(this.restoreId);
	}

	release(): void {
		active.delete(this.restoreId);
	}
}

function fsyncDir(dir: string): void {
	try {
		const fd = fs.openSync(dir, 'r');
		fs.fsyncSync(fd);
		fs.closeSync(fd);
	} catch {
		// not supported everywhere; the journal file itself was fsynced
	}
}

function removeIfEmpty(dir: string): void {
	try {
		fs.rmdirSync(dir);
	} catch {
		// not empty or gone
	}
}

/**
 * Checks a whole journal before any step runs: every removed or replaced path must be one restore
 * manages (isRestorableTarget: agents/<id>/…, documents/files/<id>.<ext>, documents/text/<id>.txt,
 * the gateway files of the schema) or this restore's quarantine folder, every staged file inside
 * the staging folder, and no existing folder on the way a link (a link would carry the rename
 * outside the data dir). A journal is a file in the data dir: it is not trusted either.
 */
export function checkJournal(root: string, dir: string, journal: Journal): void {
	const refuse = (what: string) => new LifeboatError('unsafe-archive', `Restore journal ${path.join(dir, 'journal.json')}: ${what}; nothing was moved`);
	if (!journal || typeof journal !== 'object' || !Array.isArray(journal.moves) || !Array.isArray(journal.removes) || typeof journal.restoreId !== 'string') throw refuse('malformed');
	if (!/^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(journal.restoreId)) throw refuse('invalid restore id');
	const quarantine = `quarantine/${journal.restoreId}`;
	const checkTarget = (target: unknown, allowQuarantine: boolean) => {
		if (typeof target !== 'string' || !(isRestorableTarget(target) || (allowQuarantine && target === quarantine))) {
			throw refuse(`${JSON.stringify(String(target)).slice(0, 120)} is not a path a restore may change`);
		}
		const live = path.resolve(root, ...target.split('/'));
		if (!live.startsWith(root + path.sep)) throw refuse(`${target} is outside the data directory`);
		let current = root;
		const segments = target.split('/');
		for (const segment of segments.slice(0, -1)) {
			current = path.join(current, segment);
			const stats = fs.lstatSync(current, {throwIfNoEntry: false});
			if (!stats) break;
			if (!stats.isDirectory()) throw refuse(`${target}: ${path.relative(root, current)} is a link or not a folder`);
		}
	};
	for (const target of journal.removes) checkTarget(target, false);
	for (const op of journal.moves) {
		if (!op || typeof op !== 'object' || typeof op.from !== 'string' || !(/^files\/[0-9]+$/.test(op.from) || op.from === 'quarantine')) {
			throw refuse(`${JSON.stringify(String(op?.from)).slice(0, 120)} is not a staged file`);
		}
		checkTarget(op.to, op.from === 'quarantine');
	}
}

/** Replays a journal; safe to run again after a crash at any step. Returns files put in place. */
export function replayJournal(root: string, dir: string, journal: Journal, onMove?: (moved: number) => void): number {
	checkJournal(root, dir, journal);
	let moved = 0;
	const aside = (target: string) => {
		const live = path.join(root, ...target.split('/'));
		if (!fs.lstatSync(live, {throwIfNoEntry: false})) return;
		const old = path.join(dir, 'old', ...target.split('/'));
		fs.mkdirSync(path.dirname(old), {recursive: true});
		fs.rmSync(old, {recursive: true, force: true});
		fs.renameSync(live, old);
	};
	for (const target of journal.removes) {
		aside(target);
		// Drop an agent folder left empty by replace.
		if (target.startsWith('agents/')) removeIfEmpty(path.dirname(path.join(root, ...target.split('/'))));
	}
	for (const op of journal.moves) {
		const staged = path.join(dir, ...op.from.split('/'));
		if (!fs.existsSync(staged)) continue;
		aside(op.to);
		const live = path.join(root, ...op.to.split('/'));
		fs.mkdirSync(path.dirname(live), {recursive: true});
		fs.renameSync(staged, live);
		moved++;
		onMove?.(moved);
	}
	return moved;
}

export function readJournal(dir: string): Journal | undefined {
	try {
		return JSON.parse(fs.readFileSync(path.join(dir, 'journal.json'), 'utf8')) as Journal;
	} catch {
		return undefined;
	}
}

/** Completes the swap of a committed restore and removes its marker and staging folder. */
export function finishCommitted(db: Database.Database, root: string, dir: string, journal: Journal, onMove?: (moved: number) => void): number {
	const moved = replayJournal(root, dir, journal, onMove);
	db.prepare(`DELETE FROM schema_meta WHERE key = ?`).run(pendingKey(journal.restoreId));
	fs.rmSync(dir, {recursive: true, force: true});
	removeIfEmpty(path.dirname(dir));
	active.delete(journal.restoreId);
	return moved;
}

function ownerAlive(dir: string, restoreId: string): boolean {
	if (active.has(restoreId)) return true;
	try {
		const owner = JSON.parse(fs.readFileSync(path.join(dir, 'owner.json'), 'utf8')) as {pid: number; hostname: string};
		if (owner.hostname !== os.hostname() || owner.pid === process.pid) return false;
		process.kill(owner.pid, 0);
		return true;
	} catch {
		return false;
	}
}

export type RecoveryReport = {completed: string[]; rolledBack: string[]; inProgress: string[]};

/** Staging folders left by interrupted restores (without touching them). */
export function pendingRestores(dataDir: string): string[] {
	const base = path.join(path.resolve(dataDir), STAGING_DIR);
	if (!fs.existsSync(base)) return [];
	return fs.readdirSync(base).filter(name => !ownerAlive(path.join(base, name), name));
}

/**
 * Finishes or rolls back restores interrupted by a crash or kill (see the file comment). Restores
 * whose process still runs are left alone.
 */
export function recoverInterruptedRestores(dataDir: string, db?: Database.Database): RecoveryReport {
	const report: RecoveryReport = {completed: [], rolledBack: [], inProgress: []};
	const root = path.resolve(dataDir);
	const base = path.join(root, STAGING_DIR);
	if (!fs.existsSync(base)) return report;
	const names = fs.readdirSync(base);
	if (names.length === 0) {
		removeIfEmpty(base);
		return report;
	}
	const store = db ? undefined : openGateway(root);
	const handle = db ?? store!.db;
	try {
		for (const name of names) {
			const dir = path.join(base, name);
			if (ownerAlive(dir, name)) {
				report.inProgress.push(name);
				continue;
			}
			const journal = readJournal(dir);
			const committed = journal && handle.prepare(`SELECT value FROM schema_meta WHERE key = ?`).get(pendingKey(journal.restoreId));
			if (journal && committed) {
				finishCommitted(handle, root, dir, journal);
				report.completed.push(name);
			} else {
				fs.rmSync(dir, {recursive: true, force: true});
				report.rolledBack.push(name);
			}
		}
		removeIfEmpty(base);
	} finally {
		store?.close();
	}
	return report;
}
