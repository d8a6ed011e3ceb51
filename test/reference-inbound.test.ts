import fc from 'fast-check';
import {describe, expect, it} from 'vitest';
import {LifeboatError} from '../source/core/errors.js';
import {ReferenceCheck} from '../source/core/rows/reference-check.js';
import {codecFor} from '../source/core/rows/table-codec.js';
import {openEmptyStore} from '../source/core/store/gateway-store.js';
import {TABLES, tableSpec} from '../source/core/store/schema.js';

/**
 * ReferenceCheck.inbound refuses a restore that would link a live row of one tenant to a row the
 * archive brings for another. A tenant's backup is answered through the tenant_id index (only live
 * rows of other tenants are read): it must refuse exactly when reading every live row would.
 */

const tenant = fc.constantFrom('ten_a', 'ten_b', 'ten_c', 'ten_\u{1F600}', 'ten_\uE000', '');
const agentId = fc.constantFrom('agt_1', 'agt_2', 'agt_3', 'agt_\u{10000}');

/** Whether any live row of any table points at an archive row of another tenant (every live row read). */
function crossLinked(db: ReturnType<typeof openEmptyStore>['db'], replaced: readonly string[]): boolean {
	const scope = replaced.length > 0 ? ` AND r.tenant_id NOT IN (${replaced.map(() => '?').join(', ')})` : '';
	return TABLES.some(table =>
		table.columns.some(
			column =>
				column.ref !== undefined &&
				db
					.prepare(`SELECT 1 FROM ${table.name} r JOIN temp.lifeboat_ref_ids i ON i.tbl = ? AND i.id = r.${column.name} WHERE i.tenant IS NOT r.tenant_id${scope} LIMIT 1`)
					.get(column.ref, ...replaced) !== undefined,
		),
	);
}

describe('ReferenceCheck.inbound', () => {
	it('refuses exactly when a live row points at an archive row of another tenant', () => {
		fc.assert(
			fc.property(
				fc.array(fc.record({tenant, agent: agentId}), {maxLength: 30}),
				fc.uniqueArray(fc.record({id: agentId, tenant}), {selector: row => row.id, maxLength: 4}),
				fc.boolean(),
				fc.subarray(['ten_a', 'ten_b', 'ten_\u{1F600}']),
				(live, archived, oneTenant, replaced) => {
					const store = openEmptyStore('/nonexistent-lifeboat-test');
					try {
						const insert = store.db.prepare(`INSERT INTO memory_entries (id, tenant_id, created_at, updated_at, agent_id, kind, content, importance, tags) VALUES (?, ?, 'c', 'u', ?, 'fact', 'x', 0.5, '[]')`);
						live.forEach((row, index) => insert.run(`mem_${index}`, row.tenant, row.agent));
						const check = new ReferenceCheck(store.db, {live: true, restored: new Set(['agents'])});
						const codec = codecFor(tableSpec('agents'));
						for (const row of archived) {
							const values = [row.id, oneTenant ? 'ten_a' : row.tenant, 'c', 'u', ...codec.names.slice(4).map(() => null)];
							check.row(codec, values, 'agents.jsonl');
						}
						// Ids that came in order wait in a batch: written out before the oracle reads them.
						check.flush();
						const expected = crossLinked(store.db, replaced);
						let refused: unknown;
						try {
							check.inbound({replaced});
						} catch (error) {
							refused = error;
						}
						expect(refused === undefined ? false : (refused as LifeboatError).code === 'conflict').toBe(expected);
						if (refused) expect((refused as Error).message).toMatch(/cross-tenant reference/);
					} finally {
						store.close();
					}
				},
			),
			{numRuns: 400},
		);
	});
});
