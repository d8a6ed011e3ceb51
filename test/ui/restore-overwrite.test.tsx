import Database from 'better-sqlite3';
import path from 'node:path';
import {afterEach, describe, expect, test} from 'vitest';
import type {GatewayChoice} from '../../source/ui/prepare-gateway.js';
import {demoGateway, KEY, makeBackup, renderApp, type Rendered} from './harness.js';

/** Issue 11 §4 in the console: the overwrite mode, what the plan says it does, and the dangling-reference warning. */

let app: Rendered | undefined;

afterEach(() => {
	app?.unmount();
	app = undefined;
});

function query<T>(gateway: GatewayChoice, sql: string, ...params: unknown[]): T[] {
	const handle = new Database(path.join(gateway.dataDir, 'data', 'gateway.db'));
	try {
		return handle.prepare(sql).all(...params) as T[];
	} finally {
		handle.close();
	}
}

describe('Restore wizard: overwrite mode', () => {
	test('the mode list offers Overwrite; its plan says what it does; r asks for the slug; conflicts are overwritten, nothing quarantined or deleted', async () => {
		const gateway = await demoGateway(141);
		await makeBackup(gateway, {name: 'acme-over', tenant: 'acme-corp'});
		const tenant = query<{id: string}>(gateway, `SELECT id FROM tenants WHERE slug = 'acme-corp'`)[0]!.id;
		const memory = query<{id: string; content: string}>(gateway, 'SELECT id, content FROM memory_entries WHERE tenant_id = ? ORDER BY id LIMIT 3', tenant);
		const handle = new Database(path.join(gateway.dataDir, 'data', 'gateway.db'));
		for (const {id} of memory) handle.prepare(`UPDATE memory_entries SET content = 'edited live' WHERE id = ?`).run(id);
		handle.prepare(`INSERT INTO tools (id, tenant_id, created_at, updated_at, name, description, kind, input_schema) VALUES ('tool_liveonly', ?, 'x', 'x', 'live', 'd', 'http', '{}')`).run(tenant);
		handle.close();

		app = renderApp(gateway, {route: {name: 'restore'}, rows: 30, columns: 140});
		await app.waitFor('› acme-over.zip');
		await app.press(KEY.enter);
		await app.waitFor('[x] Users');
		await app.press(KEY.enter);
		await app.waitFor('› Same tenant: acme-corp');
		await app.press(KEY.enter);
		const modes = await app.waitFor('› Additive');
		expect(modes).toMatch(/Overwrite\s+add new, skip identical, backup's version over conflicts; never deletes/);
		await app.press('j', 'j');
		await app.waitFor('› Overwrite');
		await app.press(KEY.enter);
		const plan = await app.waitFor('Overwrite of acme-over into tenant acme-corp', 30_000);
		expect(plan).toContain("Overwrite adds new entries, leaves identical ones, writes the backup's version over conflicting ones; never deletes");
		expect(plan).toContain('r overwrite now (asks to confirm)');

		await app.press('j', 'j', 'j', 'j');
		await app.waitFor('› Memory');
		await app.press(KEY.enter);
		await app.waitFor('3 conflicts in Memory: the backup version overwrites the live one');
		await app.press(KEY.escape);
		await app.waitFor('Overwrite of acme-over');
		await app.press('r');
		const confirm = await app.waitFor('Type acme-corp to confirm');
		expect(confirm).toContain('Confirm overwrite');
		expect(confirm).toMatch(/Overwrite writes the backup's version over 3 live entries in tenant acme-corp \(\d+ categories\)\s+and adds 0 new; nothing is deleted\./);
		await app.press('acme', KEY.enter);
		await app.waitFor('Type acme-corp exactly to overwrite, or Esc to go back');
		await app.press(KEY.ctrlU, 'acme-corp', KEY.enter);
		const summary = await app.waitFor('✓ Restored (overwrite)', 30_000);
		expect(summary).toMatch(/Conflicts\s+3 \(overwritten by the backup version\)/);
		expect(summary).toMatch(/Deleted\s+0/);
		expect(summary).toMatch(/Quarantined\s+0/);
		expect(summary).not.toContain('Open quarantine');
		for (const row of memory) expect(query(gateway, 'SELECT content FROM memory_entries WHERE id = ?', row.id)).toEqual([{content: row.content}]);
		expect(query(gateway, `SELECT name FROM tools WHERE id = 'tool_liveonly'`)).toEqual([{name: 'live'}]);
	});

	test('an overwrite with no conflicts restores at once (nothing would be overwritten)', async () => {
		const gateway = await demoGateway(142);
		await makeBackup(gateway, {name: 'acme-same', tenant: 'acme-corp'});
		app = renderApp(gateway, {route: {name: 'restore'}, rows: 30});
		await app.waitFor('› acme-same.zip');
		await app.press(KEY.enter);
		await app.waitFor('[x] Users');
		await app.press(KEY.enter);
		await app.waitFor('› Same tenant: acme-corp');
		await app.press(KEY.enter);
		await app.waitFor('› Additive');
		await app.press('j', 'j', KEY.enter);
		const plan = await app.waitFor('Overwrite of acme-same', 30_000);
		expect(plan).toContain('r restore now');
		await app.press('r');
		await app.waitFor('✓ Restored (overwrite)', 30_000);
	});

	test('--only chats into a new tenant: the plan warns which references would dangle and what to tick', async () => {
		const gateway = await demoGateway(143);
		await makeBackup(gateway, {name: 'acme-chats', tenant: 'acme-corp'});
		const tenant = query<{id: string}>(gateway, `SELECT id FROM tenants WHERE slug = 'acme-corp'`)[0]!.id;
		const conversations = query<{n: number}>(gateway, 'SELECT COUNT(*) AS n FROM conversations WHERE tenant_id = ?', tenant)[0]!.n;
		app = renderApp(gateway, {route: {name: 'restore'}, rows: 30, columns: 200});
		await app.waitFor('› acme-chats.zip');
		await app.press(KEY.enter);
		await app.waitFor('[x] Users');
		await app.press('a');
		await app.waitFor('[ ] Users');
		await app.press('j', 'j');
		await app.waitFor(/›\s*\[ \] Chats/);
		await app.press(' ');
		await app.waitFor(/›\s*\[x\] Chats/);
		await app.press(KEY.enter);
		await app.waitFor('New tenant…');
		await app.press('j', 'j');
		await app.waitFor('› New tenant…');
		await app.press(KEY.enter);
		await app.waitFor('Name of the new tenant');
		await app.press('Chats Only', KEY.enter);
		await app.waitFor('› Additive');
		await app.press(KEY.enter);
		const plan = await app.waitFor('Additive of acme-chats into tenant chats-only (new)', 30_000);
		expect(plan).toContain(
			`! ${(conversations * 2).toLocaleString('en-US')} references would dangle: go back (Esc) to Categories and tick Users, Agents · conversations.user_id → users ×${conversations}, conversations.agent_id → agents ×${conversations}`,
		);
	});
});
