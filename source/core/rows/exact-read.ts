import type Database from 'better-sqlite3';
import {RawText, type StoredValue} from './value-codec.js';

/**
 * Reading rows from SQLite without losing anything: integers come as BigInt (exact past 2^53),
 * BLOBs as Buffers, and TEXT that is not valid UTF-8 (which the driver would decode with U+FFFD
 * replacement characters) is read again as its bytes. Backup dumps and restore's live lookups
 * both read through here, so both sides see the same values.
 */
export type ExactStatement = {
	/** Rows as arrays in the selected columns' order (without the trailing rowid). */
	iterate(...params: unknown[]): IterableIterator<StoredValue[]>;
	/** Each row to `visit` (without a generator's cost per row) until it returns false; with its rowid. */
	each(params: readonly unknown[], visit: (row: StoredValue[], rowid: unknown) => boolean): void;
	get(...params: unknown[]): StoredValue[] | undefined;
	/** Every row at once (one call into SQLite: faster than iterate for a bounded chunk). */
	all(...params: unknown[]): StoredValue[][];
};

/**
 * `sql` selects the wanted columns of `table` followed by `_rowid_` as its last column; the
 * statement hands back the columns without it.
 */
export function prepareExact(db: Database.Database, table: string, columns: readonly string[], sql: string): ExactStatement {
	const statement = db.prepare(sql).raw(true).safeIntegers(true);
	const rawByColumn = new Map<string, Database.Statement>();
	const rawText = (column: string, rowid: unknown): Buffer | undefined => {
		let raw = rawByColumn.get(column);
		if (!raw) {
			raw = db.prepare(`SELECT CAST(${column} AS BLOB) FROM ${table} WHERE _rowid_ = ?`).pluck(true).safeIntegers(true);
			rawByColumn.set(column, raw);
		}
		return raw.get(rowid) as Buffer | undefined;
	};
	const finish = (row: unknown[]): StoredValue[] => {
		// Each row is a fresh array from the driver: the rowid is taken off it in place.
		const rowid = row.pop();
		const values = row as StoredValue[];
		for (let index = 0; index < values.length; index++) {
			const value = values[index];
			// Only text holding U+FFFD can have been decoded lossily; real U+FFFD text re-encodes to its bytes.
			if (typeof value !== 'string' || !value.includes('\uFFFD')) continue;
			const bytes = rawText(columns[index]!, rowid);
			if (bytes && !bytes.equals(Buffer.from(value, 'utf8'))) values[index] = new RawText(bytes);
		}
		return values;
	};
	return {
		*iterate(...params: unknown[]) {
			for (const row of statement.iterate(...params) as Iterable<unknown[]>) yield finish(row);
		},
		each(params, visit) {
			const rows = statement.iterate(...params) as IterableIterator<unknown[]>;
			try {
				for (let next = rows.next(); !next.done; next = rows.next()) {
					const rowid = next.value[next.value.length - 1];
					if (!visit(finish(next.value), rowid)) return;
				}
			} finally {
				// Closes the statement when the visit stops or throws (as leaving a for-of did): an open
				// one keeps the connection busy, and a ROLLBACK would then fail.
				rows.return?.();
			}
		},
		all(...params: unknown[]) {
			return (statement.all(...params) as unknown[][]).map(finish);
		},
		get(...params: unknown[]) {
			const row = statement.get(...params) as unknown[] | undefined;
			return row ? finish(row) : undefined;
		},
	};
}
