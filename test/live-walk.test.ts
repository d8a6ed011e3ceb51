import fc from 'fast-check';
import {describe, expect, it} from 'vitest';
import {LiveWalk, ordersByUtf8} from '../source/core/restore/live-walk.js';
import {compareBinaryText} from '../source/core/rows/binary-order.js';
import {codecFor, readLiveRow} from '../source/core/rows/table-codec.js';
import {openEmptyStore} from '../source/core/store/gateway-store.js';
import {schemaDdl, tableSpec} from '../source/core/store/schema.js';
import Database from 'better-sqlite3';

/**
 * The restore matches the archive's rows with live ones by walking the live table in id order
 * (live-walk.ts). Whatever the ids (any Unicode, astral characters against U+E000..U+FFFF, text
 * that is not UTF-8, BLOB and NULL ids a foreign writer left) and whatever order the archive asks
 * in, the walk answers exactly what one SELECT per id answers.
 */

const codec = codecFor(tableSpec('memory_entries'));

/** Ids that stress SQLite's BINARY order against JavaScript's: ASCII, BMP above the surrogates, astral, empty. */
const textId = fc.oneof(
	fc.string({maxLength: 6}),
	fc.string({unit: 'binary', maxLength: 4}),
	fc.constantFrom('', 'a', 'a\u0000b', '\uE000', '\uFFFF', '\u{10000}', '\u{1F600}', 'z\uFFFD', 'Z', 'é'),
);

type LiveId = {kind: 'text'; id: string} | {kind: 'raw'; bytes: number[]} | {kind: 'blob'; bytes: number[]} | {kind: 'null'};

const liveId: fc.Arbitrary<LiveId> = fc.oneof(
	{weight: 8, arbitrary: textId.map(id => ({kind: 'text', id}) as const)},
	// Text that is not valid UTF-8 (0xff never appears in UTF-8), and BLOB ids.
	{weight: 1, arbitrary: fc.array(fc.integer({min: 0, max: 255}), {maxLength: 3}).map(bytes => ({kind: 'raw', bytes: [...bytes, 0xff]}) as const)},
	{weight: 1, arbitrary: fc.array(fc.integer({min: 0, max: 255}), {maxLength: 3}).map(bytes => ({kind: 'blob', bytes}) as const)},
	{weight: 1, arbitrary: fc.constant({kind: 'null'} as const)},
);

/** An empty store; `encoding` other than UTF-8 (legal SQLite: a gateway may create its database so) orders TEXT otherwise. */
function emptyStore(encoding?: string): {db: Database.Database; close(): void} {
	if (!encoding) return openEmptyStore('/nonexistent-lifeboat-test');
	const db = new Database(':memory:');
	db.pragma(`encoding = '${encoding}'`);
	db.exec(schemaDdl());
	return {db, close: () => db.close()};
}

/** A table whose id column orders text other than by its UTF-8 bytes (a foreign writer's schema). */
function nocaseStore(): {db: Database.Database; close(): void} {
	const db = new Database(':memory:');
	db.exec(schemaDdl().replace(/CREATE TABLE IF NOT EXISTS memory_entries \(id TEXT PRIMARY KEY/, 'CREATE TABLE IF NOT EXISTS memory_entries (id TEXT PRIMARY KEY COLLATE NOCASE'));
	return {db, close: () => db.close()};
}

/** A NOCASE id column under a BINARY primary key: the key's order is not what `ORDER BY id` follows. */
function nocaseColumnStore(): {db: Database.Database; close(): void} {
	const db = new Database(':memory:');
	db.exec(
		schemaDdl().replace(
			/CREATE TABLE IF NOT EXISTS memory_entries \(id TEXT PRIMARY KEY,([^;]*)\);/,
			'CREATE TABLE IF NOT EXISTS memory_entries (id TEXT COLLATE NOCASE,$1, PRIMARY KEY (id COLLATE BINARY));',
		),
	);
	return {db, close: () => db.close()};
}

/** An id column of numeric affinity: text ids that look like numbers are stored and compared as numbers. */
function intKeyStore(): {db: Database.Database; close(): void} {
	const db = new Database(':memory:');
	db.exec(schemaDdl().replace(/CREATE TABLE IF NOT EXISTS memory_entries \(id TEXT PRIMARY KEY/, 'CREATE TABLE IF NOT EXISTS memory_entries (id INT PRIMARY KEY'));
	return {db, close: () => db.close()};
}

function storeWith(ids: readonly LiveId[], make: () => {db: Database.Database; close(): void} = () => emptyStore()) {
	const store = make();
	const columns = 'tenant_id, created_at, updated_at, agent_id, kind, content, importance, tags';
	const rest = ['ten_a', 'c', 'u', 'agt_a', 'fact', 'text', 0.5, '[]'];
	const text = store.db.prepare(`INSERT OR IGNORE INTO memory_entries (id, ${columns}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`);
	const raw = store.db.prepare(`INSERT OR IGNORE INTO memory_entries (id, ${columns}) VALUES (CAST(? AS TEXT), ?, ?, ?, ?, ?, ?, ?, ?)`);
	ids.forEach((id, index) => {
		const values = [...rest.slice(0, 5), `row ${index}`, ...rest.slice(6)];
		if (id.kind === 'text') text.run(id.id, ...values);
		else if (id.kind === 'raw') raw.run(Buffer.from(id.bytes), ...values);
		else if (id.kind === 'blob') text.run(Buffer.from(id.bytes), ...values);
		else text.run(null, ...values);
	});
	return store;
}

/** Walks `ids` in the given order over the store and expects each answer to equal one SELECT per id; closes the store. */
function expectWalkAnswers(store: {db: Database.Database; close(): void}, ids: readonly string[]): void {
	try {
		const walk = new LiveWalk(store.db, codec);
		const rowidOf = store.db.prepare(`SELECT _rowid_ FROM memory_entries WHERE id = ?`).safeIntegers(true).pluck(true);
		for (const id of ids) {
			const row = walk.get(id);
			expect(row).toEqual(readLiveRow(store.db, codec, id));
			// The rowid it reports (when it found the row in a chunk) is that row's.
			if (walk.foundRowid !== undefined) expect(walk.foundRowid).toBe(rowidOf.get(id));
			if (!row) expect(walk.foundRowid).toBeUndefined();
		}
	} finally {
		store.close();
	}
}

describe('LiveWalk', () => {
	it('compareBinaryText orders strings as SQLite orders their UTF-8 bytes', () => {
		fc.assert(
			fc.property(textId, textId, (a, b) => {
				const expected = Math.sign(Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));
				// Lone surrogates have no UTF-8 form (Buffer writes U+FFFD): only well-formed strings are ids in an archive.
				fc.pre(a.isWellFormed() && b.isWellFormed());
				expect(Math.sign(compareBinaryText(a, b))).toBe(expected);
			}),
			{numRuns: 2000},
		);
	});

	it('answers every id as one SELECT per id does, asked in order or not', () => {
		fc.assert(
			fc.property(fc.array(liveId, {maxLength: 60}), fc.array(textId, {maxLength: 60}), fc.boolean(), fc.integer({min: 0, max: 100}), (live, asked, sorted, disorderAt) => {
				// An archive lists each id once; sorted as a dump is, or not (then from some point on).
				let ids = [...new Set([...asked, ...live.flatMap(id => (id.kind === 'text' ? [id.id] : []))])].filter(id => id.isWellFormed());
				if (sorted) ids.sort(compareBinaryText);
				else ids = [...ids.slice(0, disorderAt).sort(compareBinaryText), ...ids.slice(disorderAt).reverse()];
				expectWalkAnswers(storeWith(live), ids);
			}),
			{numRuns: 300},
		);
	});

	it('answers ids that are not well-formed (a lone surrogate, bound to SQLite as U+FFFD) as one SELECT per id does', () => {
		const lone = fc.constantFrom('\uD800', '\uDFFF', 'a\uD83D', '\uDE00b', '\uFFFD', 'a\uFFFD', '\uFFFDb', '\uE000', '\u{10000}');
		fc.assert(
			fc.property(fc.array(fc.oneof(textId, lone), {maxLength: 30}), fc.array(fc.oneof(textId, lone), {maxLength: 30}), (live, asked) => {
				// A crafted archive can hold such ids (JSON escapes); sorted as the archive would list them.
				expectWalkAnswers(storeWith(live.map(id => ({kind: 'text', id}) as const)), [...new Set([...asked, ...live])].sort(compareBinaryText));
			}),
			{numRuns: 500},
		);
	});

	it('walks in order on a gateway store (UTF-8, BINARY id), falls back on the others', () => {
		for (const [make, expected] of [[() => emptyStore(), true], [() => emptyStore('UTF-16le'), false], [nocaseStore, false], [nocaseColumnStore, false], [intKeyStore, false]] as const) {
			const store = make();
			try {
				expect(ordersByUtf8(store.db, 'memory_entries')).toBe(expected);
			} finally {
				store.close();
			}
		}
	});

	for (const [label, make] of [
		['UTF-16le', () => emptyStore('UTF-16le')],
		['UTF-16be', () => emptyStore('UTF-16be')],
		['id COLLATE NOCASE', nocaseStore],
		['a NOCASE id column under a BINARY key', nocaseColumnStore],
		['id INT PRIMARY KEY', intKeyStore],
	] as const) {
		it(`answers as one SELECT per id when the live store orders ids otherwise (${label})`, () => {
			fc.assert(
				fc.property(fc.array(textId, {maxLength: 40}), fc.array(textId, {maxLength: 40}), (live, asked) => {
					const store = storeWith(
						live.filter(id => id.isWellFormed()).map(id => ({kind: 'text', id}) as const),
						make,
					);
					expectWalkAnswers(store, [...new Set([...asked, ...live])].filter(id => id.isWellFormed()).sort(compareBinaryText));
				}),
				{numRuns: 300},
			);
		});
	}

	it('holds a bounded size of live rows, however large the rows (a chunk is cut by size, not only by count)', () => {
		const store = emptyStore();
		try {
			const insert = store.db.prepare(`INSERT INTO memory_entries (id, tenant_id, created_at, updated_at, agent_id, kind, content, importance, tags) VALUES (?, 'ten_a', 'c', 'u', 'agt_a', 'fact', ?, 0.5, '[]')`);
			const big = 'x'.repeat(1024 * 1024);
			for (let index = 0; index < 40; index++) insert.run(`mem_${String(index * 2).padStart(3, '0')}`, `${index}${big}`);
			const walk = new LiveWalk(store.db, codec);
			let held = 0;
			for (let index = 0; index < 80; index++) {
				const id = `mem_${String(index).padStart(3, '0')}`;
				const row = walk.get(id);
				expect(row?.[6]?.toString().slice(0, 3)).toBe(readLiveRow(store.db, codec, id)?.[6]?.toString().slice(0, 3));
				held = Math.max(held, walk.chunkBytes);
			}
			// About 8 MiB and one row: never the 40 MiB table at once.
			expect(held).toBeGreaterThan(1024 * 1024);
			expect(held).toBeLessThan(10 * 1024 * 1024);
		} finally {
			store.close();
		}
	});

	it('walks a table larger than one chunk, rows written behind it never seen', () => {
		const store = storeWith(Array.from({length: 5000}, (_, index) => ({kind: 'text', id: `mem_${String(index * 2).padStart(6, '0')}`}) as const));
		try {
			const walk = new LiveWalk(store.db, codec);
			const insert = store.db.prepare(`INSERT INTO memory_entries (id, tenant_id, created_at, updated_at, agent_id, kind, content, importance, tags) VALUES (?, 'ten_a', 'c', 'u', 'agt_a', 'fact', 'written by the restore', 0.5, '[]')`);
			let found = 0;
			for (let index = 0; index < 10_000; index++) {
				const id = `mem_${String(index).padStart(6, '0')}`;
				const row = walk.get(id);
				if (index % 2 === 0) {
					expect(row?.[0]).toBe(id);
					expect(row?.[6]).toBe(`row ${index / 2}`);
					expect(walk.foundRowid).toBeDefined();
					found++;
				} else {
					expect(row).toBeUndefined();
					// The restore writes a new row right after asking for it: the walk never reads it back.
					insert.run(id);
				}
			}
			expect(found).toBe(5000);
		} finally {
			store.close();
		}
	});
});
