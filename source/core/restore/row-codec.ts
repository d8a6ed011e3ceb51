import crypto from 'node:crypto';
import {LifeboatError} from '../errors.js';
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
		selectSql: `SELECT ${names.join(', ')} FROM ${table.name} WHERE id = ?`,
		insertSql: `INSERT INTO ${table.name} (${names.join(', ')}) VALUES (${placeholders})`,
		replaceSql: `INSERT OR REPLACE INTO ${table.name} (${names.join(', ')}) VALUES (${placeholders})`,
	};
	codecs.set(table.name, codec);
	return codec;
}

/**
 * Checks one parsed JSONL row against the schema and returns its values in column order. An
 * archive is untrusted input: every problem is a one-line 'corrupt-archive' error naming the line.
 */
export function rowValues(codec: TableCodec, parsed: unknown, where: string): RowValues {
	if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw badRow(where, 'not a JSON object');
	const row = parsed as Record<string, unknown>;
	const values: RowValues = new Array(codec.names.length);
	for (let index = 0; index < codec.columns.length; index++) {
		const column = codec.columns[index]!;
		const value = row[column.name];
		if (value === undefined) throw badRow(where, `missing column ${column.name}`);
		if (value === null) {
			if (!column.nullable && !column.secret) throw badRow(where, `${column.name} is null`);
			values[index] = null;
		} else if (typeof value === 'string') {
			values[index] = value;
		} else if (typeof value === 'number' && Number.isFinite(value)) {
			if (column.type === 'TEXT') throw badRow(where, `${column.name} should be text`);
			values[index] = value;
		} else {
			throw badRow(where, `${column.name} has an unsupported value`);
		}
	}
	if (Object.keys(row).length !== codec.names.length) throw badRow(where, `unknown column ${Object.keys(row).find(key => !codec.names.includes(key))}`);
	if (typeof values[0] !== 'string' || values[0].length === 0 || values[0].length > 200) throw badRow(where, 'id missing or invalid');
	if (typeof values[1] !== 'string' || values[1].length === 0) throw badRow(where, 'tenant_id missing');
	return values;
}

function badRow(where: string, problem: string): LifeboatError {
	return new LifeboatError('corrupt-archive', `${where}: ${problem}; nothing was restored`);
}

/**
 * Content comparison of two rows over every column except the secret ones: the backup holds
 * markers (or a pointer to the sealed 2FA block) where the live row holds the secret, so secrets
 * can neither make a row look changed nor be overwritten by a marker. Compares the values
 * directly (what a content hash would stand for, without hashing both sides of a million rows).
 */
export function sameContent(codec: TableCodec, a: readonly unknown[], b: readonly unknown[]): boolean {
	for (const index of codec.compared) if ((a[index] ?? null) !== (b[index] ?? null)) return false;
	return true;
}

/** A stable hash of a row's compared columns (for reports and quarantine; not used to decide). */
export function contentHash(codec: TableCodec, values: readonly unknown[]): string {
	const compared = codec.compared.map(index => values[index] ?? null);
	return crypto.createHash('sha1').update(JSON.stringify(compared)).digest('base64');
}

/** Names of the compared (non-secret) columns whose values differ. */
export function changedColumns(codec: TableCodec, a: readonly unknown[], b: readonly unknown[]): string[] {
	return codec.compared.filter(index => (a[index] ?? null) !== (b[index] ?? null)).map(index => codec.names[index]!);
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
