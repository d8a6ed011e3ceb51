import Database from 'better-sqlite3';
import type {BackupMetadata} from '../archive/archive-format.js';
import {countOf, formatCount} from '../format.js';
import type {RestoreResult} from '../restore/index.js';
import {gatewayPaths} from '../store/gateway-paths.js';
import {CATEGORIES} from '../store/schema.js';
import type {CheckOutcome} from './check-runner.js';

export function openScratchDb(scratch: string): Database.Database {
	return new Database(gatewayPaths(scratch).database, {readonly: true, fileMustExist: true});
}

/**
 * The audit entries the restore itself wrote: one per restored tenant that exists afterwards
 * (restore-engine.ts writeRestoreAudit). Counted from the restore's scope, not by looking for
 * them, so a backup holding one audit row too many still fails.
 */
function restoreAuditRows(db: Database.Database, result: RestoreResult): number {
	const exists = db.prepare(`SELECT 1 FROM tenants WHERE id = ?`).pluck(true);
	return result.plan.scopeTenantIds.filter(id => exists.get(id) !== undefined).length;
}

/**
 * Every table of the backup's categories holds, in the scratch store, exactly the rows
 * metadata.counts says (plus, in audit_log, the restore's own entries). The scratch store holds
 * only this backup, so a one-tenant backup's counts compare whole tables too.
 */
export function checkCounts(scratch: string, metadata: BackupMetadata, result: RestoreResult): CheckOutcome {
	const db = openScratchDb(scratch);
	try {
		let tables = 0;
		let rows = 0;
		for (const category of CATEGORIES) {
			if (!metadata.categories.includes(category.id)) continue;
			const counts = metadata.counts[category.id];
			if (!counts) return {ok: false, detail: `metadata.json has no counts for ${category.id}`};
			for (const table of category.tables) {
				const recorded = counts.tables[table];
				if (recorded === undefined) return {ok: false, detail: `metadata.json has no row count for ${table}`};
				const own = table === 'audit_log' ? restoreAuditRows(db, result) : 0;
				const actual = Number(db.prepare(`SELECT COUNT(*) FROM ${table}`).pluck(true).get()) - own;
				if (actual !== recorded) {
					const audit = own > 0 ? ` (besides the restore's own ${countOf(own, 'audit entry').replace('entrys', 'entries')})` : '';
					return {ok: false, detail: `${table}: ${countOf(actual, 'row')} restored${audit}, metadata says ${formatCount(recorded)}`};
				}
				tables++;
				rows += actual;
			}
		}
		return {ok: true, detail: `${countOf(tables, 'table')}, ${countOf(rows, 'row')} as in metadata.json`};
	} finally {
		db.close();
	}
}
