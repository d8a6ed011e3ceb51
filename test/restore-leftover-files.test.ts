import fs from 'node:fs';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {applyRestore, planRestore} from '../source/core/restore/index.js';
import {backupOf, exec, freshGateway} from './restore-support.js';

/**
 * Replace clears the leftover live files of a restored document with no live row. Ids and
 * extensions may hold dots, so one file name (`a.b.c`) can be the file of two documents
 * (`a` + `b.c`, `a.b` + `c`): another tenant's is never deleted, and the plan, which writes no
 * rows, counts exactly what the restore deletes.
 */
function twoTenants(): string {
	const dir = freshGateway();
	exec(dir, `INSERT INTO tenants VALUES ('t1', 't1', 'c', 'u', 'Tenant One', 'one', 'free')`);
	exec(dir, `INSERT INTO tenants VALUES ('t2', 't2', 'c', 'u', 'Tenant Two', 'two', 'free')`);
	return dir;
}

// Document rows without their files (a backup keeps such rows, warning of the missing file).
const addDocument = (dir: string, id: string, tenant: string, ext: string) => exec(dir, `INSERT INTO documents VALUES (?, ?, 'c', 'u', 'name', 'text/plain', ?, 1, 'sha', NULL, 1, 'hint')`, id, tenant, ext);
const sharedFile = (dir: string) => path.join(dir, 'documents', 'files', 'a.b.c');

function leaveFile(dir: string): void {
	fs.mkdirSync(path.dirname(sharedFile(dir)), {recursive: true});
	fs.writeFileSync(sharedFile(dir), 'leftover\n');
}

async function planAndApply(dataDir: string, backup: Awaited<ReturnType<typeof backupOf>>) {
	const plan = await planRestore({source: backup.source, dataDir, mode: 'replace'});
	const result = await applyRestore({source: backup.source, dataDir, mode: 'replace'});
	const planned = plan.categories.find(category => category.category === 'documents')!.fileCounts.toDelete;
	expect(result.applied.deleted).toBe(plan.totals.toDelete);
	return {planned, plan, result};
}

describe('replace: leftover document files of restored rows without a live row', () => {
	it('two new documents of two tenants naming one leftover file: it is the other tenant\'s too, kept, in plan and restore alike', async () => {
		const dataDir = twoTenants();
		addDocument(dataDir, 'a', 't2', 'b.c');
		addDocument(dataDir, 'a.b', 't1', 'c');
		const backup = await backupOf(dataDir, {format: 'zip'});
		exec(dataDir, `DELETE FROM documents`);
		leaveFile(dataDir);
		const {planned, plan} = await planAndApply(dataDir, backup);
		expect(planned).toBe(0);
		expect(plan.warnings.join('\n')).toContain('documents/files/a.b.c: also the file of another tenant\'s document; left alone');
		expect(fs.existsSync(sharedFile(dataDir))).toBe(true);
	});

	it('a live document in scope and a new one of the same tenant naming one file: counted once, deleted', async () => {
		const dataDir = twoTenants();
		addDocument(dataDir, 'a', 't1', 'b.c');
		addDocument(dataDir, 'a.b', 't1', 'c');
		const backup = await backupOf(dataDir, {format: 'zip', tenant: 't1'});
		exec(dataDir, `DELETE FROM documents WHERE id = 'a.b'`);
		leaveFile(dataDir);
		const {planned} = await planAndApply(dataDir, backup);
		expect(planned).toBe(1);
		expect(fs.existsSync(sharedFile(dataDir))).toBe(false);
	});

	for (const liveExt of ['x', 'q']) {
		it(`another tenant's live document (ext ${liveExt}) the backup gives that file name: kept, whatever the restore has written when it looks`, async () => {
			const dataDir = twoTenants();
			addDocument(dataDir, 'a', 't2', 'b.c');
			addDocument(dataDir, 'a.b', 't1', 'c');
			const backup = await backupOf(dataDir, {format: 'zip'});
			exec(dataDir, `DELETE FROM documents WHERE id = 'a.b'`);
			exec(dataDir, `UPDATE documents SET ext = ? WHERE id = 'a'`, liveExt);
			leaveFile(dataDir);
			const {planned} = await planAndApply(dataDir, backup);
			expect(planned).toBe(0);
			expect(fs.existsSync(sharedFile(dataDir))).toBe(true);
		});
	}
});
