/**
 * Issue 11 §4, as a property over generated legal gateways (test/helpers/legal-gateway.ts): after
 * an overwrite restore over a live store that drifted from the backup (rows edited and deleted,
 * files edited and deleted, rows and files added), every row and file the backup holds is the
 * backup's (live secrets kept where the backup has the marker, as replace keeps them), and every
 * row and file the backup lacks is exactly as it was. Nothing is quarantined or deleted.
 *
 * Runs: LIFEBOAT_PROPERTY_RUNS (default 24) / 4 cases; LIFEBOAT_PROPERTY_SEED replays a failure.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import {describe, expect, it} from 'vitest';
import {createBackup} from '../source/core/backup/create-backup.js';
import {plainFileSource} from '../source/core/archive/archive-reader.js';
import {applyRestore, planRestore} from '../source/core/restore/index.js';
import {openGateway} from '../source/core/store/gateway-store.js';
import {allColumns, TABLES} from '../source/core/store/schema.js';
import {gatewayModel, materialise, readFiles, readTables} from './helpers/legal-gateway.js';
import {expectedTables, fileDifferences, filesToRestore, restoredTables, tableDifferences, type Tables} from './helpers/round-trip.js';

const RUNS = Math.max(1, Math.ceil(Number(process.env['LIFEBOAT_PROPERTY_RUNS'] ?? 24) / 4));
const SEED = process.env['LIFEBOAT_PROPERTY_SEED'] === undefined ? undefined : Number(process.env['LIFEBOAT_PROPERTY_SEED']);

type Action = 'keep' | 'delete' | 'edit';
/** An id no generated gateway holds (anyId's strings are safe ids, at most 12 odd characters, long plain runs or fixed names). */
const NO_ROW = 'live-only: no such row';
const DATA_TABLES = TABLES.filter(table => table.name !== 'tenants').map(table => table.name);

/** Applies the drift to a copy of the source: actions cycle over the rows and files, in order. */
function drift(copy: string, actions: readonly Action[], liveOnly: readonly string[]): void {
	let next = 0;
	const action = () => actions[next++ % actions.length]!;
	const store = openGateway(copy);
	try {
		const db = store.db;
		for (const table of DATA_TABLES) {
			for (const {id} of db.prepare(`SELECT id FROM ${table} ORDER BY rowid`).all() as Array<{id: unknown}>) {
				const what = action();
				if (what === 'delete') db.prepare(`DELETE FROM ${table} WHERE id = ?`).run(id);
				if (what === 'edit') db.prepare(`UPDATE ${table} SET updated_at = 'edited live' WHERE id = ?`).run(id);
			}
		}
		const tenant = (db.prepare(`SELECT id FROM tenants ORDER BY rowid LIMIT 1`).get() as {id: unknown}).id;
		for (const table of liveOnly) {
			const spec = TABLES.find(candidate => candidate.name === table)!;
			const values: Record<string, unknown> = {id: 'live-only row', tenant_id: tenant, created_at: 'x', updated_at: 'x'};
			// A reference to no row: an id the generator never makes ('' can be one, of another tenant's
			// row the backup brings, and the restore then rightly refuses to link two tenants).
			for (const column of spec.columns) {
				values[column.name] = column.ref ? NO_ROW : column.refList ? '[]' : column.nullable ? null : column.type === 'INTEGER' ? 1 : column.type === 'REAL' ? 0.5 : 'live only';
			}
			if (table === 'documents') values['ext'] = 'pdf';
			const names = allColumns(spec).map(column => column.name);
			db.prepare(`INSERT OR IGNORE INTO ${table} (${names.join(', ')}) VALUES (${names.map(() => '?').join(', ')})`).run(...names.map(name => values[name]));
		}
		db.pragma('wal_checkpoint(TRUNCATE)');
	} finally {
		store.close();
	}
	for (const file of Object.keys(readFiles(copy)).sort()) {
		const full = path.join(copy, ...file.split('/'));
		const what = action();
		if (what === 'delete') fs.rmSync(full);
		if (what === 'edit') fs.writeFileSync(full, file.endsWith('.json') ? '{"edited": "live"}\n' : 'edited live\n');
	}
	const agents = fs.readdirSync(path.join(copy, 'agents'));
	if (agents[0]) fs.writeFileSync(path.join(copy, 'agents', agents[0], 'LIVE-ONLY.md'), 'live only\n');
	fs.writeFileSync(path.join(copy, 'documents', 'text', 'live-only.txt'), 'live only\n');
}

/** The rows after the restore: the backup's where the backup has the id, the live ones (as before) elsewhere. */
function expectedAfter(source: Tables, before: Tables): Tables {
	const fromBackup = expectedTables(source, before);
	const out: Tables = {};
	for (const table of TABLES) {
		const backupIds = new Set(fromBackup[table.name]!.map(row => row['id']));
		out[table.name] = [...fromBackup[table.name]!, ...before[table.name]!.filter(row => !backupIds.has(row['id']))];
	}
	return out;
}

describe('overwrite restore (property)', () => {
	it('every backup row and file is the backup version afterwards; every other live row and file is unchanged', async () => {
		const arbitrary = fc.record({
			model: gatewayModel({maxRows: 3}),
			actions: fc.array(fc.constantFrom<Action>('keep', 'delete', 'edit'), {minLength: 1, maxLength: 12}),
			liveOnly: fc.subarray(DATA_TABLES, {maxLength: 4}),
		});
		await fc.assert(
			fc.asyncProperty(arbitrary, async ({model, actions, liveOnly}) => {
				const work = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-overwrite-'));
				try {
					const gateway = materialise(model, path.join(work, 'source'));
					const source = readTables(gateway.dataDir);
					const backup = await createBackup({dataDir: gateway.dataDir, out: path.join(work, 'backup.zip'), format: 'zip'});
					const copy = path.join(work, 'live');
					fs.cpSync(gateway.dataDir, copy, {recursive: true});
					drift(copy, actions, liveOnly);
					const before = readTables(copy);
					const beforeFiles = readFiles(copy);
					const keyFile = path.join(gateway.dataDir, 'keys', 'backup.key');
					const options = {source: plainFileSource(backup.path), dataDir: copy, mode: 'overwrite' as const, keyFile: fs.existsSync(keyFile) ? keyFile : undefined};
					const plan = await planRestore(options);
					const result = await applyRestore(options);
					expect(result.applied).toMatchObject({new: plan.totals.new, identical: plan.totals.identical, conflicts: plan.totals.conflicts, deleted: 0, quarantined: 0});
					expect(fs.existsSync(path.join(copy, 'quarantine'))).toBe(false);
					const expected = expectedAfter(source, before);
					expect(tableDifferences(expected, restoredTables(copy, expected))).toEqual([]);
					const backedUp = filesToRestore(gateway);
					const expectedFiles = {...Object.fromEntries(Object.entries(beforeFiles).filter(([file]) => !(file in backedUp))), ...backedUp};
					expect(fileDifferences(expectedFiles, readFiles(copy))).toEqual([]);
				} finally {
					fs.rmSync(work, {recursive: true, force: true});
				}
			}),
			{numRuns: RUNS, seed: SEED},
		);
	}, 600_000);
});
