import fs from 'node:fs';
import path from 'node:path';
import {beforeAll, describe, expect, it} from 'vitest';
import {runCli} from './helpers/run-cli.js';
import {tempDir} from './helpers/temp-dir.js';
import {backupOf, copyGateway, demoGateway, exec, freshGateway, query, storeDigest} from './restore-support.js';

describe('lifeboat backup restore / quarantine (CLI)', () => {
	let original: string;
	let zip: string;
	beforeAll(async () => {
		original = await demoGateway({tenants: 2, seed: 81});
		zip = (await backupOf(original, {format: 'zip'})).path;
	});

	it('--dry-run --json prints the plan with conflict ids and writes nothing; human --dry-run reads like the issue', async () => {
		const dataDir = copyGateway(original);
		const edited = query<{id: string}>(dataDir, 'SELECT id FROM memory_entries ORDER BY id LIMIT 2').map(row => row.id);
		exec(dataDir, `UPDATE memory_entries SET content = 'x' WHERE id IN (?, ?)`, ...edited);
		const before = storeDigest(dataDir);
		const json = runCli(['backup', 'restore', '--in', zip, '--data-dir', dataDir, '--dry-run', '--json']);
		expect(json.stderr).toBe('');
		expect(json.code).toBe(0);
		const output = JSON.parse(json.stdout) as {ok: boolean; dryRun: boolean; plan: {categories: Array<{category: string; conflicts: number; conflictIds: string[]}>; totals: {conflicts: number}}};
		expect(output).toMatchObject({ok: true, dryRun: true, plan: {totals: {conflicts: 2}}});
		expect(output.plan.categories.find(category => category.category === 'memory')!.conflictIds.sort()).toEqual(edited.sort());
		const human = runCli(['backup', 'restore', '--in', zip, '--data-dir', dataDir, '--dry-run']);
		expect(human.code).toBe(0);
		expect(human.stdout).toMatch(/^ {2}memory: 1,200 entries \(1,\d{3} identical, 2 conflicts — would go to quarantine\)$/m);
		expect(human.stdout).toMatch(/^ {2}documents: \d+ files, [\d.]+ (KB|MB) \(\d+ identical, 0 conflicts\)$/m);
		expect(human.stdout).toMatch(/^ {2}Total size: [\d.]+ MB$/m);
		expect(human.stdout).toContain('Dry run: nothing was written.');
		expect(storeDigest(dataDir)).toEqual(before);
	});

	it('restores, reports quarantine and secrets to re-enter, and quarantine list/show/accept/discard work', async () => {
		const dataDir = copyGateway(original);
		const webhook = query<{id: string}>(dataDir, 'SELECT id FROM webhooks ORDER BY id LIMIT 1')[0]!.id;
		exec(dataDir, `UPDATE webhooks SET name = 'renamed' WHERE id = ?`, webhook);
		exec(dataDir, `DELETE FROM webhooks WHERE id != ?`, webhook);
		const result = runCli(['backup', 'restore', '--in', zip, '--data-dir', dataDir]);
		expect(result.stderr).toBe('');
		expect(result.code).toBe(0);
		const restoreId = /Restore id: (\S+)/.exec(result.stdout)![1]!;
		expect(result.stdout).toContain(`Quarantine: quarantine/${restoreId} (review: lifeboat quarantine show ${restoreId})`);
		expect(result.stdout).toMatch(/^After the restore:\n {2}1\. Re-enter webhooks\.secret for 5 webhooks$/m);

		const list = runCli(['quarantine', 'list', '--data-dir', dataDir, '--json']);
		expect(JSON.parse(list.stdout)).toMatchObject({ok: true, restores: [{restoreId, entries: 1, categories: {webhooks: 1}}]});
		const show = runCli(['quarantine', 'show', restoreId, webhook, '--data-dir', dataDir]);
		expect(show.code).toBe(0);
		expect(show.stdout).toMatch(/^\* name: \S+ \| renamed$/m);
		expect(show.stdout).toMatch(/^ {2}secret: \[REDACTED: re-enter on restore\] \| \[secret: kept\]$/m);
		const missing = runCli(['quarantine', 'accept', restoreId, 'webhooks:nope', '--data-dir', dataDir]);
		expect(missing.code).toBe(2);
		expect(missing.stderr).toMatch(/No entry "webhooks:nope"/);
		const accept = runCli(['quarantine', 'accept', restoreId, `webhooks:${webhook}`, '--data-dir', dataDir, '--json']);
		expect(JSON.parse(accept.stdout)).toEqual({ok: true, restoreId, accepted: 1, remaining: 0});
		expect(query(dataDir, 'SELECT name FROM webhooks WHERE id = ?', webhook)).toEqual(query(original, 'SELECT name FROM webhooks WHERE id = ?', webhook));
		expect(runCli(['quarantine', 'list', '--data-dir', dataDir]).stdout.trim()).toBe('Quarantine is empty.');
		expect(runCli(['quarantine', 'discard', restoreId, '--data-dir', dataDir]).code).toBe(2);
	});

	it('exit codes: replace without --yes 2, unknown category 2, corrupt 5, unknown tenant 3, not a gateway 3', async () => {
		const dataDir = copyGateway(original);
		const before = storeDigest(dataDir);
		const replace = runCli(['backup', 'restore', '--in', zip, '--data-dir', dataDir, '--mode', 'replace', '--json']);
		expect(replace.code).toBe(2);
		expect(JSON.parse(replace.stdout)).toMatchObject({ok: false, error: {code: 'usage', message: expect.stringContaining('--yes')}});
		expect(replace.stderr.trim().split('\n')).toHaveLength(1);
		const category = runCli(['backup', 'restore', '--in', zip, '--data-dir', dataDir, '--only', 'memory,bogus']);
		expect(category.code).toBe(2);
		expect(category.stderr).toMatch(/^lifeboat: Unknown category bogus/);
		const cut = path.join(tempDir(), 'cut.zip');
		fs.writeFileSync(cut, fs.readFileSync(zip).subarray(0, 5000));
		const corrupt = runCli(['backup', 'restore', '--in', cut, '--data-dir', dataDir]);
		expect(corrupt.code).toBe(5);
		expect(corrupt.stderr.trim().split('\n')).toHaveLength(1);
		const tenantZip = (await backupOf(original, {format: 'zip', tenant: query<{slug: string}>(original, 'SELECT slug FROM tenants LIMIT 1')[0]!.slug})).path;
		const tenant = runCli(['backup', 'restore', '--in', tenantZip, '--data-dir', dataDir, '--into-tenant', 'nobody', '--mode', 'replace', '--yes']);
		expect(tenant.code).toBe(3);
		const mode = runCli(['backup', 'restore', '--in', zip, '--data-dir', dataDir, '--mode', 'merge']);
		expect(mode.code).toBe(2);
		const notGateway = tempDir();
		fs.writeFileSync(path.join(notGateway, 'notes.txt'), 'x');
		expect(runCli(['backup', 'restore', '--in', zip, '--data-dir', notGateway]).code).toBe(3);
		expect(storeDigest(dataDir)).toEqual(before);
	});

	it('an encrypted backup restores with --passphrase-file, 2FA secrets included on another gateway', async () => {
		const dir = tempDir();
		const passFile = path.join(dir, 'pass');
		fs.writeFileSync(passFile, 'correct horse battery\n');
		const encrypted = (await backupOf(original, {format: 'zip', passphrase: 'correct horse battery', kdfIterations: 1000})).path;
		const target = freshGateway();
		const noPass = runCli(['backup', 'restore', '--in', encrypted, '--data-dir', target, '--dry-run']);
		expect(noPass.code).toBe(6);
		const result = runCli(['backup', 'restore', '--in', encrypted, '--data-dir', target, '--passphrase-file', passFile, '--json']);
		// (Node may warn about a FileHandle of the encrypted reader closed on GC: not ours, not an error.)
		expect(result.stderr).not.toMatch(/lifeboat:/);
		expect(result.code).toBe(0);
		expect(JSON.parse(result.stdout).warnings).toEqual([]);
		expect(query(target, 'SELECT id, totp_secret FROM users ORDER BY id')).toEqual(query(original, 'SELECT id, totp_secret FROM users ORDER BY id'));
	});
});
