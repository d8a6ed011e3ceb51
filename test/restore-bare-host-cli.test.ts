/**
 * Issue 11 §1 through the built CLI: `backup restore --data-dir DIR` into an absent or empty DIR
 * makes a new gateway and prints the post-restore checklist (and carries it in --json); a folder
 * holding other files is exit 3 and untouched; a failure leaves DIR absent and nothing beside it.
 */
import fs from 'node:fs';
import path from 'node:path';
import {beforeAll, describe, expect, it} from 'vitest';
import type {ChecklistItem} from '../source/core/restore/checklist.js';
import {expectOneLineError, runCli} from './helpers/run-cli.js';
import {tempDir} from './helpers/temp-dir.js';
import {backupOf, demoGateway, query} from './restore-support.js';

const count = (dataDir: string, sql: string) => query(dataDir, sql).length;

describe('backup restore onto a bare host (CLI)', () => {
	let original: string;
	let zip: string;
	let enrolled: number;
	beforeAll(async () => {
		original = await demoGateway({tenants: 2, seed: 113});
		zip = (await backupOf(original, {format: 'zip'})).path;
		enrolled = count(original, 'SELECT id FROM users WHERE totp_secret IS NOT NULL');
	});

	it('--json into an absent folder: the new gateway, its plan and the checklist (2FA to re-enrol without the key)', () => {
		const dataDir = path.join(tempDir('lifeboat-bare-cli-'), 'gateway');
		const result = runCli(['backup', 'restore', '--in', zip, '--data-dir', dataDir, '--json']);
		expect(result.stderr).toBe('');
		expect(result.code).toBe(0);
		const output = JSON.parse(result.stdout) as {ok: boolean; createdDataDir: string; plan: {newDataDir: boolean; totals: {new: number}}; applied: {new: number}; checklist: ChecklistItem[]};
		expect(output).toMatchObject({ok: true, dryRun: false, createdDataDir: dataDir, plan: {newDataDir: true}});
		expect(output.applied.new).toBe(output.plan.totals.new);
		const kinds = output.checklist.map(item => item.kind);
		// The migration pattern's order: secrets, nodes, 2FA, tokens.
		expect(kinds).toEqual([...kinds.filter(kind => kind === 'reenter'), 're-pair', 're-enrol-2fa', 'rotate']);
		expect(output.checklist.find(item => item.kind === 're-pair')).toMatchObject({count: count(original, 'SELECT id FROM node_pairings'), field: 'node_pairings.pairing_secret'});
		expect(output.checklist.find(item => item.kind === 're-enrol-2fa')).toMatchObject({count: enrolled, field: 'users.totp_secret'});
		expect(output.checklist.find(item => item.field === 'webhooks.secret')).toMatchObject({kind: 'reenter', count: count(original, 'SELECT id FROM webhooks')});
		expect(output.checklist.find(item => item.field === 'connections.auth_token')).toMatchObject({fields: ['connections.auth_token', 'connections.refresh_token']});
		expect(count(dataDir, 'SELECT id FROM users')).toBe(count(original, 'SELECT id FROM users'));
	});

	it('human output into an empty folder: the plan says new gateway, then the numbered checklist', () => {
		const dataDir = tempDir('lifeboat-bare-cli-empty-');
		const result = runCli(['backup', 'restore', '--in', zip, '--data-dir', dataDir]);
		expect(result.stderr).toBe('');
		expect(result.code).toBe(0);
		const webhooks = count(original, 'SELECT id FROM webhooks');
		const connections = count(original, 'SELECT id FROM connections');
		const nodes = count(original, 'SELECT id FROM node_pairings');
		expect(result.stdout).toContain(`into ${dataDir} (new gateway):`);
		expect(result.stdout).toContain(`New gateway created in ${dataDir} (owner-only; its own keys/backup.key)\nAfter the restore:\n`);
		expect(result.stdout).not.toMatch(/^Re-enter: /m);
		const steps = result.stdout.slice(result.stdout.indexOf('After the restore:\n')).trim().split('\n').slice(1);
		expect(steps[0]).toBe(`  1. Re-enter webhooks.secret for ${webhooks} webhooks`);
		expect(steps[1]).toBe(`  2. Re-authenticate ${connections} connections (connections.auth_token, connections.refresh_token not backed up)`);
		expect(steps).toContain(`  ${steps.length - 2}. Re-pair ${nodes} nodes: pairing secrets (node_pairings.pairing_secret) are never in backups`);
		expect(steps.at(-2)).toBe(
			`  ${steps.length - 1}. ${enrolled} users must re-enrol 2FA: the sealed 2FA block could not be opened (the backup's passphrase, or --key-file with the old gateway's keys/backup.key, brings the secrets back)`,
		);
		expect(steps.at(-1)).toBe(`  ${steps.length}. Rotate any API tokens users care about (the backup circulated)`);
		expect(steps.some(step => /Re-enter 5 secret settings in appsettings\.json: Jwt\.SigningKey/.test(step))).toBe(true);
	});

	it('--dry-run --json into an empty folder plans everything new with its checklist and writes nothing', () => {
		// An empty folder in a parent of its own: other tests' restores stage beside their folders in the shared temp dir.
		const dataDir = path.join(tempDir('lifeboat-bare-cli-dry-'), 'gateway');
		fs.mkdirSync(dataDir);
		const result = runCli(['backup', 'restore', '--in', zip, '--data-dir', dataDir, '--dry-run', '--json', '--key-file', path.join(original, 'keys', 'backup.key')]);
		expect(result.code).toBe(0);
		const output = JSON.parse(result.stdout) as {plan: {newDataDir: boolean; totals: {new: number; identical: number; conflicts: number}}; checklist: ChecklistItem[]};
		expect(output.plan).toMatchObject({newDataDir: true, totals: {identical: 0, conflicts: 0}});
		// The key file opens the 2FA block: nobody to re-enrol.
		expect(output.checklist.map(item => item.kind)).not.toContain('re-enrol-2fa');
		expect(fs.readdirSync(dataDir)).toEqual([]);
		expect(fs.readdirSync(path.dirname(dataDir)).filter(name => name.includes('lifeboat-new'))).toEqual([]);
	});

	it('a folder holding other files is refused (exit 3) and left as it was', () => {
		const dataDir = tempDir('lifeboat-bare-cli-other-');
		fs.writeFileSync(path.join(dataDir, 'notes.txt'), 'mine');
		expectOneLineError(runCli(['backup', 'restore', '--in', zip, '--data-dir', dataDir]), 3, /is not a gateway data directory \(no data\/gateway\.db\)/);
		const json = runCli(['backup', 'restore', '--in', zip, '--data-dir', dataDir, '--json']);
		expect(JSON.parse(json.stdout)).toMatchObject({ok: false, error: {code: 'not-a-gateway'}});
		expect(fs.readdirSync(dataDir)).toEqual(['notes.txt']);
		expect(fs.readFileSync(path.join(dataDir, 'notes.txt'), 'utf8')).toBe('mine');
	});

	it('a failure midway (test hook) or a damaged archive: one line, the folder still absent, nothing beside it', () => {
		const parent = tempDir('lifeboat-bare-cli-fail-');
		const dataDir = path.join(parent, 'gateway');
		const failed = runCli(['backup', 'restore', '--in', zip, '--data-dir', dataDir], {env: {LIFEBOAT_TEST_HOOK: 'fail-after-rows:200'}});
		expectOneLineError(failed, 130, /Test failure injected after 200 rows/);
		expect(fs.readdirSync(parent)).toEqual([]);
		const cut = path.join(tempDir(), 'cut.zip');
		fs.writeFileSync(cut, fs.readFileSync(zip).subarray(0, 5000));
		expect(runCli(['backup', 'restore', '--in', cut, '--data-dir', dataDir]).code).toBe(5);
		expect(fs.readdirSync(parent)).toEqual([]);
	});
});
