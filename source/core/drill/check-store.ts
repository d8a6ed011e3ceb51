import {countOf} from '../format.js';
import {countCategories, listTenants, openGateway} from '../store/gateway-store.js';
import type {CheckOutcome} from './check-runner.js';
import {openScratchDb} from './check-counts.js';

/** SQLite's own checks on the restored database: integrity_check says ok, foreign_key_check finds nothing. */
export function checkIntegrity(scratch: string): CheckOutcome {
	const db = openScratchDb(scratch);
	try {
		const integrity = db.pragma('integrity_check') as Array<{integrity_check: string}>;
		const problems = integrity.map(row => row.integrity_check).filter(line => line !== 'ok');
		if (problems.length > 0 || integrity.length === 0) return {ok: false, detail: `integrity_check: ${problems[0] ?? 'no answer'}${problems.length > 1 ? ` (+${problems.length - 1} more)` : ''}`};
		const foreign = db.pragma('foreign_key_check') as Array<{table: string; rowid: number; parent: string}>;
		if (foreign.length > 0) return {ok: false, detail: `foreign_key_check: ${foreign[0]!.table} row ${foreign[0]!.rowid} has no parent in ${foreign[0]!.parent}${foreign.length > 1 ? ` (+${foreign.length - 1} more)` : ''}`};
		return {ok: true, detail: 'integrity_check ok, foreign_key_check empty'};
	} finally {
		db.close();
	}
}

/** The restored gateway opens with the store code the live gateway is read with, and its counts read. */
export function checkOpens(scratch: string): CheckOutcome {
	const store = openGateway(scratch, {readonly: true});
	try {
		const categories = countCategories(store);
		const tenants = listTenants(store).length;
		const rows = categories.reduce((sum, category) => sum + Object.values(category.tables).reduce((a, b) => a + b, 0), 0);
		return {ok: true, detail: `opened read-only: ${countOf(tenants, 'tenant')}, ${countOf(rows, 'row')} in ${countOf(categories.length, 'category').replace('categorys', 'categories')}`};
	} finally {
		store.close();
	}
}
