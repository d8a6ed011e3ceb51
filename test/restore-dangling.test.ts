import path from 'node:path';
import {beforeAll, describe, expect, it} from 'vitest';
import {getConflictDetail} from '../source/core/restore/conflict-detail.js';
import {applyRestore, planRestore, remapId, type DanglingReference} from '../source/core/restore/index.js';
import {runCli} from './helpers/run-cli.js';
import {backupOf, copyGateway, demoGateway, exec, query} from './restore-support.js';

/**
 * Issue 11 §4: a restore with --only or --into-tenant that would leave references dangling says
 * so (which table.column, how many, which categories fix it); references already dangling in the
 * backup are not its doing. And --into-tenant remaps an audit entry's actor when it names a user
 * of the backup, and keeps it otherwise.
 */

const FORMATS = ['zip', 'tar.gz', 'dir'] as const;

function conversationsOf(dataDir: string, tenant: string, where = '1'): number {
	return query<{n: number}>(dataDir, `SELECT COUNT(*) AS n FROM conversations WHERE tenant_id = ? AND ${where}`, tenant)[0]!.n;
}

const chatsWarning = (users: number, agents: number) =>
	`${(users + agents).toLocaleString('en-US')} references would be left dangling (conversations.user_id → users ×${users}, conversations.agent_id → agents ×${agents}): the backup holds what they point at, but this restore leaves it out and the target does not have it; add users, agents (--only chats,users,agents) to keep them whole`;

const chatsRefs = (users: number, agents: number): DanglingReference[] => [
	{table: 'conversations', column: 'user_id', target: 'users', category: 'users', count: users},
	{table: 'conversations', column: 'agent_id', target: 'agents', category: 'agents', count: agents},
];

describe('dangling-reference warning', () => {
	let original: string;
	let tenant: {id: string; slug: string};
	let backups: Record<(typeof FORMATS)[number], Awaited<ReturnType<typeof backupOf>>>;
	beforeAll(async () => {
		original = await demoGateway({tenants: 2, seed: 121});
		tenant = query<{id: string; slug: string}>(original, 'SELECT id, slug FROM tenants ORDER BY id LIMIT 1')[0]!;
		backups = {} as typeof backups;
		for (const format of FORMATS) backups[format] = await backupOf(original, {format, tenant: tenant.slug});
	});

	it('--only chats --into-tenant NEW: the plan and the restore name conversations.user_id and .agent_id with counts, and users, agents to add (every format)', async () => {
		const count = conversationsOf(original, tenant.id);
		expect(count).toBeGreaterThan(0);
		for (const format of FORMATS) {
			const dataDir = copyGateway(original);
			const options = {source: backups[format].source, dataDir, only: ['chats'], intoTenant: 'Chats Only'};
			const plan = await planRestore(options);
			expect(plan.danglingReferences, format).toEqual(chatsRefs(count, count));
			expect(plan.warnings, format).toContain(chatsWarning(count, count));
			const result = await applyRestore(options);
			expect(result.plan.danglingReferences, format).toEqual(chatsRefs(count, count));
			expect(result.warnings, format).toContain(chatsWarning(count, count));
		}
	});

	it('is silent for a full restore, for --only chats into the same gateway, and when the categories that fix it are added', async () => {
		const dataDir = copyGateway(original);
		for (const options of [{intoTenant: 'Everything'}, {only: ['chats']}, {only: ['chats', 'users', 'agents'], intoTenant: 'Fixed'}, {}]) {
			const plan = await planRestore({source: backups.zip.source, dataDir, ...options});
			expect(plan.danglingReferences, JSON.stringify(options)).toEqual([]);
			expect(plan.warnings.filter(warning => warning.includes('dangling')), JSON.stringify(options)).toEqual([]);
		}
	});

	it('does not count references already dangling in the backup (legal gateway data), nor targets the target store has under the remapped id', async () => {
		const source = copyGateway(original);
		const ids = query<{id: string}>(source, 'SELECT id FROM conversations WHERE tenant_id = ? ORDER BY id LIMIT 5', tenant.id).map(row => row.id);
		// Three point at a user no backup holds, two at no agent ('' is an empty reference).
		for (const id of ids.slice(0, 3)) exec(source, `UPDATE conversations SET user_id = 'usr_gone' WHERE id = ?`, id);
		for (const id of ids.slice(3)) exec(source, `UPDATE conversations SET agent_id = '' WHERE id = ?`, id);
		const backup = await backupOf(source, {format: 'tar.gz', tenant: tenant.slug});
		const count = conversationsOf(source, tenant.id);
		const dataDir = copyGateway(original);
		const plan = await planRestore({source: backup.source, dataDir, only: ['chats'], intoTenant: 'Partly'});
		expect(plan.danglingReferences).toEqual(chatsRefs(count - 3, count - 2));
		// The users restored first into that tenant (their remapped ids are live): only the agents dangle.
		await applyRestore({source: backup.source, dataDir, only: ['users'], intoTenant: 'Partly'});
		const after = await planRestore({source: backup.source, dataDir, only: ['chats'], intoTenant: 'Partly'});
		expect(after.danglingReferences).toEqual([{table: 'conversations', column: 'agent_id', target: 'agents', category: 'agents', count: count - 2}]);
		expect(after.warnings.find(warning => warning.includes('dangling'))).toMatch(/ \(conversations\.agent_id → agents ×\d+\): .*; add agents \(--only chats,agents\) to keep them whole$/);
	});

	it('CLI: the dry run prints the warning, --json carries danglingReferences', () => {
		const dataDir = copyGateway(original);
		const count = conversationsOf(original, tenant.id);
		const flags = ['backup', 'restore', '--in', backups.zip.path, '--data-dir', dataDir, '--only', 'chats', '--into-tenant', 'Chats Only', '--dry-run'];
		const human = runCli(flags);
		expect(human.code).toBe(0);
		expect(human.stdout).toContain(`Warning: ${chatsWarning(count, count)}\n`);
		const json = runCli([...flags, '--json']);
		expect(json.code).toBe(0);
		const {plan} = JSON.parse(json.stdout) as {plan: {danglingReferences: DanglingReference[]; warnings: string[]}};
		expect(plan.danglingReferences).toEqual(chatsRefs(count, count));
		expect(plan.warnings).toContain(chatsWarning(count, count));
	});
});

describe('audit_log.actor under --into-tenant', () => {
	let source: string;
	let tenant: {id: string; slug: string};
	let kept: Record<string, string>;
	beforeAll(async () => {
		source = await demoGateway({tenants: 2, seed: 131});
		tenant = query<{id: string; slug: string}>(source, 'SELECT id, slug FROM tenants ORDER BY id LIMIT 1')[0]!;
		const otherUser = query<{id: string}>(source, 'SELECT id FROM users WHERE tenant_id <> ? ORDER BY id LIMIT 1', tenant.id)[0]!.id;
		const audit = query<{id: string}>(source, 'SELECT id FROM audit_log WHERE tenant_id = ? ORDER BY id LIMIT 5', tenant.id).map(row => row.id);
		// Actors that are not a user of the backup: kept as they are.
		kept = {[audit[0]!]: 'lifeboat', [audit[1]!]: 'system', [audit[2]!]: 'ops@example.com', [audit[3]!]: 'usr_notinbackup', [audit[4]!]: otherUser};
		for (const [id, actor] of Object.entries(kept)) exec(source, 'UPDATE audit_log SET actor = ? WHERE id = ?', actor, id);
	});

	it('is remapped when it names a user of the backup, kept otherwise (all categories and --only audit; every format)', async () => {
		const users = new Set(query<{id: string}>(source, 'SELECT id FROM users WHERE tenant_id = ?', tenant.id).map(row => row.id));
		const rows = query<{id: string; actor: string}>(source, 'SELECT id, actor FROM audit_log WHERE tenant_id = ?', tenant.id);
		expect(rows.filter(row => users.has(row.actor)).length).toBeGreaterThan(100);
		for (const format of FORMATS) {
			const backup = await backupOf(source, {format, tenant: tenant.slug});
			for (const only of [undefined, ['audit']]) {
				const dataDir = copyGateway(source);
				const result = await applyRestore({source: backup.source, dataDir, intoTenant: `Audit ${format} ${only ? 'only' : 'all'}`, ...(only ? {only} : {})});
				const target = result.plan.targetTenant!.id;
				const restored = new Map(query<{id: string; actor: string}>(dataDir, 'SELECT id, actor FROM audit_log WHERE tenant_id = ?', target).map(row => [row.id, row.actor]));
				for (const row of rows) {
					const expected = users.has(row.actor) ? remapId(target, row.actor) : row.actor;
					expect(restored.get(remapId(target, row.id)), `${format} ${only ? 'only' : 'all'}: ${row.id} (${row.actor})`).toBe(expected);
				}
				for (const [id, actor] of Object.entries(kept)) expect(restored.get(remapId(target, id))).toBe(actor);
				// Restoring again finds every audit entry identical (the remapping is deterministic).
				const again = await planRestore({source: backup.source, dataDir, intoTenant: target, only: ['audit']});
				expect(again.categories.find(category => category.category === 'audit')).toMatchObject({new: 0, conflicts: 0});
			}
		}
	});

	it('without --into-tenant the actor is kept; the conflict view shows the remapped actor (not a difference)', async () => {
		const backup = await backupOf(source, {format: 'dir', tenant: tenant.slug});
		const dataDir = copyGateway(source);
		const plan = await planRestore({source: backup.source, dataDir, only: ['audit']});
		expect(plan.totals).toMatchObject({new: 0, conflicts: 0});
		const result = await applyRestore({source: backup.source, dataDir, only: ['audit', 'users'], intoTenant: 'Audited', keyFile: path.join(source, 'keys', 'backup.key')});
		const target = result.plan.targetTenant!.id;
		const entry = query<{id: string; actor: string}>(dataDir, `SELECT id, actor FROM audit_log WHERE tenant_id = ? AND actor LIKE 'usr_%' AND action <> 'backup.restore' ORDER BY id LIMIT 1`, target)[0]!;
		exec(dataDir, `UPDATE audit_log SET action = 'edited live' WHERE id = ?`, entry.id);
		const detail = await getConflictDetail({source: backup.source, dataDir, only: ['audit'], intoTenant: 'Audited'}, 'audit', 'audit_log', entry.id);
		expect(detail.changed).toEqual(['action']);
		expect(detail.backup['actor']).toBe(entry.actor);
	});
});
