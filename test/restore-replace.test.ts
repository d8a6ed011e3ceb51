import fs from 'node:fs';
import path from 'node:path';
import {afterEach, beforeAll, describe, expect, it} from 'vitest';
import {applyRestore, pendingRestores, planRestore, recoverInterruptedRestores} from '../source/core/restore/index.js';
import {TABLES} from '../source/core/store/schema.js';
import {spawnCli} from './helpers/run-cli.js';
import {backupOf, copyGateway, demoGateway, exec, query, REDACT_COLUMNS, storeDigest, tableRows, walkFiles} from './restore-support.js';

const NOT_RESTORE_AUDIT = `NOT (action = 'backup.restore' AND actor = 'lifeboat')`;

/** Change the store after the backup: edits, deletions, additions, a new agent with files. */
function diverge(dataDir: string): {addedAgent: string; tenant: string} {
	exec(dataDir, `UPDATE memory_entries SET content = 'edited' WHERE id IN (SELECT id FROM memory_entries ORDER BY id LIMIT 5)`);
	exec(dataDir, `DELETE FROM messages WHERE id IN (SELECT id FROM messages ORDER BY id LIMIT 7)`);
	const tenant = query<{id: string}>(dataDir, 'SELECT id FROM tenants ORDER BY id LIMIT 1')[0]!.id;
	exec(dataDir, `INSERT INTO agents (id, tenant_id, created_at, updated_at, name, model, description, tool_allowlist, status) VALUES ('agt_added0001', ?, 'x', 'x', 'Added', 'm', 'd', '[]', 'active')`, tenant);
	fs.mkdirSync(path.join(dataDir, 'agents', 'agt_added0001'), {recursive: true});
	fs.writeFileSync(path.join(dataDir, 'agents', 'agt_added0001', 'SOUL.md'), 'added');
	const agent = query<{id: string}>(dataDir, 'SELECT id FROM agents WHERE tenant_id = ? ORDER BY id LIMIT 1', tenant)[0]!.id;
	fs.writeFileSync(path.join(dataDir, 'agents', agent, 'BOOT.md'), 'rewritten');
	return {addedAgent: 'agt_added0001', tenant};
}

function withHook<T>(hook: string, run: () => Promise<T>): Promise<T> {
	process.env['LIFEBOAT_TEST_HOOK'] = hook;
	return run().finally(() => {
		delete process.env['LIFEBOAT_TEST_HOOK'];
	});
}

async function killAt(args: string[], hook: string): Promise<string> {
	const child = spawnCli(args, {env: {LIFEBOAT_TEST_HOOK: hook}});
	let stderr = '';
	await new Promise<void>((resolve, reject) => {
		child.stderr!.on('data', chunk => {
			stderr += String(chunk);
			if (stderr.includes('LIFEBOAT_TEST_PAUSED')) {
				child.kill('SIGKILL');
				resolve();
			}
		});
		child.on('exit', code => reject(new Error(`CLI exited (${code}) before pausing: ${stderr}`)));
	});
	await new Promise(resolve => child.once('exit', resolve));
	return stderr;
}

describe('replace restore', () => {
	let original: string;
	let backup: Awaited<ReturnType<typeof backupOf>>;
	beforeAll(async () => {
		original = await demoGateway({tenants: 2, seed: 51});
		backup = await backupOf(original, {format: 'zip'});
	});
	afterEach(() => {
		delete process.env['LIFEBOAT_TEST_HOOK'];
	});

	it('makes the tenants equal to the backup: overwrites edits, brings back deletions, deletes additions, keeps live secrets', async () => {
		const dataDir = copyGateway(original);
		const {addedAgent} = diverge(dataDir);
		const plan = await planRestore({source: backup.source, dataDir, mode: 'replace'});
		const byCategory = Object.fromEntries(plan.categories.map(category => [category.category, category]));
		expect(byCategory['memory']!.conflicts).toBe(5);
		expect(byCategory['chats']!.tables['messages']!.new).toBe(7);
		expect(byCategory['agents']!.tables['agents']!.toDelete).toBe(1);
		expect(byCategory['agents']!.fileCounts).toMatchObject({conflicts: 1, toDelete: 1});
		const result = await applyRestore({source: backup.source, dataDir, mode: 'replace', keyFile: path.join(original, 'keys', 'backup.key')});
		expect(result.applied.deleted).toBe(plan.totals.toDelete);
		expect(result.applied.quarantined).toBe(0);
		for (const table of TABLES) {
			const where = table.name === 'audit_log' ? NOT_RESTORE_AUDIT : undefined;
			// Same ids kept their live secrets, so every column matches the original, secrets included.
			expect(tableRows(dataDir, table.name, {where}), table.name).toEqual(tableRows(original, table.name, {where}));
		}
		expect(walkFiles(path.join(dataDir, 'agents'))).toEqual(walkFiles(path.join(original, 'agents')));
		expect(fs.existsSync(path.join(dataDir, 'agents', addedAgent))).toBe(false);
		expect(storeDigest(dataDir).files).toEqual(storeDigest(original).files);
		expect(fs.existsSync(path.join(dataDir, '.lifeboat-restore'))).toBe(false);
		expect(query(dataDir, `SELECT key FROM schema_meta WHERE key LIKE 'restore_pending:%'`)).toEqual([]);
	});

	it('rolls back completely when it fails mid-way (injected failure after some rows)', async () => {
		const dataDir = copyGateway(original);
		diverge(dataDir);
		const before = storeDigest(dataDir);
		await expect(withHook('fail-after-rows:1500', () => applyRestore({source: backup.source, dataDir, mode: 'replace'}))).rejects.toThrow(/Test failure injected after 1500 rows/);
		expect(storeDigest(dataDir)).toEqual(before);
	});

	it('killed with SIGKILL mid-transaction: the store is unchanged, and recovery removes the staging folder', async () => {
		const dataDir = copyGateway(original);
		diverge(dataDir);
		const before = storeDigest(dataDir);
		await killAt(['backup', 'restore', '--in', backup.path, '--data-dir', dataDir, '--mode', 'replace', '--yes'], 'pause-after-rows:2000');
		expect(storeDigest(dataDir, {ignoreStaging: true})).toEqual(before);
		expect(pendingRestores(dataDir)).toHaveLength(1);
		expect(recoverInterruptedRestores(dataDir).rolledBack).toHaveLength(1);
		expect(storeDigest(dataDir)).toEqual(before);
	});

	it('killed just before COMMIT (journal written): rolled back', async () => {
		const dataDir = copyGateway(original);
		diverge(dataDir);
		const before = storeDigest(dataDir);
		await killAt(['backup', 'restore', '--in', backup.path, '--data-dir', dataDir, '--mode', 'replace', '--yes'], 'pause:before-commit');
		expect(storeDigest(dataDir, {ignoreStaging: true})).toEqual(before);
		// The next restore recovers first; here a dry run only reports it.
		const plan = await planRestore({source: backup.source, dataDir, mode: 'replace'});
		expect(plan.warnings.join('\n')).toMatch(/interrupted restore/);
		expect(recoverInterruptedRestores(dataDir).rolledBack).toHaveLength(1);
		expect(storeDigest(dataDir)).toEqual(before);
	});

	for (const point of ['after-commit', 'mid-swap'] as const) {
		it(`killed ${point === 'after-commit' ? 'right after COMMIT' : 'in the middle of the file swap'}: recovery completes the restore`, async () => {
			const expected = copyGateway(original);
			diverge(expected);
			const dataDir = copyGateway(expected);
			await applyRestore({source: backup.source, dataDir: expected, mode: 'replace'});
			await killAt(['backup', 'restore', '--in', backup.path, '--data-dir', dataDir, '--mode', 'replace', '--yes'], `pause:${point}`);
			const report = recoverInterruptedRestores(dataDir);
			expect(report.completed).toHaveLength(1);
			const digest = storeDigest(dataDir);
			const wanted = storeDigest(expected);
			// Audit rows carry their own restore ids and times: compare everything else.
			expect({...digest.tables, audit_log: ''}).toEqual({...wanted.tables, audit_log: ''});
			expect(digest.files).toEqual(wanted.files);
			expect(tableRows(dataDir, 'audit_log', {where: NOT_RESTORE_AUDIT})).toEqual(tableRows(expected, 'audit_log', {where: NOT_RESTORE_AUDIT}));
		});
	}

	it('a restored agent or document whose live row is gone: its leftover live files are cleared like a live one\'s (plan counts them)', async () => {
		// A document without its text file (legal: not extracted yet) in the backup.
		const source = copyGateway(original);
		const textless = query<{id: string}>(source, 'SELECT id FROM documents ORDER BY id LIMIT 1')[0]!.id;
		const textFile = path.join('documents', 'text', `${textless}.txt`);
		fs.rmSync(path.join(source, textFile), {force: true});
		const own = await backupOf(source, {format: 'zip'});
		const dataDir = copyGateway(source);
		const agent = query<{id: string}>(dataDir, 'SELECT id FROM agents ORDER BY id LIMIT 1')[0]!.id;
		const folder = path.join(dataDir, 'agents', agent);
		const agentFiles = walkFiles(folder);
		expect(agentFiles.length).toBeGreaterThan(0);
		// The agent's row goes, its folder stays: an extra file in it, one of its files edited.
		exec(dataDir, 'DELETE FROM agents WHERE id = ?', agent);
		fs.writeFileSync(path.join(folder, 'EXTRA-left-behind.md'), 'not in the backup');
		fs.writeFileSync(path.join(folder, agentFiles[0]!), 'edited after the backup');
		// The document's row goes and a stale text file appears under its id.
		exec(dataDir, 'DELETE FROM documents WHERE id = ?', textless);
		fs.writeFileSync(path.join(dataDir, textFile), 'stale text');
		const plan = await planRestore({source: own.source, dataDir, mode: 'replace'});
		const byCategory = Object.fromEntries(plan.categories.map(category => [category.category, category]));
		expect(byCategory['agents']!.fileCounts).toMatchObject({conflicts: 1, toDelete: 1});
		expect(byCategory['documents']!.fileCounts.toDelete).toBe(1);
		const result = await applyRestore({source: own.source, dataDir, mode: 'replace', keyFile: path.join(source, 'keys', 'backup.key')});
		expect(result.applied.deleted).toBe(plan.totals.toDelete);
		expect(fs.existsSync(path.join(dataDir, textFile))).toBe(false);
		expect(walkFiles(path.join(dataDir, 'agents'))).toEqual(walkFiles(path.join(source, 'agents')));
		expect(storeDigest(dataDir).files).toEqual(storeDigest(source).files);
		expect(tableRows(dataDir, 'agents')).toEqual(tableRows(source, 'agents'));
		expect(tableRows(dataDir, 'documents')).toEqual(tableRows(source, 'documents'));
	});

	it('replace of a one-tenant backup leaves the other tenants alone', async () => {
		const dataDir = copyGateway(original);
		const [first, second] = query<{id: string; slug: string}>(dataDir, 'SELECT id, slug FROM tenants ORDER BY id');
		const oneTenant = await backupOf(original, {format: 'dir', tenant: first!.slug, categories: ['memory']});
		exec(dataDir, `DELETE FROM memory_entries WHERE tenant_id = ?`, first!.id);
		exec(dataDir, `UPDATE memory_entries SET content = 'other tenant edit' WHERE tenant_id = ?`, second!.id);
		const otherBefore = tableRows(dataDir, 'memory_entries', {where: 'tenant_id = ?', params: [second!.id]});
		await applyRestore({source: oneTenant.source, dataDir, mode: 'replace'});
		expect(tableRows(dataDir, 'memory_entries', {where: 'tenant_id = ?', params: [first!.id]})).toEqual(tableRows(original, 'memory_entries', {where: 'tenant_id = ?', params: [first!.id]}));
		expect(tableRows(dataDir, 'memory_entries', {where: 'tenant_id = ?', params: [second!.id]})).toEqual(otherBefore);
		expect(REDACT_COLUMNS['webhooks']).toEqual(['secret']);
	});
	it('live rows whose ids cannot name files: replace never deletes a path built from them', async () => {
		// Rows written by something else (or by an older Lifeboat that accepted such ids): an agent ".."
		// (agents/.. is the data dir), a document whose path leaves the data dir, an agent folder that
		// is a link to somewhere else. Replace drops the rows but must not touch those paths.
		const dataDir = copyGateway(original);
		const tenant = query<{id: string}>(dataDir, 'SELECT id FROM tenants ORDER BY id LIMIT 1')[0]!.id;
		const agent = `INSERT INTO agents (id, tenant_id, created_at, updated_at, name, model, description, tool_allowlist, status) VALUES (?, ?, 'x', 'x', 'Evil', 'm', 'd', '[]', 'active')`;
		exec(dataDir, agent, '..', tenant);
		exec(dataDir, agent, 'agt_linked0001', tenant);
		exec(
			dataDir,
			`INSERT INTO documents (id, tenant_id, created_at, updated_at, name, mime, ext, size, sha256, uploaded_by, text_chars, fts_hint) VALUES (?, ?, 'x', 'x', 'evil', 'text/plain', ?, 1, 'x', NULL, 1, '')`,
			'../../../outside-victim',
			tenant,
			'txt',
		);
		const outsideFile = path.resolve(dataDir, 'documents', 'files', '../../../outside-victim.txt');
		expect(path.dirname(outsideFile)).toBe(path.dirname(dataDir));
		fs.writeFileSync(outsideFile, 'a file outside the data dir\n');
		const outsideDir = path.join(path.dirname(dataDir), 'outside-agent');
		fs.mkdirSync(outsideDir);
		fs.writeFileSync(path.join(outsideDir, 'SOUL.md'), 'not the gateway\'s\n');
		fs.symlinkSync(outsideDir, path.join(dataDir, 'agents', 'agt_linked0001'));
		const filesBefore = walkFiles(dataDir, relative => relative.startsWith('data/'));

		const plan = await planRestore({source: backup.source, dataDir, mode: 'replace', only: ['agents', 'documents']});
		const warnings = plan.warnings.join('\n');
		// Ids that cannot name a file have no files: nothing is looked for, let alone deleted.
		expect(warnings).not.toMatch(/outside-victim/);
		expect(warnings).toMatch(/agents\/agt_linked0001 is a link or not a folder; left alone/);
		const byCategory = Object.fromEntries(plan.categories.map(category => [category.category, category]));
		expect(byCategory['agents']!.fileCounts.toDelete).toBe(0);
		expect(byCategory['documents']!.fileCounts.toDelete).toBe(0);

		const result = await applyRestore({source: backup.source, dataDir, mode: 'replace', only: ['agents', 'documents']});
		expect(result.applied.deleted).toBe(3); // the three rows, no file
		expect(fs.readFileSync(outsideFile, 'utf8')).toBe('a file outside the data dir\n');
		expect(fs.readdirSync(outsideDir)).toEqual(['SOUL.md']);
		expect(walkFiles(dataDir, relative => relative.startsWith('data/'))).toEqual(filesBefore);
		expect(fs.existsSync(path.join(dataDir, 'data', 'gateway.db'))).toBe(true);
		expect(query(dataDir, `SELECT id FROM agents WHERE id IN ('..', 'agt_linked0001') UNION ALL SELECT id FROM documents WHERE id LIKE '%outside%'`)).toEqual([]);
	});

	it('recovery refuses a journal whose paths leave the data dir, name files restore does not manage, or pass through a link; nothing is moved', async () => {
		const dataDir = copyGateway(original);
		const before = storeDigest(dataDir);
		const victim = path.join(path.dirname(dataDir), 'victim.txt');
		fs.writeFileSync(victim, 'outside\n');
		const outsideDir = path.join(path.dirname(dataDir), 'linked');
		fs.mkdirSync(outsideDir);
		fs.writeFileSync(path.join(outsideDir, 'SOUL.md'), 'outside\n');
		fs.symlinkSync(outsideDir, path.join(dataDir, 'agents', 'agt_link0001'));
		const journals: Array<[Partial<{moves: Array<{from: string; to: string}>; removes: string[]}>, RegExp]> = [
			[{removes: ['../victim.txt']}, /"\.\.\/victim\.txt" is not a path a restore may change/],
			[{removes: ['agents/../../victim.txt']}, /not a path a restore may change/],
			[{removes: ['data/gateway.db']}, /"data\/gateway\.db" is not a path a restore may change/],
			[{removes: ['keys/backup.key']}, /not a path a restore may change/],
			[{removes: ['agents/agt_link0001/SOUL.md']}, /agents\/agt_link0001 is a link or not a folder/],
			[{moves: [{from: 'files/0', to: 'data/gateway.db'}]}, /not a path a restore may change/],
			[{moves: [{from: '../../../victim.txt', to: 'agents/agt_x/SOUL.md'}]}, /is not a staged file/],
			[{moves: [{from: 'quarantine', to: 'quarantine/other-restore'}]}, /not a path a restore may change/],
		];
		for (const [ops, message] of journals) {
			const staging = path.join(dataDir, '.lifeboat-restore', 'r1');
			fs.mkdirSync(path.join(staging, 'files'), {recursive: true});
			fs.writeFileSync(path.join(staging, 'files', '0'), 'staged');
			fs.writeFileSync(path.join(staging, 'journal.json'), JSON.stringify({restoreId: 'r1', createdAt: new Date().toISOString(), moves: [], removes: [], ...ops}));
			exec(dataDir, `INSERT OR REPLACE INTO schema_meta (key, value) VALUES ('restore_pending:r1', 'r1')`);
			expect(() => recoverInterruptedRestores(dataDir), JSON.stringify(ops)).toThrow(message);
			expect(fs.readFileSync(victim, 'utf8')).toBe('outside\n');
			expect(fs.readdirSync(outsideDir)).toEqual(['SOUL.md']);
			exec(dataDir, `DELETE FROM schema_meta WHERE key = 'restore_pending:r1'`);
			fs.rmSync(path.join(dataDir, '.lifeboat-restore'), {recursive: true});
		}
		fs.rmSync(path.join(dataDir, 'agents', 'agt_link0001'));
		expect(storeDigest(dataDir)).toEqual(before);
	});
});
