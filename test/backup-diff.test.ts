/**
 * Issue 11 §3: `backup diff` of real archives made around known changes reports exactly those
 * changes per category, with the right ids; identical data in any format reports none; a backup
 * against the live store; one id field by field, odd values shown exactly.
 */
import fs from 'node:fs';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {plainFileSource} from '../source/core/archive/archive-reader.js';
import {openBackupSource} from '../source/core/backup/backup-source.js';
import {diffSides} from '../source/core/diff/diff-sides.js';
import type {CategoryDiff, DiffResult, DiffSideInput} from '../source/core/diff/diff-types.js';
import {backupOf, copyGateway, demoGateway, exec, openDb, query} from './restore-support.js';
import {tempDir} from './helpers/temp-dir.js';

const backup = (file: string): DiffSideInput => ({kind: 'backup', source: plainFileSource(file)});
const live = (dataDir: string): DiffSideInput => ({kind: 'live', dataDir});

function category(result: DiffResult, id: string): CategoryDiff {
	const found = result.categories.find(entry => entry.category === id);
	if (!found) throw new Error(`no category ${id}`);
	return found;
}

/** Inserts a copy of a row under another id. */
function copyRow(dataDir: string, table: string, id: string, newId: string): void {
	const db = openDb(dataDir, false);
	try {
		db.exec(`CREATE TEMP TABLE copied AS SELECT * FROM ${table} WHERE 0`);
		db.prepare(`INSERT INTO temp.copied SELECT * FROM ${table} WHERE id = ?`).run(id);
		db.prepare('UPDATE temp.copied SET id = ?').run(newId);
		db.exec(`INSERT INTO ${table} SELECT * FROM temp.copied; DROP TABLE temp.copied`);
	} finally {
		db.close();
	}
}

const ids = (list: CategoryDiff['addedIds']) => list.ids.map(ref => `${ref.table}:${ref.id}`);

/** Categories with any difference, as `category: +added -removed ~changed`. */
function summary(result: DiffResult): string[] {
	return result.categories.filter(entry => entry.added + entry.removed + entry.changed > 0).map(entry => `${entry.category}: +${entry.added} -${entry.removed} ~${entry.changed}`);
}

describe('backup diff (core)', () => {
	it('reports exactly the changes made between two backups, per category, with their ids', async () => {
		const source = await demoGateway();
		const dataDir = copyGateway(source);
		const before = await backupOf(dataDir, {format: 'zip'});
		const [memory1, memory2, memory3] = query<{id: string}>(dataDir, 'SELECT id FROM memory_entries ORDER BY id LIMIT 3').map(row => row.id);
		const tenant = query<{id: string}>(dataDir, 'SELECT id FROM tenants ORDER BY id LIMIT 1')[0]!.id;
		const [tool1, tool2] = query<{id: string}>(dataDir, 'SELECT id FROM tools ORDER BY id LIMIT 2').map(row => row.id);
		const webhook = query<{id: string}>(dataDir, 'SELECT id FROM webhooks ORDER BY id LIMIT 1')[0]!.id;
		const agent = query<{id: string}>(dataDir, 'SELECT id FROM agents ORDER BY id LIMIT 1')[0]!.id;
		// Inserted, deleted, changed rows.
		copyRow(dataDir, 'tools', tool1!, 'tool_new_1');
		exec(dataDir, 'DELETE FROM tools WHERE id = ?', tool2);
		exec(dataDir, 'DELETE FROM memory_entries WHERE id IN (?, ?)', memory1, memory2);
		exec(dataDir, `UPDATE memory_entries SET content = content || ' (edited)' WHERE id = ?`, memory3);
		exec(dataDir, `UPDATE webhooks SET name = 'renamed' WHERE id = ?`, webhook);
		// An agent file changed, a document added (row and file).
		fs.appendFileSync(path.join(dataDir, 'agents', agent, 'SOUL.md'), '\nA new line.\n');
		const document = query<{id: string}>(dataDir, 'SELECT id FROM documents WHERE tenant_id = ? ORDER BY id LIMIT 1', tenant)[0]!.id;
		copyRow(dataDir, 'documents', document, 'doc_new');
		exec(dataDir, `UPDATE documents SET ext = 'txt' WHERE id = 'doc_new'`);
		fs.writeFileSync(path.join(dataDir, 'documents', 'files', 'doc_new.txt'), 'hello');
		const after = await backupOf(dataDir, {format: 'tar.gz'});

		const result = await diffSides(backup(before.path), backup(after.path));
		expect(summary(result)).toEqual(['agents: +0 -0 ~1', 'memory: +0 -2 ~1', 'documents: +2 -0 ~0', 'tools: +1 -1 ~0', 'webhooks: +0 -0 ~1']);
		expect(ids(category(result, 'tools').addedIds)).toEqual(['tools:tool_new_1']);
		expect(ids(category(result, 'tools').removedIds)).toEqual([`tools:${tool2}`]);
		expect(ids(category(result, 'memory').removedIds)).toEqual([`memory_entries:${memory1}`, `memory_entries:${memory2}`].sort());
		expect(ids(category(result, 'memory').changedIds)).toEqual([`memory_entries:${memory3}`]);
		expect(ids(category(result, 'webhooks').changedIds)).toEqual([`webhooks:${webhook}`]);
		expect(ids(category(result, 'agents').changedIds)).toEqual([`files:agents/${agent}/SOUL.md`]);
		expect(ids(category(result, 'documents').addedIds)).toEqual(['documents:doc_new', 'files:documents/files/doc_new.txt']);
		expect(category(result, 'memory').tables['memory_entries']).toMatchObject({removed: 2, changed: 1});
		expect(result.totals).toMatchObject({added: 3, removed: 3, changed: 3});

		// The other way round: added and removed swap.
		const reverse = await diffSides(backup(after.path), backup(before.path));
		expect(ids(category(reverse, 'tools').addedIds)).toEqual([`tools:${tool2}`]);
		expect(ids(category(reverse, 'tools').removedIds)).toEqual(['tools:tool_new_1']);

		// The later backup against the store it was made from: no change; the earlier one: the same changes.
		expect(summary(await diffSides(backup(after.path), live(dataDir)))).toEqual([]);
		expect(summary(await diffSides(backup(before.path), live(dataDir)))).toEqual(summary(result));
	}, 120_000);

	it('finds no change between the same data in zip, tar.gz and a folder, or a backup and itself', async () => {
		const dataDir = await demoGateway({seed: 5});
		const zip = await backupOf(dataDir, {format: 'zip'});
		const tar = await backupOf(dataDir, {format: 'tar.gz'});
		const dir = await backupOf(dataDir, {format: 'dir'});
		for (const [a, b] of [[zip, tar], [tar, dir], [dir, zip], [zip, zip]] as const) {
			const result = await diffSides(backup(a.path), backup(b.path));
			expect(summary(result)).toEqual([]);
			expect(result.totals.unchanged).toBeGreaterThan(100);
		}
	}, 120_000);
});
