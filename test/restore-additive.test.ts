import fs from 'node:fs';
import path from 'node:path';
import {beforeAll, describe, expect, it} from 'vitest';
import {applyRestore, getConflictDetail, planRestore} from '../source/core/restore/index.js';
import {acceptQuarantine, discardQuarantine, listQuarantine, listQuarantineEntries, showQuarantineEntry} from '../source/core/quarantine/quarantine.js';
import type {RestoreOptions} from '../source/core/restore/index.js';
import {backupOf, copyGateway, demoGateway, exec, query, sha256, tableRows, walkFiles} from './restore-support.js';

describe('additive restore onto a modified store', () => {
	let original: string;
	let backup: Awaited<ReturnType<typeof backupOf>>;
	beforeAll(async () => {
		original = await demoGateway({tenants: 2, seed: 41});
		backup = await backupOf(original, {format: 'tar.gz'});
	});

	/** Changes some rows, deletes some, adds some, edits a file and the config; returns what changed. */
	function modify(dataDir: string) {
		const changedMemory = query<{id: string}>(dataDir, 'SELECT id FROM memory_entries ORDER BY id LIMIT 4').map(row => row.id);
		for (const id of changedMemory) exec(dataDir, `UPDATE memory_entries SET content = content || ' (edited)' WHERE id = ?`, id);
		const changedWebhook = query<{id: string; secret: string}>(dataDir, 'SELECT id, secret FROM webhooks ORDER BY id LIMIT 1')[0]!;
		exec(dataDir, `UPDATE webhooks SET url = 'https://changed.example/hook' WHERE id = ?`, changedWebhook.id);
		// A secret-only change is not a conflict: the backup cannot know secrets.
		exec(dataDir, `UPDATE connections SET auth_token = 'rotated-token-123456' WHERE id = (SELECT id FROM connections ORDER BY id LIMIT 1)`);
		const deletedTasks = query<{id: string}>(dataDir, 'SELECT id FROM tasks ORDER BY id LIMIT 3').map(row => row.id);
		for (const id of deletedTasks) exec(dataDir, 'DELETE FROM tasks WHERE id = ?', id);
		const tenant = query<{id: string}>(dataDir, 'SELECT id FROM tenants ORDER BY id LIMIT 1')[0]!.id;
		const agent = query<{id: string}>(dataDir, 'SELECT id FROM agents WHERE tenant_id = ? LIMIT 1', tenant)[0]!.id;
		exec(dataDir, `INSERT INTO memory_entries (id, tenant_id, created_at, updated_at, agent_id, kind, content, importance, tags) VALUES ('mem_added0001', ?, '2026-02-01', '2026-02-01', ?, 'fact', 'added after the backup', 0.5, '[]')`, tenant, agent);
		const soul = path.join(dataDir, 'agents', agent, 'SOUL.md');
		fs.appendFileSync(soul, '\nEdited after the backup.\n');
		const settings = JSON.parse(fs.readFileSync(path.join(dataDir, 'appsettings.json'), 'utf8'));
		settings.Logging.Level = 'Debug';
		fs.writeFileSync(path.join(dataDir, 'appsettings.json'), JSON.stringify(settings, null, 2) + '\n');
		const deletedDoc = query<{id: string; ext: string}>(dataDir, 'SELECT id, ext FROM documents ORDER BY id LIMIT 1')[0]!;
		fs.rmSync(path.join(dataDir, 'documents', 'files', `${deletedDoc.id}.${deletedDoc.ext}`));
		return {changedMemory, changedWebhook, deletedTasks, agent, soul, deletedDoc};
	}

	it('quarantines exactly the modified entries, restores the deleted ones, keeps additions and live secrets; plan = result', async () => {
		const dataDir = copyGateway(original);
		const change = modify(dataDir);
		const options: RestoreOptions = {source: backup.source, dataDir};
		const plan = await planRestore(options);
		const conflicts = plan.categories.flatMap(category => category.conflictRefs.map(ref => `${ref.table}:${ref.id}`)).sort();
		const soulTarget = path.relative(dataDir, change.soul).split(path.sep).join('/');
		expect(conflicts).toEqual(
			[...change.changedMemory.map(id => `memory_entries:${id}`), `webhooks:${change.changedWebhook.id}`, `files:${soulTarget}`, 'files:appsettings.json'].sort(),
		);
		const byCategory = Object.fromEntries(plan.categories.map(category => [category.category, category]));
		expect(byCategory['collaboration']!.tables['tasks']!.new).toBe(3);
		expect(byCategory['documents']!.fileCounts.new).toBe(1);
		expect(byCategory['memory']!.conflicts).toBe(4);
		expect(byCategory['memory']!.conflictIds.sort()).toEqual([...change.changedMemory].sort());

		// Side-by-side detail of a conflict, before anything is written.
		const detail = await getConflictDetail(options, 'webhooks', 'webhooks', change.changedWebhook.id);
		expect(detail.changed).toEqual(['url']);
		expect(detail.live['secret']).toBe('[secret: kept]');
		expect(detail.backup['url']).not.toBe('https://changed.example/hook');
		const fileDetail = await getConflictDetail(options, 'config', 'files', 'appsettings.json');
		expect(fileDetail.changed).toEqual(['Logging.Level']);
		expect(JSON.stringify(fileDetail)).not.toMatch(/jwt_[0-9a-f]{8}/);

		const before = tableRows(dataDir, 'memory_entries');
		const result = await applyRestore(options);
		expect(result.applied.quarantined).toBe(plan.totals.conflicts);
		expect(result.applied.inserted).toBe(plan.categories.reduce((sum, category) => sum + Object.values(category.tables).reduce((s, t) => s + t.new, 0), 0));
		expect(result.applied.files).toBe(plan.categories.reduce((sum, category) => sum + category.fileCounts.new, 0));
		expect(result.applied.identical).toBe(plan.totals.identical);

		// Never overwrites: live versions of conflicting entries are untouched, additions stay.
		const after = tableRows(dataDir, 'memory_entries');
		expect(after).toEqual(before);
		expect(query(dataDir, `SELECT url FROM webhooks WHERE id = ?`, change.changedWebhook.id)).toEqual([{url: 'https://changed.example/hook'}]);
		expect(query(dataDir, `SELECT secret FROM webhooks WHERE id = ?`, change.changedWebhook.id)).toEqual([{secret: change.changedWebhook.secret}]);
		expect(query(dataDir, `SELECT COUNT(*) AS n FROM connections WHERE auth_token = 'rotated-token-123456'`)).toEqual([{n: 1}]);
		expect(fs.readFileSync(change.soul, 'utf8')).toContain('Edited after the backup.');
		// Deleted ones come back.
		expect(query(dataDir, `SELECT COUNT(*) AS n FROM tasks WHERE id IN (${change.deletedTasks.map(() => '?').join(',')})`, ...change.deletedTasks)).toEqual([{n: 3}]);
		const doc = path.join(dataDir, 'documents', 'files', `${change.deletedDoc.id}.${change.deletedDoc.ext}`);
		expect(sha256(doc)).toBe(sha256(path.join(original, 'documents', 'files', `${change.deletedDoc.id}.${change.deletedDoc.ext}`)));

		// The quarantine holds exactly the conflicts, as the backup's versions.
		expect(result.quarantineDir).toBe(`quarantine/${result.restoreId}`);
		const folder = path.join(dataDir, result.quarantineDir!);
		expect(fs.existsSync(path.join(folder, 'summary.json'))).toBe(true);
		expect(walkFiles(folder)).toEqual(['agents/files/' + soulTarget, 'config/files/appsettings.json', 'memory/memory_entries.jsonl', 'summary.json', 'webhooks/webhooks.jsonl'].sort());
		const quarantinedMemory = fs.readFileSync(path.join(folder, 'memory', 'memory_entries.jsonl'), 'utf8').trim().split('\n').map(line => JSON.parse(line));
		expect(quarantinedMemory).toEqual(tableRows(original, 'memory_entries', {where: `id IN (${change.changedMemory.map(() => '?').join(',')})`, params: change.changedMemory}));
		expect(fs.readFileSync(path.join(folder, 'config', 'files', 'appsettings.json'), 'utf8')).not.toMatch(/jwt_[0-9a-f]{8}/);
		const entries = listQuarantineEntries(dataDir, result.restoreId);
		expect(entries.map(entry => entry.entryId).sort()).toEqual(conflicts);
		expect(entries.find(entry => entry.table === 'webhooks')!.changed).toEqual(['url']);
		expect(listQuarantine(dataDir)).toMatchObject([{restoreId: result.restoreId, entries: conflicts.length}]);

		// Accept one memory entry, the webhook (keeping its live secret) and the config; discard the rest.
		const shown = showQuarantineEntry(dataDir, result.restoreId, change.changedMemory[0]!);
		expect(shown.changed).toEqual(['content']);
		const accepted = acceptQuarantine(dataDir, result.restoreId, [`memory_entries:${change.changedMemory[0]}`, change.changedWebhook.id, 'files:appsettings.json']);
		expect(accepted).toEqual({accepted: 3, remaining: conflicts.length - 3});
		expect(tableRows(dataDir, 'memory_entries', {where: 'id = ?', params: [change.changedMemory[0]]})).toEqual(tableRows(original, 'memory_entries', {where: 'id = ?', params: [change.changedMemory[0]]}));
		expect(query(dataDir, `SELECT url, secret FROM webhooks WHERE id = ?`, change.changedWebhook.id)).toEqual([{url: query<{url: string}>(original, 'SELECT url FROM webhooks WHERE id = ?', change.changedWebhook.id)[0]!.url, secret: change.changedWebhook.secret}]);
		expect(JSON.parse(fs.readFileSync(path.join(dataDir, 'appsettings.json'), 'utf8'))).toEqual(JSON.parse(fs.readFileSync(path.join(original, 'appsettings.json'), 'utf8')));
		expect(query(dataDir, `SELECT COUNT(*) AS n FROM audit_log WHERE action = 'quarantine.accept'`)).toEqual([{n: 2}]);
		const discarded = discardQuarantine(dataDir, result.restoreId);
		expect(discarded).toEqual({discarded: conflicts.length - 3, remaining: 0});
		expect(fs.existsSync(path.join(dataDir, 'quarantine'))).toBe(false);
		expect(fs.readFileSync(change.soul, 'utf8')).toContain('Edited after the backup.');

		// Now only the 3 still-edited memory rows and the soul file conflict; a second restore says so.
		const again = await planRestore(options);
		expect(again.totals.new).toBe(0);
		expect(again.totals.conflicts).toBe(4);
	});

	it('restoring the same backup twice reports everything identical the second time', async () => {
		const dataDir = copyGateway(original);
		modify(dataDir);
		const first = await applyRestore({source: backup.source, dataDir});
		expect(first.applied.quarantined).toBeGreaterThan(0);
		discardQuarantine(dataDir, first.restoreId);
		// After taking the backup's side of every conflict by hand the store matches the backup again.
		const plan = await planRestore({source: backup.source, dataDir});
		expect(plan.totals.new).toBe(0);
		expect(plan.totals.conflicts).toBe(first.applied.quarantined);
		const second = await applyRestore({source: backup.source, dataDir});
		acceptQuarantine(dataDir, second.restoreId);
		const third = await planRestore({source: backup.source, dataDir});
		expect(third.totals).toMatchObject({new: 0, conflicts: 0, toDelete: 0});
		expect(third.totals.identical).toBe(plan.totals.identical + plan.totals.conflicts);
	});
});
