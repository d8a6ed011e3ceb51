import Database from 'better-sqlite3';
import fc from 'fast-check';
import {describe, expect, it} from 'vitest';
import {agentFileArchivePath, dailyLogArchivePath, documentFileArchivePath, documentFileName, documentTextArchivePath, escapeSegment, isPathSegment, routeEntry, unescapeSegment} from '../source/core/archive/archive-paths.js';
import {checkEntryPath} from '../source/core/archive/entry-guard.js';
import {prepareExact} from '../source/core/rows/exact-read.js';
import {decodeValue, encodeValue, isProblem, RawText, sameStored, valueKey, type StoredValue} from '../source/core/rows/value-codec.js';
import type {ColumnType} from '../source/core/store/schema.js';

/**
 * The cheap half of the round-trip property (issue 8): hundreds of cases a second at the level of
 * one value and one name, through real SQLite. test/roundtrip-property.test.ts runs whole gateways.
 * Replay a failure with LIFEBOAT_PROPERTY_SEED=<seed> (printed by fast-check).
 */
const runs = Number(process.env['LIFEBOAT_PROPERTY_RUNS'] ?? 0) * 10 || 400;
const seed = process.env['LIFEBOAT_PROPERTY_SEED'] ? Number(process.env['LIFEBOAT_PROPERTY_SEED']) : undefined;
const settings = {numRuns: runs, seed};

/** A value as something might insert it: the column's affinity then decides what SQLite stores. */
const inserted = fc.oneof(
	fc.constant(null),
	fc.string({unit: 'binary'}),
	fc.string(),
	fc.bigInt({min: -(2n ** 63n), max: 2n ** 63n - 1n}),
	fc.double({noNaN: true}),
	fc.integer().map(value => String(value)),
	fc.uint8Array({maxLength: 40}).map(bytes => Buffer.from(bytes)),
	fc.uint8Array({maxLength: 40}).map(bytes => new RawText(Buffer.from(bytes))),
);
const types = fc.constantFrom<ColumnType>('TEXT', 'INTEGER', 'REAL');

function insert(db: Database.Database, table: string, id: string, value: StoredValue): void {
	if (value instanceof RawText) db.prepare(`INSERT INTO ${table} (id, v) VALUES (?, CAST(? AS TEXT))`).run(id, value.bytes);
	else db.prepare(`INSERT INTO ${table} (id, v) VALUES (?, ?)`).run(id, value);
}

describe('property: one value, every storage class, exactly', () => {
	it('stored → read exactly → JSON → decoded → stored again gives the same type and bytes', () => {
		const db = new Database(':memory:');
		for (const type of ['TEXT', 'INTEGER', 'REAL']) db.exec(`CREATE TABLE a_${type} (id TEXT PRIMARY KEY, v ${type}); CREATE TABLE b_${type} (id TEXT PRIMARY KEY, v ${type})`);
		let n = 0;
		fc.assert(
			fc.property(types, inserted, (type, value) => {
				const id = `r${n++}`;
				insert(db, `a_${type}`, id, value);
				const stored = prepareExact(db, `a_${type}`, ['v'], `SELECT v, _rowid_ FROM a_${type} WHERE id = ?`).get(id)![0]!;
				const json = JSON.parse(JSON.stringify(encodeValue(stored, type))) as unknown;
				const decoded = decodeValue(json, type);
				expect(isProblem(decoded)).toBe(false);
				expect(sameStored(decoded as StoredValue, stored)).toBe(true);
				insert(db, `b_${type}`, id, decoded as StoredValue);
				const original = db.prepare(`SELECT typeof(v) AS t, hex(v) AS h FROM a_${type} WHERE id = ?`).get(id);
				const copy = db.prepare(`SELECT typeof(v) AS t, hex(v) AS h FROM b_${type} WHERE id = ?`).get(id);
				expect(copy).toEqual(original);
			}),
			settings,
		);
		db.close();
	});

	it('value keys tell apart values that differ in class or bytes', () => {
		fc.assert(
			fc.property(inserted, inserted, (a, b) => {
				if (valueKey(a) === valueKey(b)) expect(sameStored(a, b)).toBe(true);
			}),
			settings,
		);
	});
});

describe('property: names in archive paths', () => {
	const name = fc.oneof(fc.string({unit: 'binary', minLength: 1, maxLength: 60}), fc.constantFrom('.', '..', '%', '%2E', '~x', 'a.b', 'a\\b', 'a\nb', '%41', 'agents.jsonl'));
	const usable = name.filter(text => isPathSegment(text));

	it('escaping is reversible, canonical and gives a path every archive reader accepts', () => {
		fc.assert(
			fc.property(name, fc.boolean(), (text, dots) => {
				const escaped = escapeSegment(text, {dots});
				expect(unescapeSegment(escaped, {dots})).toBe(text);
				expect(() => checkEntryPath(`x/${escaped}`)).not.toThrow();
			}),
			settings,
		);
	});

	it('any segment unescapes to at most one name, and only from its canonical spelling', () => {
		fc.assert(
			fc.property(fc.string({unit: 'binary', minLength: 1, maxLength: 30}), segment => {
				const decoded = unescapeSegment(segment);
				if (decoded !== undefined) expect(escapeSegment(decoded)).toBe(segment);
			}),
			settings,
		);
	});

	it('agent files, documents and days route back to exactly the names they were written from', () => {
		fc.assert(
			fc.property(usable, fc.array(usable, {minLength: 1, maxLength: 4}), usable, fc.string({unit: 'binary', maxLength: 12}), (agent, segments, document, ext) => {
				const relative = segments.join('/');
				const route = routeEntry(agentFileArchivePath(agent, relative));
				if (Buffer.byteLength(relative) <= 4096) expect(route).toMatchObject({kind: 'agent-file', ownerId: agent, rest: relative});
				if (documentFileName(document, ext)) expect(routeEntry(documentFileArchivePath(document, ext))).toMatchObject({kind: 'document-file', ownerId: document, ext});
				if (isPathSegment(`${document}.txt`)) expect(routeEntry(documentTextArchivePath(document))).toMatchObject({kind: 'document-text', ownerId: document});
				const day = dailyLogArchivePath(agent, valueKey(agent));
				expect(routeEntry(day)).toMatchObject({kind: 'table', category: 'memory'});
				for (const written of [agentFileArchivePath(agent, relative), documentFileArchivePath(document, ext), day]) expect(() => checkEntryPath(written)).not.toThrow();
			}),
			settings,
		);
	});
});
