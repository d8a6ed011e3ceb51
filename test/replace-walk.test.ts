import Database from 'better-sqlite3';
import fc from 'fast-check';
import {describe, expect, it} from 'vitest';
import {applyRestore, planRestore} from '../source/core/restore/index.js';
import {LiveWalk} from '../source/core/restore/live-walk.js';
import {deletableByWalk, DeleteByWalk} from '../source/core/restore/walk-deletion.js';
import {compareBinaryText} from '../source/core/rows/binary-order.js';
import {IdsOutOfOrder} from '../source/core/rows/reference-check.js';
import {codecFor} from '../source/core/rows/table-codec.js';
import {schemaDdl, tableSpec} from '../source/core/store/schema.js';
import {backupOf, copyGateway, editedBackup, exec, freshGateway, memoryGateway, openDb, query, readJsonl, writeJsonl} from './restore-support.js';
import fs from 'node:fs';
import path from 'node:path';

/**
 * A replace restore deletes the live rows in scope whose ids the archive lacks. For a table whose
 * ids it does not remember (nothing references it, its ids come in increasing order), it finds
 * them with its live walk: the rows the walk passes, and those past the last id it was asked for
 * (walk-deletion.ts). Whatever the live ids (text of any script, text that is not UTF-8, BLOB,
 * NULL), tenants (of the scope, others, NULL, a NOCASE column's case variants) and the archive's
 * ids, it deletes exactly what `id IS NULL OR id NOT IN (archive ids)` in scope deletes, or
 * gives up with IdsOutOfOrder (the restore then runs again remembering every id).
 */

const codec = codecFor(tableSpec('memory_entries'));

const textId = fc.oneof(fc.string({maxLength: 5}), fc.string({unit: 'binary', maxLength: 3}), fc.constantFrom('', 'a', '\uE000', '\u{10000}', 'z\uFFFD', 'é'));
type LiveId = {kind: 'text'; id: string} | {kind: 'raw'; bytes: number[]} | {kind: 'blob'; bytes: number[]} | {kind: 'null'} | {kind: 'number'; value: number};
const liveId: fc.Arbitrary<LiveId> = fc.oneof(
	{weight: 8, arbitrary: textId.map(id => ({kind: 'text', id}) as const)},
	{weight: 1, arbitrary: fc.array(fc.integer({min: 0, max: 255}), {maxLength: 3}).map(bytes => ({kind: 'raw', bytes: [...bytes, 0xff]}) as const)},
	{weight: 1, arbitrary: fc.array(fc.integer({min: 0, max: 255}), {maxLength: 3}).map(bytes => ({kind: 'blob', bytes}) as const)},
	{weight: 1, arbitrary: fc.constant({kind: 'null'} as const)},
	{weight: 1, arbitrary: fc.constantFrom(1, 10, 2.5, -3).map(value => ({kind: 'number', value}) as const)},
);
const tenant = fc.constantFrom<string | null>('t1', 't2', 'T1', null);
const liveRow = fc.record({id: liveId, tenant});

/** Each schema, and how many of 400 runs must walk (not give up) at least. */
const SCHEMAS = {
	gateway: schemaDdl(),
	'id without a type (foreign)': schemaDdl().replace(/CREATE TABLE IF NOT EXISTS memory_entries \(id TEXT PRIMARY KEY/, 'CREATE TABLE IF NOT EXISTS memory_entries (id PRIMARY KEY'),
	'id INT PRIMARY KEY (foreign)': schemaDdl().replace(/CREATE TABLE IF NOT EXISTS memory_entries \(id TEXT PRIMARY KEY/, 'CREATE TABLE IF NOT EXISTS memory_entries (id INT PRIMARY KEY'),
	'tenant_id COLLATE NOCASE': schemaDdl().replace(
		/CREATE TABLE IF NOT EXISTS memory_entries \(id TEXT PRIMARY KEY, tenant_id TEXT/,
		'CREATE TABLE IF NOT EXISTS memory_entries (id TEXT PRIMARY KEY, tenant_id TEXT COLLATE NOCASE',
	),
};

/** A store of `schema` holding the live rows (a repeated id is skipped, as the key refuses it). */
function store(schema: string, rows: ReadonlyArray<{id: LiveId; tenant: string | null}>): Database.Database {
	const db = new Database(':memory:');
	db.exec(schema);
	const columns = `tenant_id, created_at, updated_at, agent_id, kind, content, importance, tags`;
	const text = db.prepare(`INSERT OR IGNORE INTO memory_entries (id, ${columns}) VALUES (?, ?, 'c', 'u', 'agt', 'fact', ?, 0.5, '[]')`);
	const raw = db.prepare(`INSERT OR IGNORE INTO memory_entries (id, ${columns}) VALUES (CAST(? AS TEXT), ?, 'c', 'u', 'agt', 'fact', ?, 0.5, '[]')`);
	rows.forEach((row, index) => {
		const id = row.id.kind === 'text' ? row.id.id : row.id.kind === 'null' ? null : row.id.kind === 'number' ? row.id.value : Buffer.from(row.id.bytes);
		(row.id.kind === 'raw' ? raw : text).run(id, row.tenant, `live ${index}`);
	});
	return db;
}

/** Writes the archive's row of `id` as the restore would (its tenant t1): over a live row of t1, or as a new one. */
function writeArchiveRow(db: Database.Database, id: string): void {
	const live = db.prepare(`SELECT tenant_id FROM memory_entries WHERE id = ?`).get(id) as {tenant_id: unknown} | undefined;
	// A live row of another tenant with this id is a collision the restore refuses; left alone here.
	if (live && live.tenant_id !== 't1') return;
	db.prepare(`INSERT OR REPLACE INTO memory_entries VALUES (?, 't1', 'c', 'u', 'agt', 'fact', 'restored', 0.5, '[]')`).run(id);
}

function survivors(db: Database.Database): string[] {
	return db.prepare(`SELECT quote(id) || ' ' || quote(tenant_id) || ' ' || content FROM memory_entries ORDER BY rowid`).pluck(true).all() as string[];
}

/** The restore's way: the walk asked each archive id in order, the row written, then the rest deleted. */
function byWalk(db: Database.Database, archive: readonly string[], scope: readonly string[]): number | 'out of order' {
	const scopeSql = `tenant_id IN (${scope.map(() => '?').join(', ')})`;
	const deletion = new DeleteByWalk(db, codec, scopeSql, scope);
	const hadRows = db.prepare(`SELECT 1 FROM memory_entries LIMIT 1`).get() !== undefined;
	const walk = hadRows ? new LiveWalk(db, codec, (row, rowid) => deletion.passed(row, rowid)) : undefined;
	try {
		for (const id of archive) {
			walk?.get(id);
			writeArchiveRow(db, id);
		}
	} catch (error) {
		if (error instanceof IdsOutOfOrder) return 'out of order';
		throw error;
	}
	return deletion.finish(walk, hadRows, archive.length);
}

/** Remembering the archive's ids, as a restore did for every table. */
function byIds(db: Database.Database, archive: readonly string[], scope: readonly string[]): number {
	for (const id of archive) writeArchiveRow(db, id);
	db.exec(`CREATE TEMP TABLE ids (id TEXT PRIMARY KEY)`);
	const insert = db.prepare(`INSERT OR IGNORE INTO temp.ids VALUES (?)`);
	for (const id of archive) insert.run(id);
	return db.prepare(`DELETE FROM memory_entries WHERE tenant_id IN (${scope.map(() => '?').join(', ')}) AND (id IS NULL OR id NOT IN (SELECT id FROM temp.ids))`).run(...scope).changes;
}

describe('replace: the live rows the archive lacks, found by the walk', () => {
	const mustWalk: Record<keyof typeof SCHEMAS, number> = {gateway: 200, 'id without a type (foreign)': 100, 'id INT PRIMARY KEY (foreign)': 0, 'tenant_id COLLATE NOCASE': 200};
	for (const [name, schema] of Object.entries(SCHEMAS) as Array<[keyof typeof SCHEMAS, string]>) {
		it(`deletes exactly the rows remembering the ids deletes, or gives up (${name})`, () => {
			let walked = 0;
			fc.assert(
				fc.property(fc.array(liveRow, {maxLength: 30}), fc.array(textId, {maxLength: 12}), fc.array(fc.nat(), {maxLength: 20}), fc.constantFrom(['t1'], ['t1', 't2']), (rows, extra, picks, scope) => {
					// The archive holds some live text ids and some of its own, in increasing order without repeats.
					const texts = rows.flatMap(row => (row.id.kind === 'text' ? [row.id.id] : row.id.kind === 'number' ? [String(row.id.value)] : []));
					const archive = [...new Set([...extra, ...picks.filter(() => texts.length > 0).map(pick => texts[pick % texts.length]!)])].sort(compareBinaryText);
					const walkDb = store(schema, rows);
					const idsDb = store(schema, rows);
					// A row of a NULL tenant breaks NOT NULL: INSERT OR IGNORE leaves it out.
					const hadRows = walkDb.prepare(`SELECT 1 FROM memory_entries LIMIT 1`).get() !== undefined;
					const deleted = byWalk(walkDb, archive, scope);
					if (deleted === 'out of order') return;
					if (hadRows && archive.length > 0) walked++;
					expect(deleted).toBe(byIds(idsDb, archive, scope));
					expect(survivors(walkDb)).toEqual(survivors(idsDb));
				}),
				{numRuns: 400},
			);
			// Giving up is for the rare shapes (a lone surrogate, an id SQLite reads as U+FFFD…): most runs walk.
			expect(walked).toBeGreaterThanOrEqual(mustWalk[name]);
			// A numeric id column is never walked (SQLite compares text ids there as numbers).
			if (mustWalk[name] === 0) expect(walked).toBe(0);
		});
	}

	it('past one query of the walk (256 rows): rows passed in every chunk, and after the last id asked', () => {
		const rows = Array.from({length: 1500}, (_, index) => ({id: {kind: 'text', id: `m${String(index).padStart(5, '0')}`} as const, tenant: index % 7 === 0 ? 't2' : 't1'}));
		const archive = rows.filter((_, index) => index % 5 !== 0 && index < 1400).map(row => row.id.id);
		const walkDb = store(SCHEMAS.gateway, rows);
		const idsDb = store(SCHEMAS.gateway, rows);
		const deleted = byWalk(walkDb, archive, ['t1']);
		expect(deleted).toBe(byIds(idsDb, archive, ['t1']));
		expect(deleted).toBeGreaterThan(300);
		expect(survivors(walkDb)).toEqual(survivors(idsDb));
	});

	it('more NULL ids than one query reads: the walk gives up (its chunk ends on a NULL id)', () => {
		const rows = Array.from({length: 300}, () => ({id: {kind: 'null'} as const, tenant: 't1'}));
		expect(byWalk(store(SCHEMAS.gateway, [...rows, {id: {kind: 'text', id: 'b'}, tenant: 't1'}]), ['a', 'c'], ['t1'])).toBe('out of order');
	});
});

/** Live rows added after the backup: in t1 before, between and after its ids, one with a NULL id, and t2's between them. */
function addLiveRows(dataDir: string, nullIds = 1): void {
	const db = openDb(dataDir, false);
	try {
		db.prepare(`INSERT INTO tenants VALUES ('t2', 't2', 'c', 'u', 'Tenant Two', 'two', 'free')`).run();
		const insert = db.prepare(`INSERT INTO memory_entries VALUES (?, ?, 'c', 'u', ?, 'fact', 'added live', 0.5, '[]')`);
		for (const id of ['a_first', 'mem_00005x', 'mem_00299x', 'mem_00300x', 'zz_last']) insert.run(id, 't1', 'agt_1');
		for (let index = 0; index < nullIds; index++) insert.run(null, 't1', 'agt_1');
		for (const id of ['a_other', 'mem_00007y', 'mem_00400y', 'zz_other']) insert.run(id, 't2', 'agt_2');
		db.prepare(`UPDATE memory_entries SET content = 'edited live' WHERE id IN ('mem_00010', 'mem_00500')`).run();
		db.prepare(`DELETE FROM memory_entries WHERE id IN ('mem_00011', 'mem_00599')`).run();
	} finally {
		db.close();
	}
}

const memoryOf = (dataDir: string) => query<{id: unknown; tenant_id: string; content: string}>(dataDir, `SELECT id, tenant_id, content FROM memory_entries ORDER BY tenant_id, id`);

describe('a replace restore deletes the live rows the backup lacks, its tenants only', () => {
	for (const shape of ['in id order', 'out of id order (a hand-made archive: run again remembering every id)', 'with more NULL ids than a walk query reads'] as const) {
		it(shape, async () => {
			const dataDir = memoryGateway(600, 5);
			const expected = memoryOf(dataDir);
			const source = shape.startsWith('out of')
				? await editedBackup(dataDir, {}, dir => {
						const file = path.join(dir, 'memory', 'entries.jsonl');
						writeJsonl(file, [...readJsonl(file)].reverse());
					})
				: (await backupOf(dataDir)).source;
			const live = copyGateway(dataDir);
			const nullIds = shape.startsWith('with more') ? 300 : 1;
			addLiveRows(live, nullIds);
			const others = memoryOf(live).filter(row => row.tenant_id === 't2');
			const plan = await planRestore({source, dataDir: live, mode: 'replace'});
			const result = await applyRestore({source, dataDir: live, mode: 'replace'});
			const memory = (p: typeof plan) => p.categories.find(category => category.category === 'memory')!;
			expect(memory(result.plan)).toMatchObject({new: 2, conflicts: 2, identical: 596, toDelete: 5 + nullIds});
			expect(memory(plan)).toMatchObject({new: 2, conflicts: 2, identical: 596, toDelete: 5 + nullIds});
			expect(result.applied.deleted).toBe(5 + nullIds);
			expect(memoryOf(live)).toEqual([...expected, ...others].sort((a, b) => compareBinaryText(`${a.tenant_id}\u0000${String(a.id)}`, `${b.tenant_id}\u0000${String(b.id)}`)));
		});
	}
});

describe('a replace leaves to the end the deletions the rest of its pass could see', () => {
	it("a document of another tenant sharing a file name with a restored one: the restore leaves the file alone, as its dry run said", async () => {
		const dataDir = freshGateway();
		exec(dataDir, `INSERT INTO tenants VALUES ('t1', 't1', 'c', 'u', 'One', 'one', 'free'), ('t2', 't2', 'c', 'u', 'Two', 'two', 'free')`);
		const files = path.join(dataDir, 'documents', 'files');
		fs.mkdirSync(files, {recursive: true});
		// t1's documents 'd' (extension 'x.pdf') and 'e'; later t2 uploads 'd.x' (extension 'pdf'): one file name, d.x.pdf.
		exec(dataDir, `INSERT INTO documents VALUES ('d', 't1', 'c', 'u', 'name', 'application/pdf', 'x.pdf', 1, 'sha', NULL, 1, 'hint'), ('e', 't1', 'c', 'u', 'name', 'text/plain', 'txt', 1, 'sha', NULL, 1, 'hint')`);
		fs.writeFileSync(path.join(files, 'd.x.pdf'), 'ONE');
		fs.writeFileSync(path.join(files, 'e.txt'), 'E');
		const {source} = await backupOf(dataDir);
		exec(dataDir, `INSERT INTO documents VALUES ('d.x', 't2', 'c', 'u', 'name', 'application/pdf', 'pdf', 1, 'sha', NULL, 1, 'hint')`);
		fs.writeFileSync(path.join(files, 'd.x.pdf'), 'TWO');
		const shared = `documents/files/d.x.pdf: also the file of another tenant's document; left alone`;
		const plan = await planRestore({source, dataDir, mode: 'replace'});
		expect(plan.warnings).toContain(shared);
		const result = await applyRestore({source, dataDir, mode: 'replace'});
		expect(result.warnings).toContain(shared);
		expect(fs.readFileSync(path.join(files, 'd.x.pdf'), 'utf8')).toBe('TWO');
	});

	it('a foreign schema whose writes can remove other rows (an extra UNIQUE index): the rows the archive lacks are still all deleted', async () => {
		const dataDir = memoryGateway(0, 5);
		exec(dataDir, `INSERT INTO memory_entries VALUES ('m1', 't1', 'c', 'u', 'agt_1', 'fact', 'beta', 0.5, '[]'), ('m9', 't1', 'c', 'u', 'agt_1', 'fact', 'x9', 0.5, '[]')`);
		const {source} = await backupOf(dataDir);
		// Live: m1 renamed, m3 took its old content, m4 and m5 added; a UNIQUE index the gateway's schema does not have.
		exec(dataDir, `UPDATE memory_entries SET content = 'alpha' WHERE id = 'm1'`);
		exec(dataDir, `INSERT INTO memory_entries VALUES ('m3', 't1', 'c', 'u', 'agt_1', 'fact', 'beta', 0.5, '[]'), ('m4', 't1', 'c', 'u', 'agt_1', 'fact', 'c4', 0.5, '[]'), ('m5', 't1', 'c', 'u', 'agt_1', 'fact', 'c5', 0.5, '[]')`);
		exec(dataDir, `CREATE UNIQUE INDEX memory_content ON memory_entries (tenant_id, content)`);
		await applyRestore({source, dataDir, mode: 'replace'});
		expect(query(dataDir, `SELECT id, content FROM memory_entries ORDER BY id`)).toEqual([
			{id: 'm1', content: 'beta'},
			{id: 'm9', content: 'x9'},
		]);
	});
});

describe('where the walk may delete', () => {
	it('a gateway table; not a WITHOUT ROWID one, nor with a trigger anywhere or enforced foreign keys of its own', () => {
		const make = (extra: string, foreignKeys = true) => {
			const db = new Database(':memory:');
			db.exec(schemaDdl());
			db.pragma(`foreign_keys = ${foreignKeys ? 'ON' : 'OFF'}`);
			db.exec(extra);
			return deletableByWalk(db, 'memory_entries');
		};
		expect(make('')).toBe(true);
		expect(make(`DROP TABLE memory_entries; CREATE TABLE memory_entries (id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, created_at TEXT, updated_at TEXT, agent_id TEXT, kind TEXT, content TEXT, importance REAL, tags TEXT) WITHOUT ROWID`)).toBe(false);
		expect(make(`CREATE TRIGGER t AFTER INSERT ON tools BEGIN INSERT INTO memory_entries (id, tenant_id) VALUES ('m-' || new.id, new.tenant_id); END`)).toBe(false);
		const foreign = `DROP TABLE memory_entries; CREATE TABLE memory_entries (id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, created_at TEXT, updated_at TEXT, agent_id TEXT REFERENCES agents (id) ON DELETE CASCADE, kind TEXT, content TEXT, importance REAL, tags TEXT)`;
		expect(make(foreign)).toBe(false);
		expect(make(foreign, false)).toBe(true);
	});

	it('a live WITHOUT ROWID table of no rows: the replace restores into it', async () => {
		const dataDir = memoryGateway(3, 5);
		const {source} = await backupOf(dataDir);
		const live = freshGateway();
		exec(live, `DROP TABLE memory_entries`);
		exec(live, `CREATE TABLE memory_entries (id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL, agent_id TEXT NOT NULL, kind TEXT NOT NULL, content TEXT NOT NULL, importance REAL NOT NULL, tags TEXT NOT NULL) WITHOUT ROWID`);
		await applyRestore({source, dataDir: live, mode: 'replace'});
		expect(memoryOf(live)).toEqual(memoryOf(dataDir));
	});
});
