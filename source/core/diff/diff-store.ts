/**
 * The diff's scratch: one temporary SQLite database on disk (owner-only folder, removed when
 * closed) holding, per side, one line per entry: category, table (`files` for a file), id (a file's
 * path) and the SHA-256 of its content. Both sides stream into it; the comparison is SQL, so
 * memory stays flat whatever the size of either side.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import {LifeboatError} from '../errors.js';
import {PRIVATE_DIR_MODE} from '../private-fs.js';
import {FILES_TABLE} from '../restore/restore-types.js';
import type {CategoryId} from '../store/schema.js';
import {terminalSafe} from '../terminal-safe.js';
import type {DiffCounts, DiffRef, IdList} from './diff-types.js';

export type Side = 1 | 2;

const BATCH = 5000;

export class DiffStore {
	private readonly dir: string;
	readonly db: Database.Database;
	private readonly insertEntry: Database.Statement;
	private readonly insertDigest: Database.Statement;
	private pending = 0;

	constructor() {
		const base = process.env['LIFEBOAT_TMPDIR'] ?? os.tmpdir();
		this.dir = fs.mkdtempSync(path.join(base, 'lifeboat-diff-'));
		fs.chmodSync(this.dir, PRIVATE_DIR_MODE);
		this.db = new Database(path.join(this.dir, 'diff.db'));
		this.db.pragma('journal_mode = OFF');
		this.db.pragma('synchronous = OFF');
		this.db.pragma('cache_size = -8000');
		this.db.exec(`
			CREATE TABLE entries (side INTEGER, category TEXT, tbl TEXT, id TEXT, owner TEXT, hash BLOB, PRIMARY KEY (side, category, tbl, id)) WITHOUT ROWID;
			CREATE TABLE digests (side INTEGER, path TEXT, size INTEGER, sha256 TEXT, PRIMARY KEY (side, path)) WITHOUT ROWID;
		`);
		this.insertEntry = this.db.prepare('INSERT INTO entries (side, category, tbl, id, owner, hash) VALUES (?, ?, ?, ?, ?, ?)');
		this.insertDigest = this.db.prepare('INSERT INTO digests (side, path, size, sha256) VALUES (?, ?, ?, ?)');
		this.db.exec('BEGIN');
	}

	private tick(): void {
		if (++this.pending < BATCH) return;
		this.db.exec('COMMIT; BEGIN');
		this.pending = 0;
	}

	/**
	 * One entry of a side. `owner` (a file's agent or document id) lets files of rows left out of
	 * the comparison be dropped with them (dropOrphanFiles). False when the id is already there.
	 */
	add(side: Side, category: CategoryId, table: string, id: string, hash: Buffer, owner: string | null = null): boolean {
		try {
			this.insertEntry.run(side, category, table, id, owner, hash);
		} catch (error) {
			if ((error as {code?: string}).code?.startsWith('SQLITE_CONSTRAINT')) return false;
			throw error;
		}
		this.tick();
		return true;
	}

	/** An archive entry's size and SHA-256 as read (checked against the manifest at the end). */
	addDigest(side: Side, archivePath: string, digest: {size: number; sha256: string}): void {
		try {
			this.insertDigest.run(side, archivePath, digest.size, digest.sha256);
		} catch (error) {
			if ((error as {code?: string}).code?.startsWith('SQLITE_CONSTRAINT')) throw new LifeboatError('unsafe-archive', terminalSafe(`${archivePath}: appears twice in the archive`));
			throw error;
		}
		this.tick();
	}

	digest(side: Side, archivePath: string): {size: number; sha256: string} | undefined {
		this.flush();
		return this.db.prepare('SELECT size, sha256 FROM digests WHERE side = ? AND path = ?').get(side, archivePath) as {size: number; sha256: string} | undefined;
	}

	digestCount(side: Side): number {
		this.flush();
		return Number(this.db.prepare('SELECT COUNT(*) FROM digests WHERE side = ?').pluck(true).get(side));
	}

	/** Drops a side's agent and document files whose owner row is not among that side's rows (out of scope). */
	dropOrphanFiles(side: Side): void {
		this.flush();
		this.db
			.prepare(
				`DELETE FROM entries WHERE side = @side AND tbl = '${FILES_TABLE}' AND owner IS NOT NULL AND NOT EXISTS
				(SELECT 1 FROM entries o WHERE o.side = @side AND o.category = entries.category AND o.tbl = (CASE entries.category WHEN 'agents' THEN 'agents' ELSE 'documents' END) AND o.id = entries.owner)`,
			)
			.run({side});
	}

	flush(): void {
		if (this.pending === 0) return;
		this.db.exec('COMMIT; BEGIN');
		this.pending = 0;
	}

	/** Per table of a category: added (B only), removed (A only), changed and unchanged (both). */
	counts(category: CategoryId): Map<string, DiffCounts> {
		this.flush();
		const out = new Map<string, DiffCounts>();
		const get = (table: string) => {
			let counts = out.get(table);
			if (!counts) out.set(table, (counts = {added: 0, removed: 0, changed: 0, unchanged: 0}));
			return counts;
		};
		for (const [which, from, other] of [['added', 2, 1], ['removed', 1, 2]] as const) {
			const sql = `SELECT x.tbl AS tbl, COUNT(*) AS n FROM entries x WHERE x.side = ${from} AND x.category = ?
				AND NOT EXISTS (SELECT 1 FROM entries y WHERE y.side = ${other} AND y.category = x.category AND y.tbl = x.tbl AND y.id = x.id) GROUP BY x.tbl`;
			for (const row of this.db.prepare(sql).all(category) as Array<{tbl: string; n: number}>) get(row.tbl)[which] = row.n;
		}
		const both = `SELECT a.tbl AS tbl, SUM(a.hash = b.hash) AS same, SUM(a.hash <> b.hash) AS changed FROM entries a JOIN entries b
			ON b.side = 2 AND b.category = a.category AND b.tbl = a.tbl AND b.id = a.id WHERE a.side = 1 AND a.category = ? GROUP BY a.tbl`;
		for (const row of this.db.prepare(both).all(category) as Array<{tbl: string; same: number; changed: number}>) {
			get(row.tbl).unchanged = row.same;
			get(row.tbl).changed = row.changed;
		}
		return out;
	}

	/** Up to `limit` ids of one list of a category, ordered by table then id, and how many more there are. */
	ids(category: CategoryId, which: 'added' | 'removed' | 'changed', limit: number, total: number): IdList {
		this.flush();
		let sql: string;
		if (which === 'changed') {
			sql = `SELECT a.tbl AS tbl, a.id AS id FROM entries a JOIN entries b ON b.side = 2 AND b.category = a.category AND b.tbl = a.tbl AND b.id = a.id
				WHERE a.side = 1 AND a.category = ? AND a.hash <> b.hash ORDER BY a.tbl, a.id LIMIT ?`;
		} else {
			const [from, other] = which === 'added' ? [2, 1] : [1, 2];
			sql = `SELECT x.tbl AS tbl, x.id AS id FROM entries x WHERE x.side = ${from} AND x.category = ?
				AND NOT EXISTS (SELECT 1 FROM entries y WHERE y.side = ${other} AND y.category = x.category AND y.tbl = x.tbl AND y.id = x.id) ORDER BY x.tbl, x.id LIMIT ?`;
		}
		const rows = this.db.prepare(sql).all(category, limit) as Array<{tbl: string; id: string}>;
		const ids: DiffRef[] = rows.map(row => ({table: row.tbl, id: row.id}));
		return {ids, more: Math.max(0, total - ids.length)};
	}

	close(): void {
		try {
			if (this.db.inTransaction) this.db.exec('COMMIT');
			this.db.close();
		} finally {
			fs.rmSync(this.dir, {recursive: true, force: true});
		}
	}
}
