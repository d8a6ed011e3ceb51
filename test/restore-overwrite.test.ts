import fs from 'node:fs';
import path from 'node:path';
import {beforeAll, describe, expect, it} from 'vitest';
import {applyRestore, formatPlan, formatResult, planRestore} from '../source/core/restore/index.js';
import {TABLES} from '../source/core/store/schema.js';
import {expectOneLineError, runCli} from './helpers/run-cli.js';
import {backupOf, copyGateway, demoGateway, exec, query, sha256, storeDigest, tableRows, walkFiles, type Row} from './restore-support.js';

/** Issue 11 §4: overwrite mode — the backup's version wins on conflict, nothing the backup lacks is deleted. */

const NOT_RESTORE_AUDIT = `NOT (action = 'backup.restore' AND actor = 'lifeboat')`;

type Diverged = {
	tenant: string;
	agent: string;
	webhook: string;
	editedMemory: string[];
	deletedTasks: string[];
	document: {id: string; ext: string};
	deletedDocument: {id: string; ext: string};
	liveOnly: {memory: string; agent: string};
};

/** Live changes after the backup, one of each kind: conflicts, new (deleted live), identical, live-only rows and files. */
function diverge(dataDir: string): Diverged {
	const tenant = query<{id: string}>(dataDir, 'SELECT id FROM tenants ORDER BY id LIMIT 1')[0]!.id;
	const editedMemory = query<{id: string}>(dataDir, 'SELECT id FROM memory_entries ORDER BY id LIMIT 4').map(row => row.id);
	for (const id of editedMemory) exec(dataDir, `UPDATE memory_entries SET content = 'edited live' WHERE id = ?`, id);
	const deletedTasks = query<{id: string}>(dataDir, 'SELECT id FROM tasks ORDER BY id LIMIT 3').map(row => row.id);
	for (const id of deletedTasks) exec(dataDir, 'DELETE FROM tasks WHERE id = ?', id);
	const agent = query<{id: string}>(dataDir, 'SELECT id FROM agents WHERE tenant_id = ? ORDER BY id LIMIT 1', tenant)[0]!.id;
	exec(dataDir, `UPDATE agents SET name = 'renamed live' WHERE id = ?`, agent);
	fs.appendFileSync(path.join(dataDir, 'agents', agent, 'SOUL.md'), '\nEdited live.\n');
	fs.writeFileSync(path.join(dataDir, 'agents', agent, 'LIVE-ONLY.md'), 'Only live.\n');
	// A conflicting webhook whose live secret was rotated after the backup: the secret stays live.
	const webhook = query<{id: string}>(dataDir, 'SELECT id FROM webhooks WHERE tenant_id = ? ORDER BY id LIMIT 1', tenant)[0]!.id;
	exec(dataDir, `UPDATE webhooks SET name = 'renamed live', secret = 'whsec_rotated_live' WHERE id = ?`, webhook);
	const [document, deletedDocument] = query<{id: string; ext: string}>(dataDir, 'SELECT id, ext FROM documents ORDER BY id LIMIT 2');
	fs.writeFileSync(path.join(dataDir, 'documents', 'files', `${document!.id}.${document!.ext}`), 'changed live');
	fs.rmSync(path.join(dataDir, 'documents', 'files', `${deletedDocument!.id}.${deletedDocument!.ext}`));
	exec(dataDir, `INSERT INTO memory_entries (id, tenant_id, created_at, updated_at, agent_id, kind, content, importance, tags) VALUES ('mem_liveonly01', ?, 'x', 'x', ?, 'fact', 'live only', 0.5, '[]')`, tenant, agent);
	exec(dataDir, `INSERT INTO agents (id, tenant_id, created_at, updated_at, name, model, description, tool_allowlist, status) VALUES ('agt_liveonly01', ?, 'x', 'x', 'Live', 'm', 'd', '[]', 'active')`, tenant);
	fs.mkdirSync(path.join(dataDir, 'agents', 'agt_liveonly01'), {recursive: true});
	fs.writeFileSync(path.join(dataDir, 'agents', 'agt_liveonly01', 'SOUL.md'), 'live agent');
	return {tenant, agent, webhook, editedMemory, deletedTasks, document: document!, deletedDocument: deletedDocument!, liveOnly: {memory: 'mem_liveonly01', agent: 'agt_liveonly01'}};
}

function rowsById(dataDir: string, table: string): Map<string, Row> {
	return new Map(tableRows(dataDir, table).map(row => [row['id'] as string, row]));
}

describe('overwrite restore', () => {
	let original: string;
	let backup: Awaited<ReturnType<typeof backupOf>>;
	beforeAll(async () => {
		original = await demoGateway({tenants: 2, seed: 111});
		backup = await backupOf(original, {format: 'zip'});
	});

	it('writes the backup version over conflicts (rows and files), inserts the new, leaves identical and live-only entries, quarantines nothing', async () => {
		const dataDir = copyGateway(original);
		const changed = diverge(dataDir);
		const plan = await planRestore({source: backup.source, dataDir, mode: 'overwrite'});
		expect(plan.mode).toBe('overwrite');
		const byCategory = Object.fromEntries(plan.categories.map(category => [category.category, category]));
		expect(byCategory['memory']!.tables['memory_entries']).toMatchObject({conflicts: 4, toDelete: 0});
		expect(byCategory['collaboration']!.tables['tasks']).toMatchObject({new: 3, conflicts: 0, toDelete: 0});
		expect(byCategory['agents']!.tables['agents']).toMatchObject({conflicts: 1, toDelete: 0});
		expect(byCategory['agents']!.fileCounts).toMatchObject({conflicts: 1, toDelete: 0});
		expect(byCategory['documents']!.fileCounts).toMatchObject({new: 1, conflicts: 1, toDelete: 0});
		expect(byCategory['webhooks']!.conflicts).toBe(1);
		expect(plan.totals.toDelete).toBe(0);
		expect(formatPlan(plan)[0]).toBe("Mode overwrite: adds new entries, leaves identical ones, writes the backup's version over conflicting ones; never deletes");
		expect(formatPlan(plan).find(line => line.startsWith('memory: '))).toMatch(/^memory: [\d,]+ entries \([\d,]+ identical, 4 conflicts — backup version overwrites live\)$/);

		const result = await applyRestore({source: backup.source, dataDir, mode: 'overwrite', keyFile: path.join(original, 'keys', 'backup.key')});
		// The dry run's counts are the result's.
		expect({new: result.applied.new, identical: result.applied.identical, conflicts: result.applied.conflicts, toDelete: result.applied.deleted}).toEqual({
			new: plan.totals.new,
			identical: plan.totals.identical,
			conflicts: plan.totals.conflicts,
			toDelete: 0,
		});
		expect(result.applied.quarantined).toBe(0);
		expect(result.quarantineDir).toBeUndefined();
		expect(fs.existsSync(path.join(dataDir, 'quarantine'))).toBe(false);
		expect(formatResult(result)[0]).toMatch(/^Restored \(overwrite\) in [\d.]+ s: .*, 8 conflicts \(overwritten by the backup version\), 0 deleted$/);

		// Every row the backup holds is the backup's again (secrets: the live ones are kept, as replace keeps them).
		for (const table of TABLES) {
			const live = rowsById(dataDir, table.name);
			const where = table.name === 'audit_log' ? NOT_RESTORE_AUDIT : undefined;
			for (const row of tableRows(original, table.name, {where})) {
				const id = row['id'] as string;
				const expected = id === changed.webhook ? {...row, secret: 'whsec_rotated_live'} : row;
				expect(live.get(id), `${table.name} ${id}`).toEqual(expected);
			}
		}
		// Live-only rows and files are still there.
		expect(query(dataDir, 'SELECT content FROM memory_entries WHERE id = ?', changed.liveOnly.memory)).toEqual([{content: 'live only'}]);
		expect(query(dataDir, 'SELECT name FROM agents WHERE id = ?', changed.liveOnly.agent)).toEqual([{name: 'Live'}]);
		expect(fs.readFileSync(path.join(dataDir, 'agents', changed.liveOnly.agent, 'SOUL.md'), 'utf8')).toBe('live agent');
		expect(fs.readFileSync(path.join(dataDir, 'agents', changed.agent, 'LIVE-ONLY.md'), 'utf8')).toBe('Only live.\n');
		// Conflicting and deleted files are the backup's bytes again.
		expect(sha256(path.join(dataDir, 'agents', changed.agent, 'SOUL.md'))).toBe(sha256(path.join(original, 'agents', changed.agent, 'SOUL.md')));
		for (const doc of [changed.document, changed.deletedDocument]) {
			const name = path.join('documents', 'files', `${doc.id}.${doc.ext}`);
			expect(sha256(path.join(dataDir, name))).toBe(sha256(path.join(original, name)));
		}
		// Every file of the original is there with its bytes; the only extra files are the live-only ones.
		const files = storeDigest(dataDir).files;
		for (const [file, hash] of Object.entries(storeDigest(original).files)) expect(files[file], file).toBe(hash);
		expect(Object.keys(files).filter(file => !(file in storeDigest(original).files)).sort()).toEqual([`agents/${changed.agent}/LIVE-ONLY.md`, `agents/${changed.liveOnly.agent}/SOUL.md`].sort());

		// The audit entry records the mode.
		const audit = query<{detail: string}>(dataDir, `SELECT detail FROM audit_log WHERE action = 'backup.restore' AND actor = 'lifeboat'`);
		expect(audit.length).toBe(2);
		for (const entry of audit) expect(JSON.parse(entry.detail)).toMatchObject({mode: 'overwrite', restoreId: result.restoreId, counts: {quarantined: 0, deleted: 0}});

		// Once more: everything identical, nothing to write.
		const again = await planRestore({source: backup.source, dataDir, mode: 'overwrite'});
		expect({new: again.totals.new, conflicts: again.totals.conflicts, toDelete: again.totals.toDelete}).toEqual({new: 0, conflicts: 0, toDelete: 0});
	});

	it('brings a sealed 2FA secret back over a different live one, as replace does (additive keeps the live one)', async () => {
		const user = query<{id: string; totp_secret: string}>(original, 'SELECT id, totp_secret FROM users WHERE totp_secret IS NOT NULL ORDER BY id LIMIT 1')[0]!;
		for (const [mode, expected] of [
			['overwrite', user.totp_secret],
			['additive', 'LIVEROTATED'],
		] as const) {
			const dataDir = copyGateway(original);
			exec(dataDir, `UPDATE users SET totp_secret = 'LIVEROTATED' WHERE id = ?`, user.id);
			await applyRestore({source: backup.source, dataDir, mode, only: ['users'], keyFile: path.join(original, 'keys', 'backup.key')});
			expect(query(dataDir, 'SELECT totp_secret FROM users WHERE id = ?', user.id), mode).toEqual([{totp_secret: expected}]);
		}
	});

	it('restores into a new tenant (--into-tenant): everything is new, nothing quarantined', async () => {
		const slug = query<{slug: string}>(original, 'SELECT slug FROM tenants ORDER BY id LIMIT 1')[0]!.slug;
		const one = await backupOf(original, {format: 'tar.gz', tenant: slug});
		const dataDir = copyGateway(original);
		const plan = await planRestore({source: one.source, dataDir, mode: 'overwrite', intoTenant: 'Overwritten Co'});
		expect(plan.targetTenant).toMatchObject({slug: 'overwritten-co', exists: false});
		expect({identical: plan.totals.identical, conflicts: plan.totals.conflicts}).toEqual({identical: 0, conflicts: 0});
		const result = await applyRestore({source: one.source, dataDir, mode: 'overwrite', intoTenant: 'Overwritten Co'});
		expect(result.applied.new).toBe(plan.totals.new);
		expect(result.quarantineDir).toBeUndefined();
	});

	it('CLI: --mode overwrite needs --yes (dry run does not), --json says overwrite, an unknown mode names the three', () => {
		const dataDir = copyGateway(original);
		diverge(dataDir);
		const before = storeDigest(dataDir);
		expectOneLineError(runCli(['backup', 'restore', '--in', backup.path, '--data-dir', dataDir, '--mode', 'overwrite']), 2, /Overwrite mode writes the backup's version over every live entry that differs \(nothing is deleted\): add --yes to confirm \(preview with --dry-run\)/);
		expectOneLineError(runCli(['backup', 'restore', '--in', backup.path, '--data-dir', dataDir, '--mode', 'merge']), 2, /Unknown --mode merge \(use additive, overwrite, replace\)$/);
		expect(storeDigest(dataDir)).toEqual(before);
		const dry = runCli(['backup', 'restore', '--in', backup.path, '--data-dir', dataDir, '--mode', 'overwrite', '--dry-run']);
		expect(dry.code).toBe(0);
		expect(dry.stdout).toMatch(/^Restore plan \(overwrite\) of /);
		expect(dry.stdout).toContain("  Mode overwrite: adds new entries, leaves identical ones, writes the backup's version over conflicting ones; never deletes\n");
		expect(dry.stdout).toMatch(/^ {2}memory: [\d,]+ entries \([\d,]+ identical, 4 conflicts — backup version overwrites live\)$/m);
		expect(dry.stdout).toMatch(/^ {2}Total: [\d,]+ new, [\d,]+ identical, 8 conflicts$/m);
		expect(storeDigest(dataDir)).toEqual(before);
		const json = runCli(['backup', 'restore', '--in', backup.path, '--data-dir', dataDir, '--mode', 'overwrite', '--yes', '--json']);
		expect(json.stderr).toBe('');
		expect(json.code).toBe(0);
		const output = JSON.parse(json.stdout) as {plan: {mode: string}; applied: {conflicts: number; quarantined: number; deleted: number}; quarantineDir?: string};
		expect(output.plan.mode).toBe('overwrite');
		expect(output.applied).toMatchObject({conflicts: 8, quarantined: 0, deleted: 0});
		expect(output.quarantineDir).toBeUndefined();
		expect(walkFiles(path.join(dataDir, 'agents', 'agt_liveonly01'))).toEqual(['SOUL.md']);
	});
});
