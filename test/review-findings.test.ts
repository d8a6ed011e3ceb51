/**
 * Adversarial review of issue 8 ("exit 0 means restorable"): each `it` is one defect, named after
 * it, and fails until the defect is fixed. Real gateways (createGateway + SQL), real archives.
 */
import fs from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import {describe, expect, it} from 'vitest';
import {createBackup} from '../source/core/backup/create-backup.js';
import {verifyBackup} from '../source/core/backup/verify-backup.js';
import {applyRestore, planRestore} from '../source/core/restore/index.js';
import {runCli} from './helpers/run-cli.js';
import {tempDir} from './helpers/temp-dir.js';
import {acceptQuarantine, listQuarantine} from '../source/core/quarantine/quarantine.js';
import {backupOf, editedBackup, exec, freshGateway, openDb, outcome, query, readJsonl, writeJsonl} from './restore-support.js';

/** A fresh gateway with tenants t1 and t2 (and whatever `setup` adds, through raw SQL). */
function gateway(setup: (db: Database.Database, dir: string) => void = () => {}): string {
	const dir = freshGateway();
	const db = openDb(dir, false);
	try {
		db.prepare(`INSERT INTO tenants VALUES ('t1', 't1', 'c', 'u', 'Tenant One', 'one', 'free')`).run();
		db.prepare(`INSERT INTO tenants VALUES ('t2', 't2', 'c', 'u', 'Tenant Two', 'two', 'free')`).run();
		setup(db, dir);
	} finally {
		db.close();
	}
	return dir;
}

/** A documents row and its file (documents/files/<id>.<ext>). */
function addDocument(dir: string, tenant: string, id: string, ext: string, content: string): void {
	exec(dir, `INSERT INTO documents VALUES (?, ?, 'c', 'u', 'name', 'text/plain', ?, 1, 'sha', NULL, 1, 'hint')`, id, tenant, ext);
	fs.mkdirSync(path.join(dir, 'documents', 'files'), {recursive: true});
	fs.writeFileSync(path.join(dir, 'documents', 'files', `${id}.${ext}`), content);
}

const docFile = (dir: string, name: string) => path.join(dir, 'documents', 'files', name);

describe('review findings (issue 8)', () => {
	it("a one-tenant replace restore overwrites another tenant's document file when id+ext collide (t2 'a'+'b.c' lands on t1's 'a.b'+'c')", async () => {
		const dataDir = gateway();
		addDocument(dataDir, 't2', 'a', 'b.c', 'TENANT TWO FILE\n');
		const backup = await backupOf(dataDir, {format: 'zip', tenant: 't2'});
		expect((await verifyBackup(backup.source)).ok).toBe(true);
		// Later: tenant two's document is gone; tenant one uploads 'a.b' with extension 'c'.
		exec(dataDir, `DELETE FROM documents WHERE id = 'a'`);
		fs.rmSync(docFile(dataDir, 'a.b.c'));
		addDocument(dataDir, 't1', 'a.b', 'c', 'TENANT ONE PRIVATE FILE\n');
		const result = await outcome(() => applyRestore({source: backup.source, dataDir, mode: 'replace'}));
		// Expected: tenant one's file untouched (the restore refused, or left it alone).
		expect({result: result.split(':')[0], file: fs.readFileSync(docFile(dataDir, 'a.b.c'), 'utf8')}).toEqual({result: expect.any(String), file: 'TENANT ONE PRIVATE FILE\n'});
	});

	it("a one-tenant replace restore deletes another tenant's document file that shares its name (t2 'a'+'b.c', t1 'a.b'+'c')", async () => {
		const dataDir = gateway();
		const backup = await backupOf(dataDir, {format: 'zip', tenant: 't2'});
		addDocument(dataDir, 't1', 'a.b', 'c', 'TENANT ONE FILE\n');
		exec(dataDir, `INSERT INTO documents VALUES ('a', 't2', 'c', 'u', 'name', 'text/plain', 'b.c', 1, 'sha', NULL, 1, 'hint')`);
		const plan = await planRestore({source: backup.source, dataDir, mode: 'replace'});
		expect(plan.categories.find(category => category.category === 'documents')!.fileCounts.toDelete).toBe(0);
		await applyRestore({source: backup.source, dataDir, mode: 'replace'});
		expect(query(dataDir, `SELECT id FROM documents WHERE tenant_id = 't1'`)).toEqual([{id: 'a.b'}]);
		expect(fs.existsSync(docFile(dataDir, 'a.b.c'))).toBe(true);
	});

	it("quarantine accept of a one-tenant additive restore overwrites another tenant's document file whose name collides", async () => {
		const dataDir = gateway();
		addDocument(dataDir, 't2', 'a', 'b.c', 'TENANT TWO FILE\n');
		const backup = await backupOf(dataDir, {format: 'zip', tenant: 't2'});
		exec(dataDir, `DELETE FROM documents WHERE id = 'a'`);
		fs.rmSync(docFile(dataDir, 'a.b.c'));
		addDocument(dataDir, 't1', 'a.b', 'c', 'TENANT ONE PRIVATE FILE\n');
		await applyRestore({source: backup.source, dataDir});
		const quarantined = listQuarantine(dataDir);
		const accepted = await outcome(async () => {
			for (const restore of quarantined) acceptQuarantine(dataDir, restore.restoreId);
		});
		expect({accepted: accepted.split(':')[0], file: fs.readFileSync(docFile(dataDir, 'a.b.c'), 'utf8')}).toEqual({accepted: expect.any(String), file: 'TENANT ONE PRIVATE FILE\n'});
	});

	it("a user whose id is '__proto__' loses their 2FA secret: backup exits 0 and verifies, restore asks them to re-enroll", async () => {
		const dataDir = gateway(db => {
			db.prepare(`INSERT INTO users VALUES ('__proto__', 't1', 'c', 'u', 'p@example.com', 'P', 'hash', 'admin', 'JBSWY3DPEHPK3PXP', NULL)`).run();
			db.prepare(`INSERT INTO users VALUES ('plain', 't1', 'c', 'u', 'q@example.com', 'Q', 'hash', 'admin', 'KRSXG5CTMVRXEZLU', NULL)`).run();
		});
		const backup = await backupOf(dataDir, {format: 'zip'});
		expect((await verifyBackup(backup.source)).ok).toBe(true);
		const fresh = freshGateway();
		const result = await applyRestore({source: backup.source, dataDir: fresh, keyFile: path.join(dataDir, 'keys', 'backup.key')});
		expect(result.warnings.filter(warning => warning.includes('2FA'))).toEqual([]);
		expect(query(fresh, `SELECT id, totp_secret FROM users ORDER BY id`)).toEqual([
			{id: '__proto__', totp_secret: 'JBSWY3DPEHPK3PXP'},
			{id: 'plain', totp_secret: 'KRSXG5CTMVRXEZLU'},
		]);
	});

	it('--into-tenant refuses (unsafe-archive, exit 5) a legal document whose short id and long extension fit a file name before remapping but not after', async () => {
		const dataDir = gateway();
		addDocument(dataDir, 't1', 'a', 'x'.repeat(240), 'a document\n');
		const backup = await backupOf(dataDir, {format: 'zip', tenant: 't1'});
		expect((await verifyBackup(backup.source)).ok).toBe(true);
		// Expected: exit 0 means restorable, also into another tenant (or backup/plan say up front it is not).
		expect(await outcome(() => applyRestore({source: backup.source, dataDir, intoTenant: 'two'}))).toBe('ok');
	});

	it("a legal agent id that equals a table file name ('agents.jsonl') makes a folder backup fail as 'Writing backup: already exists' (exit 4, a destination problem)", async () => {
		const dataDir = gateway(db => {
			db.prepare(`INSERT INTO agents VALUES ('agents.jsonl', 't1', 'c', 'u', 'n', 'm', 'd', '[]', 'ok')`).run();
		});
		fs.mkdirSync(path.join(dataDir, 'agents', 'agents.jsonl'), {recursive: true});
		fs.writeFileSync(path.join(dataDir, 'agents', 'agents.jsonl', 'SOUL.md'), 'soul\n');
		const out = path.join(tempDir('lifeboat-review-'), 'backup');
		const result = await outcome(() => createBackup({dataDir, out, format: 'dir'}));
		// Expected: the backup is written (zip and tar.gz carry it), or a one-line refusal that names
		// the agent and the way out (--format zip), not a destination error.
		if (result !== 'ok') expect(result).toMatch(/^(?!exists:).*agents\.jsonl.*--format zip/);
	});

	it("the CLI crashes (exit 1, unhandled stream error with a stack trace) on a folder backup of a gateway with an agent named 'agents.jsonl'", () => {
		// Needs the CLI built (npx tsc).
		const dataDir = gateway(db => {
			db.prepare(`INSERT INTO agents VALUES ('agents.jsonl', 't1', 'c', 'u', 'n', 'm', 'd', '[]', 'ok')`).run();
		});
		fs.mkdirSync(path.join(dataDir, 'agents', 'agents.jsonl'), {recursive: true});
		fs.writeFileSync(path.join(dataDir, 'agents', 'agents.jsonl', 'SOUL.md'), 'soul\n');
		const out = path.join(tempDir('lifeboat-review-'), 'backup');
		const result = runCli(['backup', 'create', '--data-dir', dataDir, '--out', out, '--format', 'dir']);
		expect({code: result.code === 1 ? 'bug' : 'documented', stderrLines: result.stderr.trim().split('\n').length}).toEqual({code: 'documented', stderrLines: 1});
	});

	it("restoring a tenant's backup links another tenant's live dangling reference to the restored row (cross-tenant reference created; the next backup then refuses, exit 3)", async () => {
		const dataDir = gateway(db => {
			db.prepare(`INSERT INTO users VALUES ('usr_victim', 't2', 'c', 'u', 'v@example.com', 'V', 'hash', 'admin', NULL, NULL)`).run();
			db.prepare(`INSERT INTO agents VALUES ('agt_1', 't1', 'c', 'u', 'n', 'm', 'd', '[]', 'ok')`).run();
		});
		const backup = await backupOf(dataDir, {format: 'zip', tenant: 't2'});
		// Tenant two's data is lost; meanwhile tenant one holds a dangling reference to the id.
		exec(dataDir, `DELETE FROM users WHERE id = 'usr_victim'`);
		exec(dataDir, `INSERT INTO conversations VALUES ('cnv_1', 't1', 'c', 'u', 'usr_victim', 'agt_1', NULL, 'title')`);
		const restored = await outcome(() => applyRestore({source: backup.source, dataDir}));
		const linked = query(dataDir, `SELECT c.id FROM conversations c JOIN users u ON u.id = c.user_id WHERE u.tenant_id <> c.tenant_id`);
		// Expected: the restore refuses (or otherwise never creates the link); exit 0 must leave a backupable gateway.
		const next = await outcome(() => backupOf(dataDir, {format: 'zip'}));
		expect({restored: restored.split(':')[0], linked, next: next.split(':')[0]}).toEqual({restored: 'conflict', linked: [], next: 'ok'}) // a clash with live data (exit 7), not a bad archive;
	});

	it("--into-tenant turns an empty id inside a refList (skills.enabled_agents '[\"\"]') into a made-up id, though an empty reference 'stays empty'", async () => {
		const dataDir = gateway(db => {
			db.prepare(`INSERT INTO agents VALUES ('agt_1', 't1', 'c', 'u', 'n', 'm', 'd', '[]', 'ok')`).run();
			db.prepare(`INSERT INTO skills VALUES ('skl_1', 't1', 'c', 'u', 'n', 'v', 's', '["agt_1",""]')`).run();
		});
		const backup = await backupOf(dataDir, {format: 'zip', tenant: 't1'});
		await applyRestore({source: backup.source, dataDir, intoTenant: 'two'});
		const [skill] = query<{enabled_agents: string}>(dataDir, `SELECT enabled_agents FROM skills WHERE tenant_id = 't2'`);
		const [agent] = query<{id: string}>(dataDir, `SELECT id FROM agents WHERE tenant_id = 't2'`);
		expect(JSON.parse(skill!.enabled_agents)).toEqual([agent!.id, '']);
	});

	it('credentials in a scrub column whose text is not valid UTF-8 (or is a BLOB) reach the backup unredacted', async () => {
		const token = 'ghp_' + 'A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8';
		const command = `curl -H "Authorization: Bearer ${token}" https://example.com/hook`;
		const dataDir = gateway(db => {
			db.prepare(`INSERT INTO cron_jobs VALUES ('job_ok', 't1', 'c', 'u', 'n', '* * * * *', 'a', ?, NULL, 1)`).run(command);
			db.prepare(`INSERT INTO cron_jobs VALUES ('job_bytes', 't1', 'c', 'u', 'n', '* * * * *', 'a', CAST(? AS TEXT), NULL, 1)`).run(Buffer.concat([Buffer.from(command), Buffer.from([0xff])]));
			db.prepare(`INSERT INTO cron_jobs VALUES ('job_blob', 't1', 'c', 'u', 'n', '* * * * *', 'a', ?, NULL, 1)`).run(Buffer.from(command));
		});
		const {path: dir} = await backupOf(dataDir, {format: 'dir'});
		const decoded = readJsonl(path.join(dir, 'cron', 'jobs.jsonl')).map(row => {
			const value = row['command'] as string | {$text?: string; $blob?: string};
			return {id: row['id'], text: typeof value === 'string' ? value : Buffer.from(value.$text ?? value.$blob ?? '', 'base64').toString('latin1')};
		});
		// job_ok shows the scrubbing works for plain text; the others must not carry the token either.
		expect(decoded.filter(row => row.text.includes(token)).map(row => row.id)).toEqual([]);
	});

	it('two archive entries that land on one file (documents/files/a%2Eb.c and a.b.c) are both accepted: verify passes, the plan counts 2 new files, the second silently overwrites the first', async () => {
		const dataDir = gateway();
		addDocument(dataDir, 't1', 'a.b', 'c', 'ONE\n');
		const source = await editedBackup(dataDir, {}, dir => {
			const file = path.join(dir, 'documents', 'index.jsonl');
			const rows = readJsonl(file);
			writeJsonl(file, [...rows, {...rows[0]!, id: 'a', ext: 'b.c'}]);
			fs.writeFileSync(path.join(dir, 'documents', 'files', 'a.b.c'), 'TWO\n');
			const metadataFile = path.join(dir, 'metadata.json');
			const metadata = JSON.parse(fs.readFileSync(metadataFile, 'utf8')) as {counts: Record<string, {tables: Record<string, number>}>};
			metadata.counts['documents']!.tables['documents'] = 2;
			fs.writeFileSync(metadataFile, JSON.stringify(metadata));
		});
		const verify = await verifyBackup(source);
		const restored = await outcome(() => applyRestore({source, dataDir: freshGateway()}));
		// Expected: both refuse, naming the target two entries land on.
		expect({verify: verify.ok, restored: restored.split(':')[0]}).toEqual({verify: false, restored: 'unsafe-archive'});
	});

	it('a refList nested deeper than SQLite parses hides a cross-tenant reference from backup (exit 0) that verify and restore then refuse', async () => {
		const hidden = '[' + '['.repeat(3000) + ']'.repeat(3000) + ',"agt_t2"]';
		const dataDir = gateway(db => {
			db.prepare(`INSERT INTO agents VALUES ('agt_t2', 't2', 'c', 'u', 'n', 'm', 'd', '[]', 'ok')`).run();
			db.prepare(`INSERT INTO skills VALUES ('skl_1', 't1', 'c', 'u', 'n', 'v', 's', ?)`).run(hidden);
		});
		const backup = await outcome(() => backupOf(dataDir, {format: 'zip'}));
		// Expected: backup refuses it like any cross-tenant reference (unsupported-data, exit 3).
		expect(backup).toMatch(/^unsupported-data: .*cross-tenant/);
	});

	it('backup and restore disagree on what a refList holds: text with a NUL after the JSON array is a reference for backup (refused, exit 3) but none for restore and verify', async () => {
		const dataDir = gateway(db => {
			db.prepare(`INSERT INTO agents VALUES ('agt_t2', 't2', 'c', 'u', 'n', 'm', 'd', '[]', 'ok')`).run();
			db.prepare(`INSERT INTO agents VALUES ('agt_t1', 't1', 'c', 'u', 'n', 'm', 'd', '[]', 'ok')`).run();
			db.prepare(`INSERT INTO skills VALUES ('skl_1', 't1', 'c', 'u', 'n', 'v', 's', ?)`).run('["agt_t2"]\u0000');
		});
		const backup = await outcome(() => backupOf(dataDir, {format: 'zip'}));
		// The same text in a crafted archive: restore and verify see no reference.
		exec(dataDir, `UPDATE skills SET enabled_agents = '["agt_t1"]'`);
		const source = await editedBackup(dataDir, {}, dir => {
			const file = path.join(dir, 'skills', 'installed.jsonl');
			writeJsonl(file, readJsonl(file).map(row => ({...row, enabled_agents: '["agt_t2"]\u0000'})));
		});
		const verify = (await verifyBackup(source)).ok;
		// Expected: one definition: backup refuses exactly what verify and restore refuse.
		expect({backup: backup.split(':')[0], verify}).toEqual({backup: 'unsupported-data', verify: false});
	});

	it("--tenant and --into-tenant pick an arbitrary tenant when the name matches one tenant's name and another's slug (a replace then wipes the wrong tenant)", async () => {
		const dataDir = freshGateway();
		exec(dataDir, `INSERT INTO tenants VALUES ('t1', 't1', 'c', 'u', 'two', 'one', 'free')`);
		exec(dataDir, `INSERT INTO tenants VALUES ('t2', 't2', 'c', 'u', 'Tenant Two', 'two', 'free')`);
		exec(dataDir, `INSERT INTO agents VALUES ('agt_1', 't1', 'c', 'u', 'n', 'm', 'd', '[]', 'ok')`);
		const backup = await backupOf(dataDir, {format: 'zip', tenant: 'two'});
		const {readMetadata} = await import('../source/core/backup/read-metadata.js');
		const metadata = await readMetadata(backup.source);
		// Expected: slug 'two' is tenant t2 (or the name is refused as ambiguous), never tenant t1.
		expect(metadata.tenant?.id).toBe('t2');
		const plan = await planRestore({source: backup.source, dataDir, mode: 'replace', intoTenant: 'two'});
		expect(plan.targetTenant?.id).toBe('t2');
	});

	it("a restore creates a second tenant with an existing tenant's slug, so later --tenant/--into-tenant by that slug become ambiguous", async () => {
		const source = freshGateway();
		exec(source, `INSERT INTO tenants VALUES ('t9', 't9', 'c', 'u', 'Other Two', 'two', 'free')`);
		const backup = await backupOf(source, {format: 'zip', tenant: 'two'});
		const dataDir = gateway();
		const restored = await outcome(() => applyRestore({source: backup.source, dataDir}));
		// Expected: refused as a conflict (restore into the existing tenant with --into-tenant), not a duplicate slug.
		expect({restored: restored.split(':')[0], slugs: query(dataDir, `SELECT COUNT(*) AS n FROM tenants WHERE slug = 'two'`)}).toEqual({restored: 'conflict', slugs: [{n: 1}]});
	});

	it("rows whose tenant_id names no tenant (left behind by a deleted tenant) back up with exit 0, but verify and restore refuse the whole backup (unsafe-archive)", async () => {
		const dataDir = gateway(db => {
			db.prepare(`INSERT INTO agents VALUES ('agt_orphan', 'ten_deleted', 'c', 'u', 'n', 'm', 'd', '[]', 'ok')`).run();
		});
		const backup = await outcome(async () => {
			const {source} = await backupOf(dataDir, {format: 'zip'});
			const verified = await verifyBackup(source);
			if (!verified.ok) throw new Error(`backup exited 0 but verify says: ${verified.problems[0]}`);
			await applyRestore({source, dataDir: freshGateway()});
		});
		// Expected: backup refuses up front (exit 3, naming the rows) or carries them restorably.
		expect(backup).toMatch(/^(ok|unsupported-data: .*ten_deleted)/);
	});

	it("a tenants row whose own tenant_id is not its id (e.g. 'system') backs up with exit 0 but verify and restore refuse the whole backup", async () => {
		const dataDir = gateway(db => {
			db.prepare(`INSERT INTO tenants VALUES ('t3', 'system', 'c', 'u', 'Tenant Three', 'three', 'free')`).run();
		});
		const backup = await outcome(async () => {
			const {source} = await backupOf(dataDir, {format: 'zip'});
			const verified = await verifyBackup(source);
			if (!verified.ok) throw new Error(`backup exited 0 but verify says: ${verified.problems[0]}`);
			await applyRestore({source, dataDir: freshGateway()});
		});
		expect(backup).toMatch(/^(ok|unsupported-data: )/);
	});

	it('verify accepts a backup whose gateway config file is not JSON, which restore then refuses (corrupt-archive)', async () => {
		const dataDir = gateway();
		fs.writeFileSync(path.join(dataDir, 'appsettings.json'), '{"Logging": {"Level": "Info"}}\n');
		const source = await editedBackup(dataDir, {}, dir => fs.writeFileSync(path.join(dir, 'config', 'appsettings.backup.json'), '{"Logging": \n'));
		const verified = (await verifyBackup(source)).ok;
		const restored = await outcome(() => applyRestore({source, dataDir: freshGateway()}));
		expect({verified, restored: restored.split(':')[0]}).toEqual({verified: false, restored: 'corrupt-archive'});
	});

	it('a row that appears twice is refused by verify, but a replace restore over the live row applies it silently (last copy wins, exit 0)', async () => {
		const dataDir = gateway(db => {
			db.prepare(`INSERT INTO agents VALUES ('agt_1', 't1', 'c', 'u', 'n', 'm', 'd', '[]', 'ok')`).run();
		});
		const source = await editedBackup(dataDir, {}, dir => {
			const file = path.join(dir, 'agents', 'agents.jsonl');
			const [row] = readJsonl(file);
			writeJsonl(file, [row!, {...row!, name: 'second copy'}]);
			// Keep metadata's row count honest, so duplication is the only problem.
			const metadataFile = path.join(dir, 'metadata.json');
			const metadata = JSON.parse(fs.readFileSync(metadataFile, 'utf8')) as {counts: Record<string, {tables: Record<string, number>}>};
			metadata.counts['agents']!.tables['agents'] = 2;
			fs.writeFileSync(metadataFile, JSON.stringify(metadata));
		});
		const verify = await verifyBackup(source);
		expect(verify.problems.join('\n')).toMatch(/appears twice/);
		const restored = await outcome(() => applyRestore({source, dataDir, mode: 'replace'}));
		expect(restored).toMatch(/^corrupt-archive: .*appears twice/);
	});
});
