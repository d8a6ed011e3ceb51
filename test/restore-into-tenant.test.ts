import fs from 'node:fs';
import path from 'node:path';
import {beforeAll, describe, expect, it} from 'vitest';
import {applyRestore, planRestore, remapId} from '../source/core/restore/index.js';
import {TABLES} from '../source/core/store/schema.js';
import {backupOf, copyGateway, danglingRefs, demoGateway, freshGateway, openDb, query, sha256, storeDigest, tableRows, walkFiles} from './restore-support.js';

const NOT_RESTORE_AUDIT = `NOT (action = 'backup.restore' AND actor = 'lifeboat')`;

describe('restore --into-tenant', () => {
	let original: string;
	let source: {id: string; slug: string};
	let backup: Awaited<ReturnType<typeof backupOf>>;
	beforeAll(async () => {
		original = await demoGateway({tenants: 2, seed: 61});
		source = query<{id: string; slug: string}>(original, 'SELECT id, slug FROM tenants ORDER BY id LIMIT 1')[0]!;
		backup = await backupOf(original, {format: 'zip', tenant: source.slug});
	});

	it('creates the new tenant, remaps every id consistently (refs, id lists, files) and is idempotent', async () => {
		const dataDir = copyGateway(original);
		const plan = await planRestore({source: backup.source, dataDir, intoTenant: 'Acme Restored'});
		expect(plan.targetTenant).toMatchObject({slug: 'acme-restored', name: 'Acme Restored', exists: false});
		expect(plan.totals.conflicts).toBe(0);
		expect(plan.totals.identical).toBe(0);
		const result = await applyRestore({source: backup.source, dataDir, intoTenant: 'Acme Restored', keyFile: path.join(original, 'keys', 'backup.key')});
		const target = query<{id: string; plan: string}>(dataDir, `SELECT id, plan FROM tenants WHERE slug = 'acme-restored'`)[0]!;
		expect(target.id).toBe(plan.targetTenant!.id);
		expect(target.plan).toBe(query<{plan: string}>(original, 'SELECT plan FROM tenants WHERE id = ?', source.id)[0]!.plan);

		// Every table: as many rows in the new tenant as the source tenant has, with remapped ids.
		for (const table of TABLES) {
			if (table.name === 'tenants') continue;
			const sourceRows = query<{id: string}>(original, `SELECT id FROM ${table.name} WHERE tenant_id = ?`, source.id);
			const targetIds = new Set(query<{id: string}>(dataDir, `SELECT id FROM ${table.name} WHERE tenant_id = ?`, target.id).map(row => row.id));
			const expected = sourceRows.map(row => remapId(target.id, row.id));
			const extra = table.name === 'audit_log' ? 1 : 0; // the restore's own audit entry
			expect(targetIds.size, table.name).toBe(expected.length + extra);
			for (const id of expected) expect(targetIds.has(id), `${table.name} ${id}`).toBe(true);
			for (const id of expected) expect(id.split('_')[0]).toBe(sourceRows[0]!.id.split('_')[0]);
		}
		expect(danglingRefs(dataDir, target.id)).toEqual([]);
		expect(danglingRefs(dataDir, source.id)).toEqual([]);
		// Lists of agent ids follow the agents.
		const agentIds = new Set(query<{id: string}>(dataDir, 'SELECT id FROM agents WHERE tenant_id = ?', target.id).map(row => row.id));
		for (const row of query<{enabled_agents: string}>(dataDir, 'SELECT enabled_agents FROM skills WHERE tenant_id = ?', target.id)) {
			for (const id of JSON.parse(row.enabled_agents) as string[]) expect(agentIds.has(id)).toBe(true);
		}
		// Files land under the remapped ids, byte-identical.
		for (const agent of query<{id: string}>(original, 'SELECT id FROM agents WHERE tenant_id = ?', source.id)) {
			const from = path.join(original, 'agents', agent.id);
			const to = path.join(dataDir, 'agents', remapId(target.id, agent.id));
			expect(walkFiles(to)).toEqual(walkFiles(from));
			for (const file of walkFiles(from)) expect(sha256(path.join(to, file))).toBe(sha256(path.join(from, file)));
		}
		for (const doc of query<{id: string; ext: string}>(original, 'SELECT id, ext FROM documents WHERE tenant_id = ?', source.id)) {
			expect(sha256(path.join(dataDir, 'documents', 'files', `${remapId(target.id, doc.id)}.${doc.ext}`))).toBe(sha256(path.join(original, 'documents', 'files', `${doc.id}.${doc.ext}`)));
		}
		// 2FA secrets follow their (remapped) users.
		const withTotp = query<{id: string; totp_secret: string}>(original, 'SELECT id, totp_secret FROM users WHERE tenant_id = ? AND totp_secret IS NOT NULL', source.id);
		expect(withTotp.length).toBeGreaterThan(0);
		for (const user of withTotp) expect(query(dataDir, 'SELECT totp_secret FROM users WHERE id = ?', remapId(target.id, user.id))).toEqual([{totp_secret: user.totp_secret}]);
		expect(result.applied.quarantined).toBe(0);

		// Idempotent: the same ids again, all identical.
		const again = await planRestore({source: backup.source, dataDir, intoTenant: 'acme-restored'});
		expect(again.targetTenant?.exists).toBe(true);
		expect(again.totals).toMatchObject({new: 0, conflicts: 0});
		expect(again.totals.identical).toBe(plan.totals.new);
	});

	it('the same backup into two new tenants gives each its own ids, references intact', async () => {
		const dataDir = freshGateway();
		const created = await applyRestore({source: backup.source, dataDir, intoTenant: 'beta'});
		expect(created.plan.targetTenant?.exists).toBe(false);
		const other = await applyRestore({source: backup.source, dataDir, intoTenant: 'gamma'});
		expect(other.applied.inserted).toBe(created.applied.inserted);
		const tenants = query<{id: string}>(dataDir, `SELECT id FROM tenants WHERE slug IN ('beta', 'gamma')`);
		expect(tenants).toHaveLength(2);
		for (const tenant of tenants) expect(danglingRefs(dataDir, tenant.id)).toEqual([]);
	});

	it('refuses a multi-tenant backup, a replace into a missing tenant, and writes nothing', async () => {
		const dataDir = copyGateway(original);
		const before = storeDigest(dataDir);
		const full = await backupOf(original, {format: 'dir'});
		await expect(applyRestore({source: full.source, dataDir, intoTenant: 'acme'})).rejects.toMatchObject({code: 'usage', message: expect.stringMatching(/one tenant; this one holds 2/)});
		await expect(applyRestore({source: backup.source, dataDir, intoTenant: 'nobody-here', mode: 'replace'})).rejects.toMatchObject({code: 'unknown-tenant'});
		await expect(applyRestore({source: backup.source, dataDir, intoTenant: '!!!'})).rejects.toMatchObject({code: 'usage'});
		expect(storeDigest(dataDir)).toEqual(before);
		expect(fs.existsSync(path.join(dataDir, '.lifeboat-restore'))).toBe(false);
	});

	it('an id that already belongs to another tenant is a collision: refused, nothing written', async () => {
		const dataDir = copyGateway(original);
		const other = query<{id: string}>(dataDir, 'SELECT id FROM tenants WHERE id != ? LIMIT 1', source.id)[0]!.id;
		const memory = query<{id: string}>(dataDir, 'SELECT id FROM memory_entries WHERE tenant_id = ? LIMIT 1', source.id)[0]!.id;
		const db = openDb(dataDir, false);
		db.prepare('UPDATE memory_entries SET tenant_id = ? WHERE id = ?').run(other, memory);
		db.close();
		const before = storeDigest(dataDir);
		await expect(applyRestore({source: backup.source, dataDir})).rejects.toMatchObject({code: 'conflict', message: expect.stringContaining(memory)});
		expect(storeDigest(dataDir)).toEqual(before);
	});
	it('--into-tenant with --only: just those categories, remapped, into a new tenant; replace --only into an existing one leaves its other data alone', async () => {
		const dataDir = copyGateway(original);
		const other = query<{id: string; slug: string}>(dataDir, 'SELECT id, slug FROM tenants WHERE id != ? LIMIT 1', source.id)[0]!;
		const rowsOf = (tenantId: string) => Object.fromEntries(TABLES.filter(table => table.name !== 'tenants').map(table => [table.name, tableRows(dataDir, table.name, {where: `tenant_id = ?${table.name === 'audit_log' ? ` AND ${NOT_RESTORE_AUDIT}` : ''}`, params: [tenantId]})]));
		const sourceBefore = rowsOf(source.id);
		const otherBefore = rowsOf(other.id);

		// Additive into a new tenant, agents and memory only.
		const plan = await planRestore({source: backup.source, dataDir, intoTenant: 'Only Some', only: ['memory', 'agents']});
		expect(plan.categories.map(category => category.category)).toEqual(['agents', 'memory']);
		expect(plan.scopeTenantIds).toEqual([plan.targetTenant!.id]);
		const result = await applyRestore({source: backup.source, dataDir, intoTenant: 'Only Some', only: ['memory', 'agents']});
		expect(result.applied.inserted + result.applied.files).toBe(plan.totals.new);
		const target = query<{id: string}>(dataDir, `SELECT id FROM tenants WHERE slug = 'only-some'`)[0]!.id;
		for (const table of TABLES) {
			if (table.name === 'tenants') continue;
			const restored = query<{id: string}>(dataDir, `SELECT id FROM ${table.name} WHERE tenant_id = ?${table.name === 'audit_log' ? ` AND ${NOT_RESTORE_AUDIT}` : ''}`, target).map(row => row.id).sort();
			const wanted = ['agents', 'memory'].includes(table.category) ? sourceBefore[table.name]!.map(row => remapId(target, String(row['id']))).sort() : [];
			expect(restored, table.name).toEqual(wanted);
		}
		expect(danglingRefs(dataDir, target)).toEqual([]); // memory → agents, both restored
		for (const agent of sourceBefore['agents']!) {
			expect(walkFiles(path.join(dataDir, 'agents', remapId(target, String(agent['id']))))).toEqual(walkFiles(path.join(original, 'agents', String(agent['id']))));
		}
		for (const doc of sourceBefore['documents']!) expect(fs.existsSync(path.join(dataDir, 'documents', 'files', `${remapId(target, String(doc['id']))}.${String(doc['ext'])}`))).toBe(false);

		// Replace into an existing tenant, memory only: its memory becomes the backup's (remapped), the rest stays.
		const replaced = await applyRestore({source: backup.source, dataDir, intoTenant: other.slug, mode: 'replace', only: ['memory']});
		expect(replaced.plan.scopeTenantIds).toEqual([other.id]);
		const otherAfter = rowsOf(other.id);
		for (const table of TABLES) {
			if (table.name === 'tenants') continue;
			if (table.category === 'memory') {
				expect(otherAfter[table.name]!.map(row => row['id']).sort(), table.name).toEqual(sourceBefore[table.name]!.map(row => remapId(other.id, String(row['id']))).sort());
			} else {
				expect(otherAfter[table.name], table.name).toEqual(otherBefore[table.name]);
			}
		}
		expect(rowsOf(source.id)).toEqual(sourceBefore);

		// --only still names categories of the backup.
		const partial = await backupOf(original, {format: 'zip', tenant: source.slug, categories: ['agents', 'memory']});
		const before = storeDigest(dataDir);
		await expect(applyRestore({source: partial.source, dataDir, intoTenant: 'Only Some', only: ['chats']})).rejects.toMatchObject({code: 'unknown-category', message: expect.stringMatching(/chats not in this backup/)});
		expect(storeDigest(dataDir)).toEqual(before);
	});
});
