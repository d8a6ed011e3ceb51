import crypto from 'node:crypto';
import {LifeboatError} from '../errors.js';
import {scrubColumnValue} from '../redaction.js';
import {isSafeExt, isSafeId} from '../store/safe-ids.js';
import {allColumns, REDACTED_MARKER, type ColumnSpec, type TableSpec} from '../store/schema.js';

/** A row as an array of values in `allColumns(table)` order (id first, tenant_id second). */
export type RowValues = Array<string | number | null>;

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
	/** Indexes of columns holding one id: id, tenant_id and every `ref` column. */
	readonly idColumns: readonly number[];
	/** Indexes of `refList` columns (a JSON array of ids). */
	readonly idLists: readonly number[];
	/** Indexes of `scrub` columns (the backup holds them with embedded credentials redacted). */
	readonly scrubbed: readonly number[];
	/** Index of `documents.ext` (part of a file name). */
	readonly extColumn: number | undefined;
	readonly selectSql: string;
	readonly insertSql: string;
	readonly replaceSql: string;
};

const codecs = new Map<string, TableCodec>();

export function codecFor(table: TableSpec): TableCodec {
	let codec = codecs.get(table.name);
	if (codec) return codec;
	const columns = allColumns(table);
	const names = columns.map(column => column.name);
	const indexes = (predicate: (column: ColumnSpec) => boolean) => columns.flatMap((column, index) => (predicate(column) ? [index] : []));
	const placeholders = names.map(() => '?').join(', ');
	codec = {
		spec: table,
		columns,
		names,
		compared: indexes(column => !column.secret),
		redacted: indexes(column => column.secret === 'redact'),
		sealed: indexes(column => column.secret === 'encrypt'),
		idColumns: indexes(column => column.name === 'id' || column.name === 'tenant_id' || column.ref !== undefined),
		idLists: indexes(column => column.refList !== undefined),
		scrubbed: indexes(column => column.scrub === true),
		extColumn: table.name === 'documents' ? names.indexOf('ext') : undefined,
		selectSql: `SELECT ${names.join(', ')} FROM ${table.name} WHERE id = ?`,
		insertSql: `INSERT INTO ${table.name} (${names.join(', ')}) VALUES (${placeholders})`,
		replaceSql: `INSERT OR REPLACE INTO ${table.name} (${names.join(', ')}) VALUES (${placeholders})`,
	};
	codecs.set(table.name, codec);
	return codec;
}

/**
 * Checks one parsed JSONL row against the schema and returns its values in column order. An
 * archive is untrusted input: every problem is a one-line error naming the line ('corrupt-archive'
 * for a row that does not fit the schema, 'unsafe-archive' for ids that could not be used safely).
 *
 * Values must have the column's type: TEXT columns take strings, INTEGER and REAL columns finite
 * numbers, null only where the column is nullable (or secret). Ids end up in file paths
 * (agents/<id>/, documents/files/<id>.<ext>) and in references, so `id`, `tenant_id`, every `ref`
 * and every element of a `refList` must be a safe id (safe-ids.ts), and `documents.ext` a safe
 * extension.
 */
export function rowValues(codec: TableCodec, parsed: unknown, where: string): RowValues {
	if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw badRow(where, 'not a JSON object');
	const row = parsed as Record<string, unknown>;
	const values: RowValues = new Array(codec.names.length);
	for (let index = 0; index < codec.columns.length; index++) {
		const column = codec.columns[index]!;
		const value = Object.prototype.hasOwnProperty.call(row, column.name) ? row[column.name] : undefined;
		if (value === undefined) throw badRow(where, `missing column ${column.name}`);
		if (value === null) {
			if (!column.nullable && !column.secret) throw badRow(where, `${column.name} is null`);
			values[index] = null;
		} else if (typeof value === 'string') {
			if (column.type !== 'TEXT') throw badRow(where, `${column.name} should be a number`);
			values[index] = value;
		} else if (typeof value === 'number' && Number.isFinite(value)) {
			if (column.type === 'TEXT') throw badRow(where, `${column.name} should be text`);
			values[index] = value;
		} else {
			throw badRow(where, `${column.name} has an unsupported value`);
		}
	}
	if (Object.keys(row).length !== codec.names.length) throw badRow(where, `unknown column ${Object.keys(row).find(key => !codec.names.includes(key))}`);
	if (values[0] === null || values[1] === null) throw badRow(where, `${values[0] === null ? 'id' : 'tenant_id'} missing`);
	for (const index of codec.idColumns) {
		const value = values[index];
		if (value !== null && !isSafeId(value)) throw unsafeRow(where, `${codec.names[index]} ${quote(value)} is not a valid id (ids are letters, digits, _ and -)`);
	}
	for (const index of codec.idLists) {
		const value = values[index];
		if (value === null) continue;
		let list: unknown;
		try {
			list = JSON.parse(String(value));
		} catch {
			list = undefined;
		}
		if (!Array.isArray(list)) throw unsafeRow(where, `${codec.names[index]} should be a JSON list of ids`);
		const bad = list.find(item => !isSafeId(item));
		if (bad !== undefined) throw unsafeRow(where, `${codec.names[index]} holds ${quote(bad)}, which is not a valid id`);
	}
	if (codec.extColumn !== undefined && !isSafeExt(values[codec.extColumn])) {
		throw unsafeRow(where, `ext ${quote(values[codec.extColumn])} is not a valid file extension (letters and digits)`);
	}
	return values;
}

function quote(value: unknown): string {
	return JSON.stringify(String(value)).slice(0, 80);
}

function badRow(where: string, problem: string): LifeboatError {
	return new LifeboatError('corrupt-archive', `${where}: ${problem}; nothing was restored`);
}

function unsafeRow(where: string, problem: string): LifeboatError {
	return new LifeboatError('unsafe-archive', `${where}: ${problem}; nothing was restored`);
}

/**
 * Content comparison of two rows over every column except the secret ones: the backup holds
 * markers (or a pointer to the sealed 2FA block) where the live row holds the secret, so secrets
 * can neither make a row look changed nor be overwritten by a marker. Compares the values
 * directly (what a content hash would stand for, without hashing both sides of a million rows).
 */
export function sameContent(codec: TableCodec, a: readonly unknown[], b: readonly unknown[]): boolean {
	for (const index of codec.compared) if (!sameValue(codec, index, a[index], b[index])) return false;
	return true;
}

/**
 * One compared column. A `scrub` column is compared as it would be backed up (scrubbing is
 * idempotent), so a live value holding credentials equals the backup's redacted copy of it.
 */
export function sameValue(codec: TableCodec, index: number, a: unknown, b: unknown): boolean {
	if ((a ?? null) === (b ?? null)) return true;
	if (!codec.scrubbed.includes(index) || typeof a !== 'string' || typeof b !== 'string') return false;
	return scrubColumnValue(a) === scrubColumnValue(b);
}

/** A stable hash of a row's compared columns (for reports and quarantine; not used to decide). */
export function contentHash(codec: TableCodec, values: readonly unknown[]): string {
	const compared = codec.compared.map(index => values[index] ?? null);
	return crypto.createHash('sha1').update(JSON.stringify(compared)).digest('base64');
}

/** Names of the compared (non-secret) columns whose values differ. */
export function changedColumns(codec: TableCodec, a: readonly unknown[], b: readonly unknown[]): string[] {
	return codec.compared.filter(index => !sameValue(codec, index, a[index], b[index])).map(index => codec.names[index]!);
}

export function valuesToObject(codec: TableCodec, values: readonly unknown[]): Record<string, unknown> {
	const out: Record<string, unknown> = {};
	codec.names.forEach((name, index) => {
		out[name] = values[index] ?? null;
	});
	return out;
}

/** True when a live secret value is a real secret (not null, not a marker left by an earlier restore). */
export function isLiveSecret(value: unknown): boolean {
	return value !== null && value !== undefined && value !== REDACTED_MARKER;
}
