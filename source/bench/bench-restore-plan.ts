/**
 * Restore dry-run benchmark: a gateway with `entries` memory entries (bulk-inserted), backed up as
 * a zip once (kept in `workDir` for the next run), then a timed planRestore (verify + plan pass)
 * against a fresh, empty store.
 */
import fs from 'node:fs';
import path from 'node:path';
import {plainFileSource} from '../core/archive/archive-reader.js';
import {createBackup} from '../core/backup/create-backup.js';
import {Random} from '../core/demo/random.js';
import {planRestore} from '../core/restore/restore-engine.js';
import {createGateway} from '../core/store/gateway-store.js';

const WORDS = ['customer', 'prefers', 'invoice', 'weekly', 'summary', 'escalate', 'ticket', 'pipeline', 'deploy', 'the', 'agent', 'noted', 'that', 'renewal', 'is', 'due', 'in', 'march', 'contact', 'via', 'email', 'only', 'budget', 'approved'];

/** A gateway of one tenant, one agent and `entries` memory entries (ids mem_00000000…); `seed` varies their content, not their ids. */
export function buildMemoryGateway(dir: string, entries: number, seed = 7): void {
	const store = createGateway(dir);
	try {
		const random = new Random(seed);
		const created = '2026-01-05T09:00:00.000Z';
		const tenant = 'ten_bench0001';
		const agent = 'agt_bench0001';
		store.db.pragma('synchronous = OFF');
		store.db.transaction(() => {
			store.db.prepare(`INSERT INTO tenants (id, tenant_id, created_at, updated_at, name, slug, plan) VALUES (?, ?, ?, ?, 'Bench', 'bench', 'pro')`).run(tenant, tenant, created, created);
			store.db.prepare(`INSERT INTO users (id, tenant_id, created_at, updated_at, email, display_name, password_hash, role, totp_secret, last_login_at) VALUES ('usr_bench0001', ?, ?, ?, 'owner@bench.example', 'Owner', '$argon2id$bench', 'owner', NULL, NULL)`).run(tenant, created, created);
			store.db.prepare(`INSERT INTO agents (id, tenant_id, created_at, updated_at, name, model, description, tool_allowlist, status) VALUES (?, ?, ?, ?, 'Bench', 'gpt-4.1', 'bench agent', '[]', 'active')`).run(agent, tenant, created, created);
			const insert = store.db.prepare(`INSERT INTO memory_entries (id, tenant_id, created_at, updated_at, agent_id, kind, content, importance, tags) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`);
			const kinds = ['fact', 'preference', 'episode', 'summary'];
			for (let index = 0; index < entries; index++) {
				const length = 8 + (random.next() % 22);
				const words: string[] = [];
				for (let word = 0; word < length; word++) words.push(WORDS[random.next() % WORDS.length]!);
				insert.run(`mem_${index.toString(16).padStart(8, '0')}`, tenant, created, created, agent, kinds[index % 4], words.join(' ') + '.', (random.next() % 101) / 100, '["ops"]');
			}
		})();
		store.db.pragma('wal_checkpoint(TRUNCATE)');
	} finally {
		store.close();
	}
}

export async function benchRestorePlan(workDir: string, entries = 1_000_000): Promise<{entries: number; seconds: number}> {
	fs.mkdirSync(workDir, {recursive: true});
	const backup = path.join(workDir, `memory-${entries}.zip`);
	if (!fs.existsSync(backup)) {
		const source = path.join(workDir, `gateway-${entries}`);
		fs.rmSync(source, {recursive: true, force: true});
		buildMemoryGateway(source, entries);
		await createBackup({dataDir: source, out: backup, format: 'zip', categories: ['users', 'agents', 'memory']});
		fs.rmSync(source, {recursive: true, force: true});
	}
	const fresh = path.join(workDir, 'fresh');
	fs.rmSync(fresh, {recursive: true, force: true});
	createGateway(fresh).close();
	const started = process.hrtime.bigint();
	const plan = await planRestore({source: plainFileSource(backup), dataDir: fresh});
	const seconds = Number(process.hrtime.bigint() - started) / 1e9;
	fs.rmSync(fresh, {recursive: true, force: true});
	const planned = plan.categories.find(category => category.category === 'memory')?.tables['memory_entries'];
	if (!planned || planned.new !== entries) throw new Error(`restore plan counted ${planned?.new ?? 0} new memory entries, expected ${entries}`);
	return {entries, seconds};
}
