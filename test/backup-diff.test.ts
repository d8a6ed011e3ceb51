/**
 * Issue 11 §3: `backup diff` of real archives made around known changes reports exactly those
 * changes per category, with the right ids; identical data in any format reports none; a backup
 * against the live store; one id field by field, odd values shown exactly.
 */
import fs from 'node:fs';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {plainFileSource} from '../source/core/archive/archive-reader.js';
import {diffSides} from '../source/core/diff/diff-sides.js';
import type {CategoryDiff, DiffResult, DiffSideInput} from '../source/core/diff/diff-types.js';
import {backupOf, copyGateway, demoGateway, exec, openDb, query} from './restore-support.js';
import {tempDir} from './helpers/temp-dir.js';
import fc from 'fast-check';
import {fixedGateway, gatewayModel, materialise, plainRow} from './helpers/legal-gateway.js';
import {expectOneLineError, runCli} from './helpers/run-cli.js';

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

	it('a one-tenant backup against its live store or a whole-gateway backup compares that tenant only: no change; a change in another tenant is not seen', async () => {
		const dataDir = await demoGateway({seed: 6});
		const [first, second] = query<{id: string; slug: string}>(dataDir, 'SELECT id, slug FROM tenants ORDER BY id LIMIT 2') as [{id: string; slug: string}, {id: string; slug: string}];
		const tenantBackup = await backupOf(dataDir, {tenant: first.slug});
		const whole = await backupOf(dataDir, {});
		for (const [a, b] of [[backup(tenantBackup.path), live(dataDir)], [backup(tenantBackup.path), backup(whole.path)], [backup(whole.path), backup(tenantBackup.path)]] as const) {
			const result = await diffSides(a, b);
			expect(summary(result)).toEqual([]);
			expect(result.totals.unchanged).toBeGreaterThan(10);
		}
		exec(dataDir, 'DELETE FROM tools WHERE tenant_id = ?', second.id);
		expect(summary(await diffSides(backup(tenantBackup.path), live(dataDir)))).toEqual([]);
		exec(dataDir, 'DELETE FROM tools WHERE id = (SELECT id FROM tools WHERE tenant_id = ? ORDER BY id LIMIT 1)', first.id);
		expect(summary(await diffSides(backup(tenantBackup.path), live(dataDir)))).toEqual(['tools: +0 -1 ~0']);
	}, 120_000);
});

describe('backup diff: one id field by field, odd values', () => {
	it('shows exactly the changed columns, with odd values exact (BLOB, big integer, NUL, unicode, text against a BLOB of its bytes)', async () => {
		const dataDir = path.join(tempDir(), 'gateway');
		const blob = Uint8Array.from([0, 1, 254, 255]);
		materialise(
			fixedGateway({
				conversations: [plainRow('conversations', 'conv-1')],
				messages: [
					plainRow('messages', 'msg:1', {content: {blob}, token_count: 2n ** 53n + 1n, role: 'user'}),
					plainRow('messages', 'msg:2', {content: {invalidUtf8: Uint8Array.from([0xc3, 0x28, 0xff])}, token_count: 2n ** 62n}),
					plainRow('messages', 'msg:3', {content: 'a\u0000b', token_count: 1n}),
				],
			}),
			dataDir,
		);
		const before = await backupOf(dataDir, {format: 'dir'});
		const db = openDb(dataDir, false);
		db.prepare(`UPDATE messages SET content = ?, token_count = ? WHERE id = 'msg:1'`).run('naïve\u0000🚀', 2n ** 53n + 2n);
		// The same bytes, now a BLOB: a change of storage class that must not look like no change.
		db.prepare(`UPDATE messages SET content = ? WHERE id = 'msg:3'`).run(Buffer.from('a\u0000b'));
		db.close();
		const after = await backupOf(dataDir, {format: 'zip'});

		for (const b of [backup(after.path), live(dataDir)]) {
			const result = await diffSides(backup(before.path), b, {id: 'msg:1'});
			// Equal odd values (invalid UTF-8, 2^62) are not changes; text turned into a BLOB of its bytes is.
			expect(ids(category(result, 'chats').changedIds)).toEqual(['messages:msg:1', 'messages:msg:3']);
			expect(result.entity).toEqual([
				{
					category: 'chats',
					table: 'messages',
					id: 'msg:1',
					status: 'changed',
					fields: [
						{field: 'content', a: {$blob: Buffer.from(blob).toString('base64')}, b: 'naïve\u0000🚀'},
						{field: 'token_count', a: {$int: '9007199254740993'}, b: {$int: '9007199254740994'}},
					],
				},
			]);
			const three = await diffSides(backup(before.path), b, {id: 'msg:3'});
			expect(three.entity![0]!.fields).toEqual([{field: 'content', a: 'a\u0000b', b: {$blob: Buffer.from('a\u0000b').toString('base64')}}]);
		}
		// The CLI prints them so no two values look alike.
		const cli = runCli(['backup', 'diff', before.path, after.path, '--id', 'msg:1']);
		expect(cli.code).toBe(0);
		expect(cli.stdout).toContain(['messages msg:1 (chats): changed', '  content', "    A: BLOB x'0001feff'", '    B: "naïve\\u0000🚀"', '  token_count', '    A: 9007199254740993', '    B: 9007199254740994'].join('\n'));
		const json = JSON.parse(runCli(['backup', 'diff', before.path, after.path, '--id', 'msg:3', '--json']).stdout) as DiffResult;
		expect(json.entity![0]!.fields).toEqual([{field: 'content', a: 'a\u0000b', b: {$blob: 'YQBi'}}]);
		expect(runCli(['backup', 'diff', before.path, after.path, '--id', 'msg:3']).stdout).toContain(`    A: "a\\u0000b"\n    B: BLOB x'610062'`);
	}, 120_000);

	it('compares live secrets as the redaction marker and never prints them', async () => {
		const dataDir = copyGateway(await demoGateway({seed: 9}));
		const [webhook] = query<{id: string}>(dataDir, 'SELECT id FROM webhooks WHERE secret IS NOT NULL ORDER BY id LIMIT 1');
		const before = await backupOf(dataDir, {format: 'zip'});
		// A new live secret is no change (a backup holds the marker either way); a removed one is.
		exec(dataDir, `UPDATE webhooks SET secret = 'whsec_brand_new_secret_value' WHERE id = ?`, webhook!.id);
		const unchanged = await diffSides(backup(before.path), live(dataDir), {id: webhook!.id});
		expect(unchanged.entity).toEqual([{category: 'webhooks', table: 'webhooks', id: webhook!.id, status: 'unchanged', fields: []}]);
		exec(dataDir, `UPDATE webhooks SET name = 'renamed' WHERE id = ?`, webhook!.id);
		const cli = runCli(['backup', 'diff', before.path, '--data-dir', dataDir, '--id', webhook!.id, '--json']);
		expect(cli.code).toBe(0);
		expect(cli.stdout).not.toContain('whsec_brand_new_secret_value');
		const result = JSON.parse(cli.stdout) as DiffResult;
		expect(result.entity![0]!.fields.map(field => field.field)).toEqual(['name']);
		const masked = runCli(['backup', 'diff', before.path, '--data-dir', dataDir, '--id', webhook!.id]);
		expect(masked.stdout).not.toContain('whsec_brand_new_secret_value');
		// A webhook only the live store has: every field shown, its secret masked.
		copyRow(dataDir, 'webhooks', webhook!.id, 'hook_live_only');
		const added = await diffSides(backup(before.path), live(dataDir), {id: 'hook_live_only'});
		expect(added.entity![0]!.status).toBe('added');
		expect(added.entity![0]!.fields).toContainEqual({field: 'secret', a: undefined, b: '[secret: kept]'});
		expect(JSON.stringify(added)).not.toContain('whsec_brand_new_secret_value');
	}, 120_000);
});

describe('backup diff: encrypted sides and errors', () => {
	it('reads encrypted backups (one passphrase for both, or B its own) and reports a wrong one with exit 6', async () => {
		const dataDir = await demoGateway({seed: 3});
		const plain = await backupOf(dataDir, {format: 'zip'});
		const encryptedA = await backupOf(dataDir, {format: 'zip', passphrase: 'correct horse battery staple', iterations: 1000});
		const encryptedB = await backupOf(dataDir, {format: 'tar.gz', passphrase: 'another long passphrase 42', iterations: 1000});
		const dir = tempDir();
		const fileA = path.join(dir, 'a.txt');
		const fileB = path.join(dir, 'b.txt');
		fs.writeFileSync(fileA, 'correct horse battery staple\n');
		fs.writeFileSync(fileB, 'another long passphrase 42\n');
		const same = runCli(['backup', 'diff', plain.path, encryptedA.path, '--passphrase-file', fileA, '--json']);
		expect(same.code).toBe(0);
		expect((JSON.parse(same.stdout) as DiffResult).totals).toMatchObject({added: 0, removed: 0, changed: 0});
		const both = runCli(['backup', 'diff', encryptedA.path, encryptedB.path, '--passphrase-file', fileA, '--passphrase-file-b', fileB]);
		expect(both.stderr).toBe('');
		expect(both.code).toBe(0);
		expect(both.stdout).toContain('No differences.');
		expectOneLineError(runCli(['backup', 'diff', encryptedA.path, encryptedB.path, '--passphrase-file', fileA]), 6, /^lifeboat: B \(.*\): wrong passphrase or corrupted backup \(a different one for B: --passphrase-file-b F\)$/);
		expectOneLineError(runCli(['backup', 'diff', plain.path, encryptedB.path]), 6, /passphrase/);
	}, 120_000);

	it('refuses bad input with the documented exit codes, and a damaged backup with exit 5', async () => {
		const dataDir = await demoGateway({seed: 4});
		const zip = await backupOf(dataDir, {format: 'zip'});
		expectOneLineError(runCli(['backup', 'diff'], {env: {LIFEBOAT_DATA_DIR: ''}}), 2, /Which backups\?/);
		expectOneLineError(runCli(['backup', 'diff', zip.path, zip.path, '--data-dir', dataDir]), 2, /--data-dir compares A with the live store/);
		expectOneLineError(runCli(['backup', 'diff', zip.path, '--data-dir', tempDir()]), 3, /not a gateway data directory/);
		expectOneLineError(runCli(['backup', 'diff', zip.path, 'a', 'b']), 2, /takes at most 2 arguments/);
		const damaged = await backupOf(dataDir, {format: 'dir'});
		const toolsFile = path.join(damaged.path, 'tools', 'tools.jsonl');
		fs.appendFileSync(toolsFile, '\n');
		fs.writeFileSync(toolsFile, fs.readFileSync(toolsFile, 'utf8').replace('"', "'"));
		expectOneLineError(runCli(['backup', 'diff', zip.path, damaged.path]), 5, /tools\/tools.jsonl/);
	}, 120_000);
});

describe('backup diff: property over generated legal gateways', () => {
	const RUNS = Math.max(1, Math.floor(Number(process.env['LIFEBOAT_PROPERTY_RUNS'] ?? 24) / 4));
	it('a backup against itself in another format and against its live store is empty; deleting generated rows is exactly those removals', async () => {
		await fc.assert(
			fc.asyncProperty(gatewayModel({maxRows: 3}), fc.nat(), async (model, pick) => {
				const dataDir = path.join(tempDir(), 'gateway');
				materialise(model, dataDir);
				const zip = await backupOf(dataDir, {format: 'zip'});
				const tar = await backupOf(dataDir, {format: 'tar.gz'});
				const dir = await backupOf(dataDir, {format: 'dir'});
				for (const [a, b] of [[backup(zip.path), backup(tar.path)], [backup(dir.path), backup(zip.path)], [backup(tar.path), live(dataDir)]] as const) {
					const result = await diffSides(a, b);
					expect(summary(result)).toEqual([]);
				}
				// Delete every other row of one table that has rows: exactly those are removed.
				const tables = Object.keys(model.rows).filter(table => (model.rows[table] ?? []).length > 0 && table !== 'agents' && table !== 'documents');
				if (tables.length === 0) return;
				const table = tables[pick % tables.length]!;
				const db = openDb(dataDir, false);
				const all = db.prepare(`SELECT id FROM ${table} ORDER BY id`).pluck(true).all() as string[];
				const deleted = all.filter((_, index) => index % 2 === 0);
				for (const id of deleted) db.prepare(`DELETE FROM ${table} WHERE id = ?`).run(id);
				db.close();
				const after = await diffSides(backup(zip.path), live(dataDir));
				const spec = after.categories.flatMap(entry => entry.removedIds.ids);
				expect(spec.map(ref => `${ref.table}:${ref.id}`).sort()).toEqual(deleted.map(id => `${table}:${id}`).sort());
				expect(after.totals).toMatchObject({added: 0, changed: 0, removed: deleted.length});
			}),
			{numRuns: RUNS},
		);
	}, 300_000);
});
