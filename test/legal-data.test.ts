import fs from 'node:fs';
import path from 'node:path';
import {beforeAll, describe, expect, it} from 'vitest';
import {plainFileSource} from '../source/core/archive/archive-reader.js';
import {createBackup} from '../source/core/backup/create-backup.js';
import {verifyBackup} from '../source/core/backup/verify-backup.js';
import {applyRestore, planRestore} from '../source/core/restore/index.js';
import {runCli} from './helpers/run-cli.js';
import {tempDir} from './helpers/temp-dir.js';
import {backupOf, copyGateway, demoGateway, editedBackup, exec, freshGateway, query, readJsonl, walkFiles, writeJsonl} from './restore-support.js';

const FORMATS = ['zip', 'tar.gz', 'dir', 'json'] as const;

/** Regression tests for legal gateway data that once made backups unrestorable (issue 8, part 1). */
describe('odd but legal gateway data', () => {
	let original: string;
	let tenant: string;
	let agent: string;
	beforeAll(async () => {
		original = await demoGateway({tenants: 2, seed: 88});
		({id: agent, tenant_id: tenant} = query<{id: string; tenant_id: string}>(original, 'SELECT id, tenant_id FROM agents ORDER BY id LIMIT 1')[0]!);
	});

	it("replace never deletes daily logs whose day holds '/', a newline or '..'; they restore as they were", async () => {
		const dataDir = copyGateway(original);
		const days = ['2026/11/30', 'day\nwith newline', '..', '%2F', '~odd', 'x'.repeat(300)];
		days.forEach((day, index) => exec(dataDir, `INSERT INTO memory_daily_logs VALUES (?, ?, 'x', 'x', ?, ?, ?)`, `log_odd_${index}`, tenant, agent, day, `log ${index}`));
		const before = query(dataDir, `SELECT * FROM memory_daily_logs ORDER BY id`);
		for (const format of FORMATS) {
			const backup = await backupOf(dataDir, {format});
			expect((await verifyBackup(backup.source)).problems).toEqual([]);
			const plan = await planRestore({source: backup.source, dataDir, mode: 'replace'});
			const memory = plan.categories.find(category => category.category === 'memory')!;
			expect(memory.toDelete).toBe(0);
			expect(memory.tables['memory_daily_logs']!.identical).toBe(before.length);
			await applyRestore({source: backup.source, dataDir, mode: 'replace'});
			expect(query(dataDir, `SELECT * FROM memory_daily_logs ORDER BY id`)).toEqual(before);
			const fresh = freshGateway();
			await applyRestore({source: backup.source, dataDir: fresh});
			expect(query(fresh, `SELECT * FROM memory_daily_logs ORDER BY id`)).toEqual(before);
		}
	});

	it("replace brings back every user's 2FA secret, also for users whose other columns are unchanged, and the dry run counts them", async () => {
		const dataDir = copyGateway(original);
		const secrets = query<{id: string; totp_secret: string | null}>(dataDir, `SELECT id, totp_secret FROM users ORDER BY id`);
		const enrolled = secrets.filter(user => user.totp_secret !== null).length;
		expect(enrolled).toBeGreaterThan(3);
		const backup = await backupOf(dataDir, {format: 'zip'});
		exec(dataDir, `UPDATE users SET totp_secret = 'CHANGED-AFTER-BACKUP' WHERE totp_secret IS NOT NULL`);
		const plan = await planRestore({source: backup.source, dataDir, mode: 'replace'});
		expect(plan.twoFactor).toMatchObject({restorable: true, restored: enrolled});
		expect(plan.categories.find(category => category.category === 'users')!.tables['users']!.identical).toBe(secrets.length);
		const dryRun = runCli(['backup', 'restore', '--in', backup.path, '--data-dir', dataDir, '--mode', 'replace', '--dry-run']);
		expect(dryRun.code).toBe(0);
		expect(dryRun.stdout).toContain(`2FA: ${enrolled} secrets come back from the sealed block`);
		await applyRestore({source: backup.source, dataDir, mode: 'replace'});
		expect(query(dataDir, `SELECT id, totp_secret FROM users ORDER BY id`)).toEqual(secrets);
		// Nothing left to bring back: a second dry run counts none.
		expect((await planRestore({source: backup.source, dataDir, mode: 'replace'})).twoFactor).toMatchObject({restored: 0});
		// Additive fills a missing secret but never overwrites a live one.
		exec(dataDir, `UPDATE users SET totp_secret = NULL WHERE id = ?`, secrets[0]!.id);
		exec(dataDir, `UPDATE users SET totp_secret = 'LIVE-KEPT' WHERE id = ?`, secrets[1]!.id);
		await applyRestore({source: backup.source, dataDir, mode: 'additive'});
		const after = query<{id: string; totp_secret: string | null}>(dataDir, `SELECT id, totp_secret FROM users WHERE id IN (?, ?) ORDER BY id`, secrets[0]!.id, secrets[1]!.id);
		expect(after).toEqual([{id: secrets[0]!.id, totp_secret: secrets[0]!.totp_secret}, {id: secrets[1]!.id, totp_secret: 'LIVE-KEPT'}]);
	});

	it('agent files with backslashes, newlines, accents and paths over 1,024 characters are carried; links are named in a warning, never followed', async () => {
		const dataDir = copyGateway(original);
		const folder = path.join(dataDir, 'agents', agent);
		const deep = path.join(folder, ...Array.from({length: 6}, (_, index) => `level-${index}-${'d'.repeat(200)}`));
		fs.mkdirSync(deep, {recursive: true});
		const planted: Record<string, string> = {
			'back\\slash.md': 'backslash\n',
			'new\nline.md': 'newline\n',
			'café notes.txt': 'accent\n',
			'%41 percent.md': 'percent\n',
			[path.relative(folder, path.join(deep, 'DEEP.md')).split(path.sep).join('/')]: 'deep\n',
		};
		for (const [relative, content] of Object.entries(planted)) fs.writeFileSync(path.join(folder, ...relative.split('/')), content);
		expect(Object.keys(planted).some(relative => relative.length > 1024)).toBe(true);
		fs.writeFileSync(path.join(dataDir, 'outside.md'), 'outside the agent folder\n');
		fs.symlinkSync(path.join(dataDir, 'outside.md'), path.join(folder, 'LINK.md'));
		fs.symlinkSync(path.join(folder, 'SOUL.md'), path.join(folder, 'INSIDE-LINK.md'));
		for (const format of ['zip', 'tar.gz'] as const) {
			const out = path.join(tempDir(), `b.${format}`);
			const result = await createBackup({dataDir, out, format});
			expect(result.metadata.warnings).toEqual(
				expect.arrayContaining([`agents/${agent}/LINK.md: a symbolic link; not backed up (links are not followed)`, `agents/${agent}/INSIDE-LINK.md: a symbolic link; not backed up (links are not followed)`]),
			);
			expect((await verifyBackup(plainFileSource(out))).problems).toEqual([]);
			const fresh = freshGateway();
			await applyRestore({source: plainFileSource(out), dataDir: fresh});
			for (const [relative, content] of Object.entries(planted)) expect(fs.readFileSync(path.join(fresh, 'agents', agent, ...relative.split('/')), 'utf8')).toBe(content);
			expect(fs.existsSync(path.join(fresh, 'agents', agent, 'LINK.md'))).toBe(false);
			// Replace over the source finds every file identical: nothing is deleted or rewritten.
			const plan = await planRestore({source: plainFileSource(out), dataDir, mode: 'replace'});
			const agents = plan.categories.find(category => category.category === 'agents')!;
			expect(agents.fileCounts).toMatchObject({conflicts: 0, toDelete: 0});
		}
		// A folder backup cannot hold a name that escaping made longer than 255 bytes: refused up front.
		fs.writeFileSync(path.join(folder, `${'\\'.repeat(100)}.md`), 'x');
		await expect(createBackup({dataDir, destDir: tempDir(), format: 'dir'})).rejects.toMatchObject({code: 'usage', message: expect.stringMatching(/too long for a folder backup; use --format zip or tar\.gz$/)});
	});

	it('a cross-tenant reference in the gateway is refused by backup with one line (exit 3), and in a crafted archive by verify (exit 5)', async () => {
		const dataDir = copyGateway(original);
		const other = query<{id: string}>(dataDir, 'SELECT id FROM agents WHERE tenant_id <> ? ORDER BY id LIMIT 1', tenant)[0]!.id;
		const legal = runCli(['backup', 'create', '--data-dir', dataDir, '--dest', tempDir(), '--verify', '--json']);
		expect(legal.code).toBe(0);
		expect(JSON.parse(legal.stdout).verify.ok).toBe(true);

		const crafted = await editedBackup(dataDir, {}, dir => {
			const file = path.join(dir, 'memory', 'entries.jsonl');
			const rows = readJsonl(file);
			const row = rows.find(candidate => candidate['tenant_id'] === tenant)!;
			row['agent_id'] = other;
			writeJsonl(file, rows);
		});
		const verified = runCli(['backup', 'verify', crafted.format === 'dir' ? crafted.dir : '']);
		expect(verified.code).toBe(5);
		expect(verified.stderr).toMatch(/^lifeboat: memory\/entries\.jsonl line \d+: agent_id points at agents \S+ of tenant \S+, not of its own tenant \S+ \(cross-tenant reference\)$/m);

		exec(dataDir, `UPDATE memory_entries SET agent_id = ? WHERE id = (SELECT id FROM memory_entries WHERE tenant_id = ? ORDER BY id LIMIT 1)`, other, tenant);
		const dest = tempDir();
		const refused = runCli(['backup', 'create', '--data-dir', dataDir, '--dest', dest]);
		expect(refused.code).toBe(3);
		expect(refused.stderr.trim().split('\n')).toHaveLength(1);
		expect(refused.stderr).toMatch(/memory_entries \S+: agent_id points at agents \S+ of tenant .*cross-tenant reference.*no backup was written/);
		expect(fs.readdirSync(dest)).toEqual([]);
	});

	it('a row whose id is not text is refused by backup with one line (exit 3), never written', async () => {
		const dataDir = copyGateway(original);
		exec(dataDir, `INSERT INTO tools VALUES (NULL, ?, 'x', 'x', 'n', 'd', 'k', '{}')`, tenant);
		const dest = tempDir();
		const refused = runCli(['backup', 'create', '--data-dir', dataDir, '--dest', dest]);
		expect(refused.code).toBe(3);
		expect(refused.stderr).toMatch(/^lifeboat: tools: row \d+ \(in id order\): id is NULL; Lifeboat carries text ids only, so no backup was written\n$/);
		expect(walkFiles(dest)).toEqual([]);
	});
});
