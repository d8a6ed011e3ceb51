import type Database from 'better-sqlite3';
import {prepareExact, type ExactStatement} from '../rows/exact-read.js';
import {readLiveRow, type RowValues, type TableCodec} from '../rows/table-codec.js';
import {RawText, type StoredValue} from '../rows/value-codec.js';
import {compareBinaryText} from '../rows/binary-order.js';
import {IdsOutOfOrder} from '../rows/reference-check.js';

/**
 * Live rows read per query of the walk, at most; and their size, at most (one row always). A
 * chunk lives while the archive's side of the pass parses as many rows: 2048 rows outlived two
 * young-generation collections and were promoted, and a 1,000,000-row dry run spent ~1.9 s in
 * collections (69 full ones); 256 rows mostly die young (~0.9 s, 23 full ones), and a query per
 * 256 rows costs no more than one per 2048 (each starts with a B-tree search of the id index).
 */
const CHUNK_ROWS = 256;
const CHUNK_BYTES = 8 * 1024 * 1024;

/** In a `u` regular expression a surrogate range matches only an unpaired surrogate. */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/** A live id against an archive id (always text) in the order of `ORDER BY id`. */
function compareLiveId(live: StoredValue | undefined, id: string): number {
	if (typeof live === 'string') return compareBinaryText(live, id);
	// Text that is not UTF-8: by its bytes. A BLOB sorts after every text; NULL (no id) before.
	if (live instanceof RawText) return Buffer.compare(live.bytes, Buffer.from(id, 'utf8')) || 1;
	if (Buffer.isBuffer(live)) return 1;
	return -1;
}

function rowBytes(row: readonly StoredValue[]): number {
	let bytes = 0;
	for (const value of row) {
		if (typeof value === 'string') bytes += value.length;
		else if (Buffer.isBuffer(value)) bytes += value.length;
		else if (value instanceof RawText) bytes += value.bytes.length;
		else bytes += 8;
	}
	return bytes;
}

/**
 * Whether `ORDER BY id` of this live table is the order compareBinaryText assumes: a UTF-8
 * database (a UTF-16 one compares TEXT by its UTF-16 bytes) and an id primary key of BINARY
 * collation (a foreign schema could declare NOCASE or another). Otherwise the walk is not used.
 */
export function ordersByUtf8(db: Database.Database, table: string): boolean {
	if (db.pragma('encoding', {simple: true}) !== 'UTF-8') return false;
	const indexes = db.pragma(`index_list(${table})`) as Array<{name: string; origin: string; partial: number}>;
	const primary = indexes.find(index => index.origin === 'pk' && !index.partial);
	if (!primary) return false;
	const columns = db.pragma(`index_xinfo(${JSON.stringify(primary.name)})`) as Array<{name: string | null; key: number; coll: string}>;
	const keys = columns.filter(column => column.key);
	if (!(keys.length === 1 && keys[0]!.name === 'id' && keys[0]!.coll === 'BINARY')) return false;
	// A numeric affinity (`id INT PRIMARY KEY`) compares text ids as numbers where they look like ones.
	const id = (db.pragma(`table_xinfo(${table})`) as Array<{name: string; type: string}>).find(column => column.name.toLowerCase() === 'id');
	if (!id || !['TEXT', 'BLOB'].includes(affinity(id.type))) return false;
	// `ORDER BY id` and `id > ?` compare with the column's own affinity and collation, which a
	// foreign schema can set apart from its key's (`id TEXT COLLATE NOCASE, PRIMARY KEY (id
	// COLLATE BINARY)`, a numeric id): only when SQLite answers both from the key do they follow it.
	return walksKeyInOrder(db, table);
}

/** The affinity SQLite gives a column of this declared type (its rules, in their order). */
export function affinity(declared: string): 'INTEGER' | 'TEXT' | 'BLOB' | 'REAL' | 'NUMERIC' {
	const type = declared.toUpperCase();
	if (type.includes('INT')) return 'INTEGER';
	if (type.includes('CHAR') || type.includes('CLOB') || type.includes('TEXT')) return 'TEXT';
	if (type.includes('BLOB') || type === '') return 'BLOB';
	if (type.includes('REAL') || type.includes('FLOA') || type.includes('DOUB')) return 'REAL';
	return 'NUMERIC';
}

function walksKeyInOrder(db: Database.Database, table: string): boolean {
	const plan = queryPlan(db, `SELECT id FROM ${table} WHERE id > ? ORDER BY id`);
	return plan.some(step => /^SEARCH \S+ USING (COVERING INDEX \S+|PRIMARY KEY|INDEX \S+) \(id>\?\)/.test(step)) && !plan.some(step => step.includes('TEMP B-TREE'));
}

/** The steps SQLite plans for `sql` (each `?` bound to ''), or none when it cannot plan it. */
export function queryPlan(db: Database.Database, sql: string): string[] {
	try {
		const steps = db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all('') as Array<{detail: string}>;
		return steps.map(step => step.detail);
	} catch {
		return [];
	}
}

/**
 * The live rows of one table, matched with the archive's rows by id. An archive dumps each table
 * in id order, so the live table is walked alongside in id order, a chunk of rows per query,
 * rather than looked up once per row. Rows that do not come in strictly increasing id order (an
 * older or crafted archive, a table dumped in another order, ids remapped out of order) are looked
 * up one by one from there on: the answer is the same either way.
 *
 * Each id is asked for before the restore writes its row, and chunks are read only when an id
 * past the last one read is asked for, so a chunk never holds a row the restore itself wrote:
 * the walk sees the live table as it was before the restore, as the per-row look-up does.
 *
 * With `onPassed` (a replace that did not remember the archive's ids, restore-pass.ts), every live
 * row the walk passes without its id being asked is handed to it with its rowid: in id order, ids
 * asked in increasing order, those are exactly the live rows whose ids the archive does not hold,
 * up to the last id asked (`askedUpTo`). Such a walk cannot fall back to looking rows up one by
 * one: where it would, it throws IdsOutOfOrder, and the restore is run again remembering every id.
 */
export class LiveWalk {
	private chunk: StoredValue[][] = [];
	private rowids: unknown[] = [];
	private position = 0;
	private exhausted = false;
	private lastAsked: string | undefined;
	private lastRowid: unknown;
	private ordered = true;
	private first: ExactStatement | undefined;
	private nextText: ExactStatement | undefined;
	private nextRaw: ExactStatement | undefined;
	/** The size of the rows held (about: text counted by its length). */
	chunkBytes = 0;

	constructor(
		private readonly db: Database.Database,
		private readonly codec: TableCodec,
		private readonly onPassed?: (row: RowValues, rowid: unknown) => void,
	) {
		this.ordered = ordersByUtf8(db, codec.spec.name);
	}

	/** The last id asked for (every one before it was asked in increasing order), if any. */
	get askedUpTo(): string | undefined {
		return this.lastAsked;
	}

	/**
	 * The rowid of the row the last get() found in a chunk; undefined when it found none or looked
	 * the row up by id. A write of that row can find it by rowid, a search fewer than by id.
	 */
	get foundRowid(): unknown {
		return this.lastRowid;
	}

	/** The live row with this id (as readLiveRow reads it), or undefined. */
	get(id: string): RowValues | undefined {
		this.lastRowid = undefined;
		if (this.ordered && this.lastAsked !== undefined && compareBinaryText(id, this.lastAsked) <= 0) this.ordered = false;
		// A lone surrogate (a crafted archive's JSON escape) reaches SQLite as U+FFFD: not in the walk's order.
		if (this.ordered && LONE_SURROGATE.test(id)) this.ordered = false;
		if (!this.ordered) return this.lookUp(id);
		this.lastAsked = id;
		for (;;) {
			while (this.position < this.chunk.length) {
				const row = this.chunk[this.position]!;
				const order = compareLiveId(row[0], id);
				if (order > 0) return undefined;
				this.position++;
				if (order === 0) {
					this.lastRowid = this.rowids[this.position - 1];
					return row;
				}
				if (this.onPassed) this.pass(row, this.rowids[this.position - 1]);
			}
			if (this.exhausted) return undefined;
			if (!this.fetch()) {
				this.ordered = false;
				return this.lookUp(id);
			}
		}
	}

	/**
	 * A live row passed: its id is none of the archive's. Not so sure of a number id (a foreign
	 * column without affinity), which SQLite compares with the archive's text ids as text.
	 */
	private pass(row: RowValues, rowid: unknown): void {
		if (typeof row[0] === 'bigint' || typeof row[0] === 'number') throw new IdsOutOfOrder(this.codec.spec.name);
		this.onPassed!(row, rowid);
	}

	/** Out of order: one look-up per id, unless the walk must see every live row it passes. */
	private lookUp(id: string): RowValues | undefined {
		if (this.onPassed) throw new IdsOutOfOrder(this.codec.spec.name);
		return readLiveRow(this.db, this.codec, id);
	}

	/** Reads the next chunk; false when the walk cannot go on in order (a NULL id ended the chunk). */
	private fetch(): boolean {
		const last = this.chunk.length > 0 ? this.chunk[this.chunk.length - 1]![0] : undefined;
		if (Buffer.isBuffer(last)) {
			// A BLOB id: only BLOBs follow, and none equals a text id.
			this.exhausted = true;
			this.chunk = [];
			this.rowids = [];
			return true;
		}
		if (last !== undefined && typeof last !== 'string' && !(last instanceof RawText)) return false;
		const table = this.codec.spec.name;
		const columns = `${this.codec.names.join(', ')}, _rowid_`;
		let statement: ExactStatement;
		let params: unknown[] = [];
		if (last === undefined) {
			this.first ??= prepareExact(this.db, table, this.codec.names, `SELECT ${columns} FROM ${table} ORDER BY id LIMIT ${CHUNK_ROWS}`);
			statement = this.first;
		} else if (last instanceof RawText) {
			this.nextRaw ??= prepareExact(this.db, table, this.codec.names, `SELECT ${columns} FROM ${table} WHERE id > CAST(? AS TEXT) ORDER BY id LIMIT ${CHUNK_ROWS}`);
			statement = this.nextRaw;
			params = [last.bytes];
		} else {
			this.nextText ??= prepareExact(this.db, table, this.codec.names, `SELECT ${columns} FROM ${table} WHERE id > ? ORDER BY id LIMIT ${CHUNK_ROWS}`);
			statement = this.nextText;
			params = [last];
		}
		// Rows can be large (a live row is not bounded as an archive's line is): the chunk stops at
		// CHUNK_BYTES, so the walk holds about what one SELECT per id held, not 256 large rows.
		const chunk: StoredValue[][] = [];
		const rowids: unknown[] = [];
		let bytes = 0;
		let cut = false;
		statement.each(params, (row, rowid) => {
			chunk.push(row);
			rowids.push(rowid);
			bytes += rowBytes(row);
			if (bytes >= CHUNK_BYTES && chunk.length < CHUNK_ROWS) {
				cut = true;
				return false;
			}
			return true;
		});
		this.chunk = chunk;
		this.rowids = rowids;
		this.chunkBytes = bytes;
		this.position = 0;
		if (!cut && chunk.length < CHUNK_ROWS) this.exhausted = true;
		return true;
	}
}
