import type {BackupMetadata} from '../archive/archive-format.js';
import {countOf, formatCount} from '../format.js';
import {countDanglingReferences, referenceColumns} from '../rows/dangling-references.js';
import {showId} from '../rows/value-codec.js';
import type {CheckOutcome} from './check-runner.js';
import {openScratchDb} from './check-counts.js';

/**
 * Every ref / refList of the restored rows resolves to a row of the same tenant, except the
 * dangling references the source gateway already held (metadata.danglingReferences): a column
 * with more than the backup recorded fails, naming it and one row; one with fewer, or a record for
 * a column that is not checked, fails too (the record does not describe the backup's rows, and an
 * inflated record must not let broken references through). Backups made before that
 * field existed pass with how many dangle, said plainly. References into tables outside the
 * backup's categories are not checked (a partial backup leaves those tables out).
 */
export function checkReferences(scratch: string, metadata: BackupMetadata): CheckOutcome {
	const db = openScratchDb(scratch);
	let counts;
	try {
		counts = countDanglingReferences(db, metadata.categories);
	} finally {
		db.close();
	}
	const columns = referenceColumns(metadata.categories).length;
	const dangling = Object.values(counts).reduce((sum, count) => sum + count.count, 0);
	const recorded = metadata.danglingReferences;
	if (!recorded) {
		return {ok: true, detail: `${countOf(columns, 'reference column')} checked; ${formatCount(dangling)} dangle, and this backup does not record how many dangled on the source gateway (made before Lifeboat recorded it)`};
	}
	const unknown = Object.keys(recorded).find(key => !Object.hasOwn(counts, key));
	if (unknown !== undefined) {
		return {ok: false, detail: `metadata.json records dangling references for ${JSON.stringify(unknown.slice(0, 80))}, not a reference column of this backup's categories`};
	}
	for (const [key, count] of Object.entries(counts)) {
		const had = Object.hasOwn(recorded, key) ? recorded[key]! : 0;
		if (count.count > had) {
			return {ok: false, detail: `${key}: ${formatCount(count.count)} dangling reference${count.count === 1 ? '' : 's'} after the restore, the source gateway had ${formatCount(had)} (e.g. ${key.split('.')[0]} ${showId(count.example ?? '')})`};
		}
		// The scratch store holds exactly the backup's rows: fewer than recorded means the record does not describe them.
		if (count.count < had) return {ok: false, detail: `${key}: ${formatCount(count.count)} dangling reference${count.count === 1 ? '' : 's'} after the restore, but metadata.json records ${formatCount(had)} on the source gateway`};
	}
	const legal = dangling > 0 ? `; ${formatCount(dangling)} dangle as they did on the source gateway` : '';
	return {ok: true, detail: `${countOf(columns, 'reference column')} resolve within their tenant${legal}`};
}
