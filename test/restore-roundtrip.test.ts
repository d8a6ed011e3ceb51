import fs from 'node:fs';
import path from 'node:path';
import {beforeAll, describe, expect, it} from 'vitest';
import {openBackupSource} from '../source/core/backup/backup-source.js';
import {redactJson} from '../source/core/redaction.js';
import {applyRestore, planRestore} from '../source/core/restore/index.js';
import {CATEGORIES, TABLES} from '../source/core/store/schema.js';
import {backupOf, demoGateway, freshGateway, query, REDACT_COLUMNS, sha256, tableRows, walkFiles} from './restore-support.js';

const NOT_RESTORE_AUDIT = `NOT (action = 'backup.restore' AND actor = 'lifeboat')`;

/** Row-for-row equality of every table, secret columns aside (totp too unless the key was given). */
function expectSameRows(original: string, restored: string, options: {totp: boolean}): void {
	for (const table of TABLES) {
		const without = [...REDACT_COLUMNS[table.name]!, ...(table.name === 'users' && !options.totp ? ['totp_secret'] : [])];
		const where = table.name === 'audit_log' ? NOT_RESTORE_AUDIT : undefined;
		const expected = tableRows(original, table.name, {without, where});
		const actual = tableRows(restored, table.name, {without, where});
		expect(actual.length, table.name).toBe(expected.length);
		expect(actual, table.name).toEqual(expected);
	}
}

function expectSameFiles(original: string, restored: string): void {
	const tenantFiles = (dir: string) => walkFiles(dir, relative => !/^(agents|documents)(\/|$)/.test(relative));
	expect(tenantFiles(restored)).toEqual(tenantFiles(original));
	for (const file of tenantFiles(original)) expect(sha256(path.join(restored, file)), file).toBe(sha256(path.join(original, file)));
	for (const category of CATEGORIES) {
		for (const spec of category.files ?? []) {
			const source = path.join(original, spec.path);
			const target = path.join(restored, spec.path);
			expect(fs.existsSync(target), spec.path).toBe(fs.existsSync(source));
			if (!fs.existsSync(source)) continue;
			if (spec.kind === 'opaque') expect(sha256(target)).toBe(sha256(source));
			// JSON config comes back with its secrets as redaction markers, everything else equal.
			else expect(JSON.parse(fs.readFileSync(target, 'utf8'))).toEqual(redactJson(JSON.parse(fs.readFileSync(source, 'utf8'))).value);
		}
	}
}

describe('restore round trip', () => {
	let original: string;
	beforeAll(async () => {
		original = await demoGateway({tenants: 2, seed: 31});
	});

	for (const format of ['zip', 'tar.gz', 'dir'] as const) {
		it(`${format}: a fresh data dir gets every row and file back; a second restore finds everything identical`, async () => {
			const {source} = await backupOf(original, {format});
			const target = freshGateway();
			const plan = await planRestore({source, dataDir: target, keyFile: path.join(original, 'keys', 'backup.key')});
			expect(plan.totals.conflicts).toBe(0);
			expect(plan.totals.identical).toBe(0);
			expect(plan.twoFactor?.restorable).toBe(true);
			const result = await applyRestore({source, dataDir: target, keyFile: path.join(original, 'keys', 'backup.key')});
			// The plan's counts are what happened.
			expect(result.applied.inserted + result.applied.files).toBe(plan.totals.new);
			expect(result.applied.quarantined).toBe(0);
			expect(result.appliedCategories.map(category => [category.category, category.new, category.identical, category.conflicts])).toEqual(
				plan.categories.map(category => [category.category, category.new, category.identical, category.conflicts]),
			);
			expectSameRows(original, target, {totp: true});
			expectSameFiles(original, target);
			expect(fs.existsSync(path.join(target, '.lifeboat-restore'))).toBe(false);
			expect(fs.existsSync(path.join(target, 'quarantine'))).toBe(false);

			// Secrets: markers where the backup had them, listed to re-enter; never the pointer text.
			const webhooks = query<{secret: string}>(target, 'SELECT secret FROM webhooks');
			expect(webhooks.every(row => row.secret === '[REDACTED: re-enter on restore]')).toBe(true);
			const note = result.secretsToReenter.find(entry => entry.field === 'webhooks.secret');
			expect(note?.count).toBe(webhooks.length);
			expect(result.secretsToReenter.find(entry => entry.field === 'node_pairings.pairing_secret')?.action).toBe('re-pair the node');
			expect(query(target, `SELECT id FROM users WHERE totp_secret LIKE '[ENCRYPTED%'`)).toEqual([]);

			// Audit: one backup.restore entry per tenant restored, with the restore id.
			const audit = query<{detail: string; tenant_id: string}>(target, `SELECT tenant_id, detail FROM audit_log WHERE action = 'backup.restore'`);
			expect(audit).toHaveLength(2);
			expect(JSON.parse(audit[0]!.detail)).toMatchObject({restoreId: result.restoreId, mode: 'additive'});

			// Idempotent.
			const again = await planRestore({source, dataDir: target});
			expect(again.totals.new).toBe(0);
			expect(again.totals.conflicts).toBe(0);
			expect(again.totals.identical).toBe(plan.totals.new);
			const second = await applyRestore({source, dataDir: target});
			expect(second.applied).toMatchObject({inserted: 0, quarantined: 0, files: 0, deleted: 0});
			expectSameRows(original, target, {totp: true});
		});
	}

	for (const format of ['zip', 'tar.gz'] as const) {
		it(`encrypted ${format}: restores equal to the original, 2FA included, with no gateway key needed`, async () => {
			const passphrase = 'correct horse battery staple';
			const {path: file} = await backupOf(original, {format, passphrase, kdfIterations: 1000});
			const source = await openBackupSource(file, {passphrase});
			const target = freshGateway();
			// The 2FA block is sealed under the passphrase: no --key-file, and no key on the target.
			const result = await applyRestore({source, dataDir: target, passphrase});
			expect(result.applied.quarantined).toBe(0);
			expectSameRows(original, target, {totp: true});
			expectSameFiles(original, target);
			await expect(openBackupSource(file, {passphrase: 'wrong'})).rejects.toThrow('wrong passphrase or corrupted backup');
		});
	}

	it('without the source gateway key, 2FA secrets stay empty and the restore says who must re-enroll', async () => {
		const {source} = await backupOf(original, {format: 'zip'});
		const target = freshGateway();
		const result = await applyRestore({source, dataDir: target});
		const enrolled = query(original, 'SELECT id FROM users WHERE totp_secret IS NOT NULL').length;
		expect(enrolled).toBeGreaterThan(0);
		expect(query(target, 'SELECT id FROM users WHERE totp_secret IS NOT NULL')).toEqual([]);
		expect(result.warnings.join('\n')).toContain(`${enrolled} users must re-enroll 2FA`);
		expect(result.secretsToReenter.find(note => note.field === 'users.totp_secret')).toMatchObject({count: enrolled, action: 're-enroll 2FA'});
		expectSameRows(original, target, {totp: false});
		expect(fs.existsSync(path.join(target, 'keys', 'backup.key'))).toBe(false);
	});

	it('--only restores the chosen categories and nothing else', async () => {
		const {source} = await backupOf(original, {format: 'zip'});
		const target = freshGateway();
		const result = await applyRestore({source, dataDir: target, only: ['users', 'memory']});
		expect(result.plan.categories.map(category => category.category)).toEqual(['users', 'memory']);
		expect(query(target, 'SELECT COUNT(*) AS n FROM memory_entries')[0]).toEqual(query(original, 'SELECT COUNT(*) AS n FROM memory_entries')[0]);
		expect(query(target, 'SELECT COUNT(*) AS n FROM webhooks')[0]).toEqual({n: 0});
		expect(walkFiles(path.join(target, 'agents'))).toEqual([]);
		expect(fs.existsSync(path.join(target, 'appsettings.json'))).toBe(false);
	});
});
