import Database from 'better-sqlite3';
import {describe, expect, it} from 'vitest';
import {LifeboatError} from '../source/core/errors.js';
import {ReferenceCheck} from '../source/core/rows/reference-check.js';
import {codecFor} from '../source/core/rows/table-codec.js';
import {TABLES} from '../source/core/store/schema.js';

/**
 * ReferenceCheck keeps the ids it has read in temporary tables. better-sqlite3 builds SQLite with a
 * 16 MB page cache, which let those tables sit in memory; the temp schema's cache is held to 2 MB so
 * they spill to their file (peak RSS of verify and restore). Spilled, a second row with one id must
 * still be found.
 */
describe('ReferenceCheck temporary tables', () => {
	it('use a 2 MB page cache and still find a repeated id once they spill past it', () => {
		const db = new Database('');
		try {
			const check = new ReferenceCheck(db, {live: false, restored: new Set(TABLES.map(table => table.name)), suffix: ''});
			expect(db.pragma('temp.cache_size', {simple: true})).toBe(-2000);
			const codec = TABLES.map(table => codecFor(table)).find(candidate => candidate.refs.length === 0 && candidate.refLists.length === 0)!;
			const row = (id: string) => codec.names.map((_, index) => (index === 0 ? id : index === 1 ? 'ten_a' : null));
			// ~6 MB of ids, three times the cache, in an order that is not the key's.
			const ids = Array.from({length: 24_000}, (_, index) => `${String((index * 7919) % 24_000).padStart(6, '0')}_${'x'.repeat(240)}`);
			for (const id of ids) check.row(codec, row(id), 'line');
			const pages = Number(db.pragma('temp.page_count', {simple: true})) * Number(db.pragma('temp.page_size', {simple: true}));
			expect(pages).toBeGreaterThan(4 * 1024 * 1024);
			expect(() => check.row(codec, row(ids[123]!), 'line 24001')).toThrow(LifeboatError);
			expect(() => check.row(codec, row(ids[123]!), 'line 24001')).toThrow(/appears twice in the backup/);
		} finally {
			db.close();
		}
	});
});
