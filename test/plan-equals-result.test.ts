import fs from 'node:fs';
import path from 'node:path';
import {beforeAll, describe, expect, it} from 'vitest';
import {verifyBackup} from '../source/core/backup/verify-backup.js';
import {applyRestore, formatResult, planRestore, type CategoryPlan, type RestoreMode, type RestorePlan} from '../source/core/restore/index.js';
import {runCli} from './helpers/run-cli.js';
import {backupOf, copyGateway, demoGateway, exec, query} from './restore-support.js';

/**
 * The dry run and the restore count the same things (issue 9 §2.7): every per-category count of the
 * plan (new, identical, conflicting, to delete; rows and files alike) equals what the restore
 * reports, and the result's totals equal the plan's.
 */

type Counts = {new: number; identical: number; conflicts: number; toDelete: number};

function pick(counts: Counts): Counts {
	return {new: counts.new, identical: counts.identical, conflicts: counts.conflicts, toDelete: counts.toDelete};
}

function perCategory(categories: readonly CategoryPlan[]): Record<string, {all: Counts; files: Counts}> {
	return Object.fromEntries(categories.map(category => [category.category, {all: pick(category), files: pick(category.fileCounts)}]));
}

/** Edits rows and files of every kind: new (deleted live), conflicting (edited), to delete (added live). */
function modify(dataDir: string): void {
	const memory = query<{id: string}>(dataDir, 'SELECT id FROM memory_entries ORDER BY id LIMIT 3').map(row => row.id);
	for (const id of memory) exec(dataDir, `UPDATE memory_entries SET content = content || ' (edited)' WHERE id = ?`, id);
	exec(dataDir, 'DELETE FROM tasks WHERE id IN (SELECT id FROM tasks ORDER BY id LIMIT 2)');
	const tenant = query<{id: string}>(dataDir, 'SELECT id FROM tenants ORDER BY id LIMIT 1')[0]!.id;
	const agent = query<{id: string}>(dataDir, 'SELECT id FROM agents WHERE tenant_id = ? ORDER BY id LIMIT 1', tenant)[0]!.id;
	exec(dataDir, `INSERT INTO memory_entries (id, tenant_id, created_at, updated_at, agent_id, kind, content, importance, tags) VALUES ('mem_added0001', ?, '2026-02-01', '2026-02-01', ?, 'fact', 'added after the backup', 0.5, '[]')`, tenant, agent);
	fs.appendFileSync(path.join(dataDir, 'agents', agent, 'SOUL.md'), '\nEdited after the backup.\n');
	fs.writeFileSync(path.join(dataDir, 'agents', agent, 'EXTRA.md'), 'Only live.\n');
	const doc = query<{id: string; ext: string}>(dataDir, 'SELECT id, ext FROM documents ORDER BY id LIMIT 1')[0]!;
	fs.rmSync(path.join(dataDir, 'documents', 'files', `${doc.id}.${doc.ext}`));
}

function expectSameCounts(plan: RestorePlan, result: {applied: {new: number; identical: number; conflicts: number; deleted: number}; appliedCategories: CategoryPlan[]}): void {
	expect(perCategory(result.appliedCategories)).toEqual(perCategory(plan.categories));
	const {applied} = result;
	expect({new: applied.new, identical: applied.identical, conflicts: applied.conflicts, toDelete: applied.deleted}).toEqual(pick(plan.totals));
}

describe('dry run and restore count the same things', () => {
	let original: string;
	let zip: string;
	let source: Awaited<ReturnType<typeof backupOf>>['source'];
	beforeAll(async () => {
		original = await demoGateway({tenants: 2, seed: 91});
		const backup = await backupOf(original, {format: 'zip'});
		zip = backup.path;
		source = backup.source;
	});

	for (const mode of ['additive', 'replace', 'overwrite'] as RestoreMode[]) {
		it(`${mode}: every per-category count of the plan equals the result's, files included (core)`, async () => {
			const dataDir = copyGateway(original);
			modify(dataDir);
			const plan = await planRestore({source, dataDir, mode});
			expect(plan.totals.identical).toBeGreaterThan(0);
			expect(plan.totals.conflicts).toBeGreaterThan(0);
			expect(plan.categories.some(category => category.fileCounts.identical > 0)).toBe(true);
			if (mode === 'replace') expect(plan.totals.toDelete).toBeGreaterThan(0);
			const result = await applyRestore({source, dataDir, mode});
			expectSameCounts(plan, result);
			expectSameCounts(result.plan, result);
			// The human summary says the plan's totals.
			const line = formatResult(result)[0]!;
			expect(line).toContain(`${plan.totals.new.toLocaleString('en-US')} new`);
			expect(line).toContain(`${plan.totals.identical.toLocaleString('en-US')} identical`);
			expect(line).toContain(`${plan.totals.toDelete.toLocaleString('en-US')} deleted`);
		});

		it(`${mode}: --dry-run --json and the restore's --json report the same counts (CLI)`, () => {
			const dataDir = copyGateway(original);
			modify(dataDir);
			const flags = ['backup', 'restore', '--in', zip, '--data-dir', dataDir, '--mode', mode, '--json'];
			const dry = runCli([...flags, '--dry-run']);
			expect(dry.stderr).toBe('');
			expect(dry.code).toBe(0);
			const {plan} = JSON.parse(dry.stdout) as {plan: RestorePlan};
			const real = runCli([...flags, ...(mode === 'additive' ? [] : ['--yes'])]);
			expect(real.stderr).toBe('');
			expect(real.code).toBe(0);
			const result = JSON.parse(real.stdout) as {applied: {new: number; identical: number; conflicts: number; deleted: number}; appliedCategories: CategoryPlan[]};
			expectSameCounts(plan, result);
		});
	}
});

describe('replace counts and deletes live rows whatever their ids', () => {
	// A foreign writer can leave rows whose id is NULL, a BLOB, or text that is not UTF-8 (the id
	// column is TEXT PRIMARY KEY, which SQLite lets hold any of them). A replace makes the tenant's
	// data equal to the backup's: such rows are in the plan's "to delete", and deleted.
	it('a replace deletes every live row of the tenant the backup lacks, as its dry run counts (NULL, BLOB, non-UTF-8 ids)', async () => {
		const original = await demoGateway({tenants: 1, seed: 93});
		const {source} = await backupOf(original, {format: 'zip'});
		const dataDir = copyGateway(original);
		const tenant = query<{id: string}>(dataDir, 'SELECT id FROM tenants LIMIT 1')[0]!.id;
		const agent = query<{id: string}>(dataDir, 'SELECT id FROM agents WHERE tenant_id = ? LIMIT 1', tenant)[0]!.id;
		const insert = `INSERT INTO memory_entries (id, tenant_id, created_at, updated_at, agent_id, kind, content, importance, tags) VALUES (%ID%, ?, 'x', 'x', ?, 'fact', 'foreign', 0.5, '[]')`;
		exec(dataDir, insert.replace('%ID%', 'NULL'), tenant, agent);
		exec(dataDir, insert.replace('%ID%', "X'6d656d5f626c6f62'"), tenant, agent);
		exec(dataDir, insert.replace('%ID%', "CAST(X'6d656dff' AS TEXT)"), tenant, agent);
		const plan = await planRestore({source, dataDir, mode: 'replace'});
		expect(plan.totals.toDelete).toBe(3);
		const result = await applyRestore({source, dataDir, mode: 'replace'});
		expect(result.applied.deleted).toBe(3);
		expect(query(dataDir, `SELECT id FROM memory_entries WHERE content = 'foreign'`)).toEqual([]);
		expectSameCounts(plan, result);
	});
});

describe('create and verify count the same things', () => {
	it('verify checks as many files and bytes as the backup declares (metadata and manifest aside), for each format', async () => {
		const dataDir = await demoGateway({tenants: 1, seed: 92});
		for (const format of ['zip', 'tar.gz', 'dir'] as const) {
			const backup = await backupOf(dataDir, {format, categories: ['agents', 'config']});
			const result = await verifyBackup(backup.source);
			expect(result.ok).toBe(true);
			expect({files: result.checkedFiles, bytes: result.checkedBytes}).toEqual({files: result.metadata!.totalFiles, bytes: result.metadata!.totalBytes});
		}
	});
});
