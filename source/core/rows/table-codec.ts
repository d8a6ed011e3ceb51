import type Database from 'better-sqlite3';
import {LifeboatError} from '../errors.js';
import {redactJson, scrubColumnValue, scrubTextBytes, textFileMarkers} from '../redaction.js';
import {allColumns, REDACTED_MARKER, type ColumnSpec, type TableSpec} from '../store/schema.js';
import {prepareExact, type ExactStatement} from './exact-read.js';
import {bindValue, decodeValue, displayValue, encodeValue, isProblem, RawText, sameStored, type StoredValue} from './value-codec.js';

/** A row as an array of values in `allColumns(table)` order (id first, tenant_id second). */
export type RowValues = StoredValue[];

export type TableCodec = {
	readonly spec: TableSpec;
	readonly columns: readonly ColumnSpec[];
	readonly names: readonly string[];
	/** Indexes of the columns compared between backup and live (every column but the secret ones). */
	readonly compared: readonly number[];
	/** Indexes of `redact` columns (the backup holds REDACTED_MARKER). */
	readonly redacted: readonly number[];
	/** Indexes of `encrypt` columns (the backup holds a pointer into the sealed 2FA block). */
	readonly sealed: readonly number[];
	/** Indexes of `ref` columns, with the table each points into. */
	readonly refs: ReadonlyArray<{index: number; table: string}>;
	/** Indexes of `refList` columns (a JSON array of ids), with the table the ids point into. */
	readonly refLists: ReadonlyArray<{index: number; table: string}>;
	/** Indexes of `scrub` columns (the backup holds them with embedded credentials redacted). */
	readonly scrubbed: readonly number[];
	/** Index of `documents.ext` (part of a file name). */
	readonly extColumn: number | undefined;
};

const codecs = new Map<string, TableCodec>();

export function codecFor(table: TableSpec): TableCodec {
	let codec = codecs.get(table.name);
	if (codec) return codec;
	const columns = allColumns(table);
	const names = columns.map(column => column.name);
	const indexes = (predicate: (column: ColumnSpec) => boolean) => columns.flatMap((column, index) => (predicate(column) ? [index] : []));
	codec = {
		spec: table,
		columns,
		names,
		compared: indexes(column => !column.secret),
		redacted: indexes(column => column.secret === 'redact'),
		sealed: indexes(column => column.secret === 'encrypt'),
		refs: columns.flatMap((column, index) => (column.ref ? [{index, table: column.ref}] : [])),
		refLists: columns.flatMap((column, index) => (column.refList ? [{index, table: column.refList}] : [])),
		scrubbed: indexes(column => column.scrub === true),
		extColumn: table.name === 'documents' ? names.indexOf('ext') : undefined,
	};
	codecs.set(table.name, codec);
	return codec;
}

/**
 * Why an `id` or `tenant_id` value cannot be carried, or undefined when it can. Rows are matched,
 * scoped and quarantined by these two, so they must be text (any text: dots, colons, slashes,
 * empty or long ids are all fine); a NULL, number, BLOB or non-UTF-8 key is refused by backup and
 * restore alike.
 */
export function keyProblem(value: StoredValue | undefined): string | undefined {
	if (typeof value === 'string') return undefined;
	if (value === null || value === undefined) return 'is NULL';
	if (value instanceof RawText) return 'is not valid UTF-8 text';
	return `is a ${typeof value === 'bigint' || typeof value === 'number' ? 'number' : 'BLOB'}, not text`;
}

/** The tenant a row belongs to: a tenant row by its own id (its tenant_id may say 'system'), any other by tenant_id. */
export function rowTenant(codec: TableCodec, values: readonly StoredValue[]): string {
	return (codec.spec.name === 'tenants' ? values[0] : values[1]) as string;
}

/** A row as it is written to a backup's JSONL: column name → encoded value. */
export function encodeRow(codec: TableCodec, values: readonly StoredValue[]): Record<string, unknown> {
	const out: Record<string, unknown> = {};
	codec.columns.forEach((column, index) => {
		out[column.name] = encodeValue(values[index] ?? null, column.type);
	});
	return out;
}

/**
 * Checks one parsed JSONL row against the schema and returns its values in column order. An
 * archive is untrusted input: every problem is a one-line 'corrupt-archive' error naming the line.
 * Values decode by column type (value-codec.ts); null only where the column is nullable (or
 * secret); id and tenant_id must be text (keyProblem). Ids are not otherwise restricted: where one
 * names a file, archive-paths.ts checks the name.
 */
export function rowValues(codec: TableCodec, parsed: unknown, where: string): RowValues {
	if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw badRow(where, 'not a JSON object');
	const row = parsed as Record<string, unknown>;
	const values: RowValues = new Array(codec.names.length);
	for (let index = 0; index < codec.columns.length; index++) {
		const column = codec.columns[index]!;
		const raw = Object.prototype.hasOwnProperty.call(row, column.name) ? row[column.name] : undefined;
		if (raw === undefined) throw badRow(where, `missing column ${column.name}`);
		const value = decodeValue(raw, column.type);
		if (isProblem(value)) throw badRow(where, `${column.name} ${value.problem}`);
		if (value === null && !column.nullable && !column.secret) throw badRow(where, `${column.name} is null`);
		values[index] = value;
	}
	if (Object.keys(row).length !== codec.names.length) throw badRow(where, `unknown column ${Object.keys(row).find(key => !codec.names.includes(key))}`);
	for (const index of [0, 1]) {
		const problem = keyProblem(values[index]);
		if (problem) throw badRow(where, `${codec.names[index]} ${problem}`);
	}
	return values;
}

/** One JSONL line of a table as row values: JSON first, then rowValues; one error naming the line. */
export function parseRow(codec: TableCodec, line: string, where: string): RowValues {
	let parsed: unknown;
	try {
		parsed = JSON.parse(line);
	} catch {
		throw badRow(where, 'not valid JSON');
	}
	return rowValues(codec, parsed, where);
}

function badRow(where: string, problem: string): LifeboatError {
	return new LifeboatError('corrupt-archive', `${where}: ${problem}; nothing was restored`);
}

/**
 * Content comparison of two rows over every column except the secret ones: the backup holds
 * markers (or a pointer to the sealed 2FA block) where the live row holds the secret, so secrets
 * can neither make a row look changed nor be overwritten by a marker.
 */
export function sameContent(codec: TableCodec, a: readonly StoredValue[], b: readonly StoredValue[]): boolean {
	for (const index of codec.compared) if (!sameValue(codec, index, a[index], b[index])) return false;
	return true;
}

/**
 * One compared column, exactly (storage class and value). A `scrub` column is compared as it would
 * be backed up (scrubbing is idempotent), so a live value holding credentials equals the backup's
 * redacted copy of it.
 */
export function sameValue(codec: TableCodec, index: number, a: StoredValue | undefined, b: StoredValue | undefined): boolean {
	if (sameStored(a, b)) return true;
	if (!codec.scrubbed.includes(index)) return false;
	if (sameStored(scrubStored(a ?? null), scrubStored(b ?? null))) return true;
	// Backups made before scrubbing kept JSON text as written held such a value re-serialized.
	const legacy = typeof a === 'string' && typeof b === 'string' ? legacyScrubbedJson(a) : undefined;
	return legacy !== undefined && legacy === legacyScrubbedJson(b as string);
}

/** A JSON `scrub` value as older backups held it (parsed, redacted, re-serialized when redacted). */
function legacyScrubbedJson(text: string): string | undefined {
	if (!/^\s*[{[]/.test(text)) return undefined;
	try {
		const result = redactJson(JSON.parse(text));
		return result.redacted.length > 0 ? JSON.stringify(result.value) : text;
	} catch {
		return undefined;
	}
}

/**
 * A `scrub` column's value as a backup holds it, whatever its storage class: text scrubbed as text
 * (JSON redacted), and TEXT that is not UTF-8 or a BLOB scrubbed as bytes, keeping its class.
 */
export function scrubStored(value: StoredValue): StoredValue {
	if (typeof value === 'string') return scrubColumnValue(value);
	if (value instanceof RawText || Buffer.isBuffer(value)) {
		const bytes = value instanceof RawText ? value.bytes : value;
		const scrubbed = scrubTextBytes(bytes).bytes;
		if (scrubbed === bytes) return value;
		return value instanceof RawText ? new RawText(scrubbed) : scrubbed;
	}
	return value;
}

/** True when a value (text or bytes) holds the redaction marker. */
export function holdsMarker(value: StoredValue): boolean {
	if (typeof value === 'string') return value.includes(REDACTED_MARKER);
	// Bytes are read as scrubTextBytes reads them (a UTF-16 value holds the marker in UTF-16).
	if (value instanceof RawText || Buffer.isBuffer(value)) return textFileMarkers(value instanceof RawText ? value.bytes : value).count > 0;
	return false;
}

/** Names of the compared (non-secret) columns whose values differ. */
export function changedColumns(codec: TableCodec, a: readonly StoredValue[], b: readonly StoredValue[]): string[] {
	return codec.compared.filter(index => !sameValue(codec, index, a[index], b[index])).map(index => codec.names[index]!);
}

/** A row for people to read (conflict views): BLOBs and big integers shown as text. */
export function displayRow(codec: TableCodec, values: readonly StoredValue[]): Record<string, unknown> {
	const out: Record<string, unknown> = {};
	codec.names.forEach((name, index) => {
		out[name] = displayValue(values[index]);
	});
	return out;
}

/** True when a live secret value is a real secret (not null, not a marker left by an earlier restore). */
export function isLiveSecret(value: unknown): boolean {
	return value !== null && value !== undefined && value !== REDACTED_MARKER;
}

const liveReaders = new WeakMap<Database.Database, Map<string, ExactStatement>>();

/** The live row with this id, read exactly (exact-read.ts); one prepared statement per table and connection. */
export function readLiveRow(db: Database.Database, codec: TableCodec, id: StoredValue): RowValues | undefined {
	let byTable = liveReaders.get(db);
	if (!byTable) liveReaders.set(db, (byTable = new Map()));
	let statement = byTable.get(codec.spec.name);
	if (!statement) {
		const sql = `SELECT ${codec.names.join(', ')}, _rowid_ FROM ${codec.spec.name} WHERE id = ?`;
		statement = prepareExact(db, codec.spec.name, codec.names, sql);
		byTable.set(codec.spec.name, statement);
	}
	return statement.get(bindValue(id).param);
}

const writers = new WeakMap<Database.Database, Map<string, Database.Statement>>();

/**
 * Inserts (or with `replace`, inserts or replaces) a row, binding every value as its own storage
 * class: TEXT that is not valid UTF-8 goes in through CAST(? AS TEXT) so its bytes are kept.
 */
export function writeRow(db: Database.Database, codec: TableCodec, values: readonly StoredValue[], options: {replace?: boolean} = {}): Database.RunResult {
	const bound = values.map(value => bindValue(value ?? null));
	const placeholders = bound.map(value => (value.castText ? 'CAST(? AS TEXT)' : '?'));
	const key = `${options.replace ? 'replace' : 'insert'}:${codec.spec.name}:${placeholders.join(',')}`;
	let byKey = writers.get(db);
	if (!byKey) writers.set(db, (byKey = new Map()));
	let statement = byKey.get(key);
	if (!statement) {
		statement = db.prepare(`INSERT${options.replace ? ' OR REPLACE' : ''} INTO ${codec.spec.name} (${codec.names.join(', ')}) VALUES (${placeholders.join(', ')})`);
		byKey.set(key, statement);
	}
	return statement.run(...bound.map(value => value.param));
}

function referencedByForeignKey(db: Database.Database, table: string): boolean {
	const tables = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).pluck(true).all() as string[];
	return tables.some(name => (db.pragma(`foreign_key_list(${JSON.stringify(name)})`) as Array<{table: string}>).some(key => key.table.toLowerCase() === table.toLowerCase()));
}

type Updater = {byId: Database.Statement; byRowid: Database.Statement};

const updaters = new WeakMap<Database.Database, Map<string, Updater | null>>();

/**
 * The UPDATE that rewrites a live row in place (its id and tenant kept), when it leaves the table
 * as INSERT OR REPLACE would: no trigger, no enforced foreign key pointing at it, no UNIQUE index but the id's
 * (REPLACE would delete another row clashing on one), no column but the codec's. Null when not so.
 */
function updater(db: Database.Database, codec: TableCodec): Updater | null {
	let byTable = updaters.get(db);
	if (!byTable) updaters.set(db, (byTable = new Map()));
	const table = codec.spec.name;
	let statement = byTable.get(table);
	if (statement !== undefined) return statement;
	// A trigger keeps its table's name as its CREATE TRIGGER spelled it: any case.
	const triggers = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ? COLLATE NOCASE UNION ALL SELECT 1 FROM sqlite_temp_master WHERE type = 'trigger' AND tbl_name = ? COLLATE NOCASE`).all(table, table);
	// REPLACE gives a live column the backup does not carry its default; an UPDATE would keep its value.
	const live = (db.pragma(`table_xinfo(${table})`) as Array<{name: string}>).map(column => column.name.toLowerCase());
	const sameColumns = live.length === codec.names.length && codec.names.every(name => live.includes(name.toLowerCase()));
	const indexes = db.pragma(`index_list(${table})`) as Array<{name: string; unique: number; origin: string; partial: number}>;
	const otherUnique = indexes.some(index => index.unique && index.origin !== 'pk');
	// The id alone is the primary key: `WHERE id = ?` finds one row at most.
	const key = indexes.find(index => index.unique && index.origin === 'pk' && !index.partial);
	const keyColumns = key ? (db.pragma(`index_info(${JSON.stringify(key.name)})`) as Array<{name: string | null}>) : [];
	const primary = keyColumns.length === 1 && keyColumns[0]!.name === 'id';
	// REPLACE deletes the live row, which sets off the foreign key actions of rows pointing at it.
	const foreignKeys = db.pragma('foreign_keys', {simple: true}) !== 0 && referencedByForeignKey(db, table);
	const plain = triggers.length === 0 && sameColumns && !otherUnique && primary && !foreignKeys && codec.names[0] === 'id' && codec.names[1] === 'tenant_id';
	const set = `UPDATE ${table} SET ${codec.names.slice(2).map(name => `${name} = ?`).join(', ')}`;
	statement = plain ? {byId: db.prepare(`${set} WHERE id = ?`), byRowid: db.prepare(`${set} WHERE _rowid_ = ? AND id = ?`)} : null;
	byTable.set(table, statement);
	return statement;
}

/**
 * Whether a row of this live table is written as the codec sees it and nothing else: no trigger, no
 * UNIQUE index but the id's, no foreign key pointing at it, the codec's columns (see updater). A
 * write then changes that one row, and no other row of the table.
 */
export function writesInPlace(db: Database.Database, codec: TableCodec): boolean {
	return updater(db, codec) !== null;
}

/**
 * Rewrites the live row with this row's id and tenant in place, as INSERT OR REPLACE would leave
 * it (cheaper: no row moved, no index touched). False when that cannot be done so (a NULL or
 * non-UTF-8 value, a table with triggers or other UNIQUE indexes, no such live row): write it
 * with writeRow then.
 */
export function updateRow(db: Database.Database, codec: TableCodec, values: readonly StoredValue[], rowid?: unknown): boolean {
	for (const value of values) if (value === null || value === undefined || value instanceof RawText) return false;
	const statements = updater(db, codec);
	if (!statements) return false;
	const params = values.slice(2) as unknown[];
	// By rowid (one B-tree search instead of the id index's and then the table's), where the row
	// there still has this id; else by id.
	if (typeof rowid === 'bigint' || typeof rowid === 'number') {
		if (statements.byRowid.run([...params, rowid, values[0]]).changes === 1) return true;
	}
	params.push(values[0]);
	return statements.byId.run(params).changes === 1;
}
