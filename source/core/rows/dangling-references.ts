import type Database from 'better-sqlite3';
import {CATEGORIES, TABLES, type CategoryId} from '../store/schema.js';
import {prepareExact} from './exact-read.js';
import {listedIds} from './reference-check.js';

/**
 * Dangling references: a `ref` value (non-empty text) or a `refList` element that names no row of
 * the same tenant in the target table. They are legal gateway data (reference-check.ts), so a
 * backup records how many each `table.column` holds (metadata.danglingReferences) and `lifeboat
 * drill` checks that the restored store holds no more than that. Both sides count with this
 * module, so they agree on what dangles. Only columns whose table and target are both in the given
 * categories are counted (a partial backup leaves the others out on purpose).
 *
 * Work is one indexed look-up per reference; memory is one row at a time.
 */

export type ReferenceColumn = {table: string; column: string; target: string; list: boolean};

/** `table.column` of every ref / refList whose table and target table are both in `categories`. */
export function referenceColumns(categories: readonly CategoryId[]): ReferenceColumn[] {
	const tables = new Set(CATEGORIES.filter(category => categories.includes(category.id)).flatMap(category => category.tables));
	const out: ReferenceColumn[] = [];
	for (const table of TABLES) {
		if (!tables.has(table.name)) continue;
		for (const column of table.columns) {
			const target = column.ref ?? column.refList;
			if (target && tables.has(target)) out.push({table: table.name, column: column.name, target, list: Boolean(column.refList)});
		}
	}
	return out;
}

export type DanglingCount = {count: number; /** The id of one row holding a dangling reference. */ example?: string};

/**
 * Per `table.column`, the dangling references of the rows in scope (one tenant's, or all), each
 * with one row id as an example. Runs inside whatever transaction the caller holds.
 */
export function countDanglingReferences(db: Database.Database, categories: readonly CategoryId[], tenantId?: string): Record<string, DanglingCount> {
	const counts: Record<string, DanglingCount> = {};
	for (const reference of referenceColumns(categories)) {
		counts[`${reference.table}.${reference.column}`] = reference.list ? danglingInLists(db, reference, tenantId) : danglingRefs(db, reference, tenantId);
	}
	return counts;
}

function danglingRefs(db: Database.Database, {table, column, target}: ReferenceColumn, tenantId: string | undefined): DanglingCount {
	const where = `FROM ${table} r WHERE typeof(r.${column}) = 'text' AND r.${column} <> ''
		AND NOT EXISTS (SELECT 1 FROM ${target} t WHERE t.id = r.${column} AND t.tenant_id IS r.tenant_id)${tenantId === undefined ? '' : ' AND r.tenant_id = ?'}`;
	const params = tenantId === undefined ? [] : [tenantId];
	const count = Number(db.prepare(`SELECT COUNT(*) ${where}`).pluck(true).get(...params));
	if (count === 0) return {count};
	const example = db.prepare(`SELECT r.id ${where} ORDER BY r.id LIMIT 1`).pluck(true).get(...params);
	return {count, example: String(example)};
}

function danglingInLists(db: Database.Database, {table, column, target}: ReferenceColumn, tenantId: string | undefined): DanglingCount {
	const resolves = db.prepare(`SELECT 1 FROM ${target} WHERE id = ? AND tenant_id IS ?`).pluck(true);
	const rows = prepareExact(db, table, ['id', 'tenant_id', column], `SELECT id, tenant_id, ${column}, _rowid_ FROM ${table}${tenantId === undefined ? '' : ' WHERE tenant_id = ?'}`);
	let count = 0;
	let example: string | undefined;
	for (const [id, tenant, list] of rows.iterate(...(tenantId === undefined ? [] : [tenantId]))) {
		// Ids and tenant ids are text (backup refuses anything else); other rows hold no resolvable reference.
		if (typeof tenant !== 'string') continue;
		for (const targetId of listedIds(list ?? null)) {
			if (resolves.get(targetId, tenant) !== undefined) continue;
			count++;
			if (example === undefined || String(id) < example) example = String(id);
		}
	}
	return count === 0 ? {count} : {count, example};
}
