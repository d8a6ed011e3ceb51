/**
 * Issue 11 §1, restore onto a bare host: a backup restored into an absent or empty data dir makes
 * a new gateway equal to the source table by table and file by file (redactions aside), in every
 * format, plain and encrypted; anything else is refused as before; a failure or a kill leaves the
 * data dir as it was, and no scratch folder beside it once the next run swept it.
 */
import {spawnSync} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import {beforeAll, describe, expect, it} from 'vitest';
import type {ArchiveFormat} from '../source/core/archive/archive-format.js';
import {openBackupSource} from '../source/core/backup/backup-source.js';
import {createBackup} from '../source/core/backup/create-backup.js';
import {redactJson} from '../source/core/redaction.js';
import {applyRestore, planRestore, restoreIntoNewDataDir, type RestoreOptions} from '../source/core/restore/index.js';
import {sweepStaleNewDataDirs} from '../source/core/store/new-data-dir.js';
import {CATEGORIES} from '../source/core/store/schema.js';
import {gatewayModel, ISSUE_EXAMPLES, materialise, readFiles, readTables} from './helpers/legal-gateway.js';
import {expectedTables, expectSameStore, fileDifferences, filesToRestore, restoredTables, tableDifferences} from './helpers/round-trip.js';
import {runCli, spawnCli} from './helpers/run-cli.js';
import {tempDir} from './helpers/temp-dir.js';
import {backupOf, demoGateway, query, sha256, storeDigest, walkFiles} from './restore-support.js';

const PASSPHRASE = 'bare host passphrase';

type Spec = {format: ArchiveFormat; encrypted: boolean};
const SPECS: Spec[] = [
	{format: 'zip', encrypted: false},
	{format: 'tar.gz', encrypted: false},
	{format: 'dir', encrypted: false},
	{format: 'zip', encrypted: true},
	{format: 'tar.gz', encrypted: true},
];
const label = (spec: Spec) => `${spec.format}${spec.encrypted ? ' (encrypted)' : ''}`;

/** Everything in a folder: names only (the data dir's parent must hold nothing new). */
const listing = (dir: string) => (fs.existsSync(dir) ? fs.readdirSync(dir).sort() : []);

/** The source gateway, restored: every row and file equal, secrets as the redaction marker, JSON config redacted. */
function expectEqualToSource(source: string, target: string): void {
	const expected = expectedTables(readTables(source));
	expect(tableDifferences(expected, restoredTables(target, expected))).toEqual([]);
	expect(fileDifferences(readFiles(source), readFiles(target))).toEqual([]);
	for (const category of CATEGORIES) {
		for (const spec of category.files ?? []) {
			const from = path.join(source, spec.path);
			const to = path.join(target, spec.path);
			expect(fs.existsSync(to), spec.path).toBe(fs.existsSync(from));
			if (!fs.existsSync(from)) continue;
			if (spec.kind === 'opaque') expect(sha256(to), spec.path).toBe(sha256(from));
			else expect(JSON.parse(fs.readFileSync(to, 'utf8')), spec.path).toEqual(redactJson(JSON.parse(fs.readFileSync(from, 'utf8'))).value);
		}
	}
}

/** Owner-only throughout: folders 0700, files 0600 (whatever the umask). */
function expectPrivate(root: string): void {
	const modes = new Set<string>();
	const walk = (dir: string) => {
		modes.add(`dir ${(fs.statSync(dir).mode & 0o777).toString(8)}`);
		for (const entry of fs.readdirSync(dir, {withFileTypes: true})) {
			const full = path.join(dir, entry.name);
			if (entry.isDirectory()) walk(full);
			else modes.add(`file ${(fs.statSync(full).mode & 0o777).toString(8)}`);
		}
	};
	walk(root);
	expect([...modes].sort()).toEqual(['dir 700', 'file 600']);
}

async function optionsFor(file: string, dataDir: string, spec: Spec, source: string): Promise<RestoreOptions> {
	const passphrase = spec.encrypted ? PASSPHRASE : undefined;
	return {source: await openBackupSource(file, {passphrase}), dataDir, passphrase, keyFile: spec.encrypted ? undefined : path.join(source, 'keys', 'backup.key')};
}

describe('restore onto a bare host (core)', () => {
	let original: string;
	const backups = new Map<string, string>();
	beforeAll(async () => {
		original = await demoGateway({tenants: 2, seed: 111});
		for (const spec of SPECS) {
			backups.set(label(spec), (await backupOf(original, {format: spec.format, passphrase: spec.encrypted ? PASSPHRASE : undefined, kdfIterations: 1000})).path);
		}
	});

	for (const spec of SPECS) {
		it(`${label(spec)} into an absent folder (parents made too): the source's every row and file, private, its own key, nothing beside it`, async () => {
			const parent = tempDir('lifeboat-bare-');
			const dataDir = path.join(parent, 'srv', 'gateway');
			const options = await optionsFor(backups.get(label(spec))!, dataDir, spec, original);
			const plan = await planRestore(options);
			expect(plan.newDataDir).toBe(true);
			expect(plan.totals).toMatchObject({identical: 0, conflicts: 0, toDelete: 0});
			expect(plan.twoFactor?.restorable).toBe(true);
			expect(listing(parent)).toEqual([]);

			const result = await applyRestore(await optionsFor(backups.get(label(spec))!, dataDir, spec, original));
			expect(result.createdDataDir).toBe(dataDir);
			expect(result.plan.newDataDir).toBe(true);
			expect(result.applied).toMatchObject({new: plan.totals.new, identical: 0, conflicts: 0, quarantined: 0});
			expect(result.plan.categories.map(category => category.category)).toEqual(expect.arrayContaining(['config', 'license', 'mcp', 'users', 'agents', 'documents']));
			expectEqualToSource(original, dataDir);
			// 2FA came back (key file or passphrase): no user to re-enrol.
			expect(query(dataDir, 'SELECT id, totp_secret FROM users ORDER BY id')).toEqual(query(original, 'SELECT id, totp_secret FROM users ORDER BY id'));
			expect(result.secretsToReenter.some(note => note.action === 're-enroll 2FA')).toBe(false);

			expect(listing(dataDir)).toEqual(expect.arrayContaining(['agents', 'data', 'documents', 'keys', 'appsettings.json', 'license.key', 'mcp.json']));
			expect(listing(dataDir)).not.toContain('.lifeboat-restore');
			expect(listing(dataDir)).not.toContain('quarantine');
			expect(fs.readFileSync(path.join(dataDir, 'keys', 'backup.key'))).not.toEqual(fs.readFileSync(path.join(original, 'keys', 'backup.key')));
			expectPrivate(path.join(parent, 'srv'));
			expect(listing(path.join(parent, 'srv'))).toEqual(['gateway']);
		});
	}

	it('an empty folder is replaced by the new gateway; its dry run writes nothing; the gateway then restores as usual', async () => {
		const spec = SPECS[0]!;
		const dataDir = path.join(tempDir('lifeboat-bare-'), 'empty');
		fs.mkdirSync(dataDir, {mode: 0o755});
		const plan = await planRestore(await optionsFor(backups.get(label(spec))!, dataDir, spec, original));
		expect(plan.newDataDir).toBe(true);
		expect(plan.totals.new).toBeGreaterThan(2000);
		expect(listing(dataDir)).toEqual([]);
		await restoreIntoNewDataDir(await optionsFor(backups.get(label(spec))!, dataDir, spec, original));
		expectEqualToSource(original, dataDir);
		expect(fs.statSync(dataDir).mode & 0o777).toBe(0o700);
		expect(listing(path.dirname(dataDir))).toEqual(['empty']);
		// Now a gateway: a second restore plans against it (everything identical), no new gateway.
		const again = await planRestore(await optionsFor(backups.get(label(spec))!, dataDir, spec, original));
		expect(again.newDataDir).toBeUndefined();
		expect(again.totals).toMatchObject({new: 0, conflicts: 0});
		await expect(restoreIntoNewDataDir(await optionsFor(backups.get(label(spec))!, dataDir, spec, original))).rejects.toThrow(/is not empty: a new gateway is only made in an absent or empty folder/);
	});

	it('a folder holding other files is still not a gateway: refused, left as it was', async () => {
		// In a parent of its own: other tests' restores stage beside their folders in the shared temp dir.
		const dataDir = path.join(tempDir('lifeboat-bare-other-'), 'gateway');
		fs.mkdirSync(dataDir);
		fs.writeFileSync(path.join(dataDir, 'notes.txt'), 'keep me');
		const options = await optionsFor(backups.get('zip')!, dataDir, SPECS[0]!, original);
		await expect(planRestore(options)).rejects.toMatchObject({code: 'not-a-gateway', message: expect.stringContaining('is not a gateway data directory')});
		await expect(applyRestore(options)).rejects.toMatchObject({code: 'not-a-gateway', message: expect.stringContaining('is not a gateway data directory')});
		expect(listing(dataDir)).toEqual(['notes.txt']);
		expect(listing(path.dirname(dataDir)).filter(name => name.includes('lifeboat-new'))).toEqual([]);
	});

	it('without the key or passphrase, the new gateway restores all but the 2FA secrets, and the result says who must re-enrol', async () => {
		const dataDir = path.join(tempDir('lifeboat-bare-'), 'gateway');
		const result = await applyRestore({source: await openBackupSource(backups.get('zip')!), dataDir});
		const enrolled = query(original, 'SELECT id FROM users WHERE totp_secret IS NOT NULL').length;
		expect(enrolled).toBeGreaterThan(0);
		expect(result.secretsToReenter.find(note => note.action === 're-enroll 2FA')).toMatchObject({field: 'users.totp_secret', count: enrolled});
		expect(query(dataDir, 'SELECT id FROM users WHERE totp_secret IS NOT NULL')).toEqual([]);
	});

	it('--only, --into-tenant and replace into a bare host', async () => {
		const zip = backups.get('zip')!;
		// --only: a gateway-wide category alone makes a gateway holding just it.
		const configOnly = path.join(tempDir('lifeboat-bare-'), 'gateway');
		await applyRestore({source: await openBackupSource(zip), dataDir: configOnly, only: ['config']});
		expect(fs.existsSync(path.join(configOnly, 'appsettings.json'))).toBe(true);
		expect(query(configOnly, 'SELECT id FROM tenants')).toEqual([]);
		// A tenant category without users has no tenant to land in: refused, nothing made.
		const noUsers = path.join(tempDir('lifeboat-bare-'), 'gateway');
		await expect(applyRestore({source: await openBackupSource(zip), dataDir: noUsers, only: ['memory']})).rejects.toMatchObject({code: 'unknown-tenant'});
		expect(fs.existsSync(noUsers)).toBe(false);
		expect(listing(path.dirname(noUsers))).toEqual([]);
		// Replace into an empty store is additive: nothing to delete.
		const replaced = path.join(tempDir('lifeboat-bare-'), 'gateway');
		const result = await applyRestore({source: await openBackupSource(zip), dataDir: replaced, mode: 'replace', keyFile: path.join(original, 'keys', 'backup.key')});
		expect(result.applied.deleted).toBe(0);
		expectEqualToSource(original, replaced);
		// --into-tenant: a one-tenant backup into a new tenant of the new gateway.
		const slug = query<{slug: string}>(original, 'SELECT slug FROM tenants ORDER BY id LIMIT 1')[0]!.slug;
		const tenantBackup = await backupOf(original, {format: 'zip', tenant: slug});
		const into = path.join(tempDir('lifeboat-bare-'), 'gateway');
		const moved = await applyRestore({source: tenantBackup.source, dataDir: into, intoTenant: 'Rebuilt Co'});
		expect(moved.plan.targetTenant).toMatchObject({slug: 'rebuilt-co', exists: false});
		expect(query(into, 'SELECT slug FROM tenants')).toEqual([{slug: 'rebuilt-co'}]);
	});

	it('a failure midway (injected after 500 rows, or a damaged archive) leaves the folder absent or empty and nothing beside it', async () => {
		const parent = tempDir('lifeboat-bare-fail-');
		const absent = path.join(parent, 'gateway');
		const empty = path.join(parent, 'empty');
		fs.mkdirSync(empty);
		process.env['LIFEBOAT_TEST_HOOK'] = 'fail-after-rows:500';
		try {
			for (const dataDir of [absent, empty]) {
				await expect(applyRestore({source: await openBackupSource(backups.get('tar.gz')!), dataDir})).rejects.toThrow(/Test failure injected after 500 rows/);
			}
		} finally {
			delete process.env['LIFEBOAT_TEST_HOOK'];
		}
		expect(listing(parent)).toEqual(['empty']);
		expect(listing(empty)).toEqual([]);
		// A tar.gz cut short: found while reading it, inside the scratch gateway.
		const cut = path.join(parent, 'cut.tar.gz');
		const whole = fs.readFileSync(backups.get('tar.gz')!);
		fs.writeFileSync(cut, whole.subarray(0, whole.length - 4096));
		await expect(applyRestore({source: await openBackupSource(cut), dataDir: absent})).rejects.toMatchObject({code: 'corrupt-archive'});
		expect(listing(parent)).toEqual(['cut.tar.gz', 'empty']);
	});

	it("a backup of another schema version is refused with the unsupported-version error before anything is made", async () => {
		const backup = await backupOf(original, {format: 'dir'});
		const metadataFile = path.join(backup.path, 'metadata.json');
		fs.writeFileSync(metadataFile, JSON.stringify({...JSON.parse(fs.readFileSync(metadataFile, 'utf8')), schemaVersion: 2}));
		const dataDir = path.join(tempDir('lifeboat-bare-'), 'gateway');
		await expect(applyRestore({source: backup.source, dataDir})).rejects.toMatchObject({code: 'unsupported-version', message: expect.stringContaining('schema version 2')});
		await expect(planRestore({source: backup.source, dataDir})).rejects.toMatchObject({code: 'unsupported-version'});
		expect(listing(path.dirname(dataDir))).toEqual([]);
	});

	it("the sweep removes scratch folders of dead processes and keeps a live process's", () => {
		const parent = tempDir('lifeboat-bare-sweep-');
		const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {encoding: 'utf8'}).stdout;
		const stale = path.join(parent, `.gateway.lifeboat-new-${dead}-00aa`);
		const live = path.join(parent, `.gateway.lifeboat-new-${process.ppid}-00bb`);
		const other = path.join(parent, `.other.lifeboat-new-${dead}-00cc`);
		for (const dir of [stale, live, other]) fs.mkdirSync(path.join(dir, 'data'), {recursive: true});
		expect(sweepStaleNewDataDirs(path.join(parent, 'gateway'))).toEqual([path.basename(stale)]);
		expect(listing(parent)).toEqual([path.basename(other), path.basename(live)].sort());
	});
});

describe('restore onto a bare host: generated legal gateways', () => {
	const cases = [
		...ISSUE_EXAMPLES.slice(0, 3).map(example => ({name: example.name, model: example.model})),
		...fc.sample(gatewayModel({maxRows: 3}), {seed: 1111, numRuns: 3}).map((model, index) => ({name: `generated #${index + 1}`, model})),
	];
	for (const [index, example] of cases.entries()) {
		const format = (['zip', 'tar.gz', 'dir'] as const)[index % 3]!;
		it(`${example.name} (${format}) into an absent folder equals the source`, async () => {
			const work = tempDir('lifeboat-bare-legal-');
			const gateway = materialise(example.model, path.join(work, 'source'));
			const backup = await createBackup({dataDir: gateway.dataDir, out: path.join(work, format === 'dir' ? 'backup' : `backup.${format}`), format});
			const keyFile = path.join(gateway.dataDir, 'keys', 'backup.key');
			const target = path.join(work, 'restored');
			await applyRestore({source: await openBackupSource(backup.path), dataDir: target, keyFile: fs.existsSync(keyFile) ? keyFile : undefined});
			expectSameStore(target, expectedTables(readTables(gateway.dataDir)), filesToRestore(gateway), gateway.dataDir, `${example.name} → new data dir`);
			expect(walkFiles(work).filter(file => file.includes('lifeboat-new'))).toEqual([]);
		});
	}
});

/** Runs the CLI with a test hook that pauses it, and kills it there with SIGKILL. */
async function killAt(args: string[], hook: string): Promise<void> {
	const child = spawnCli(args, {env: {LIFEBOAT_TEST_HOOK: hook}});
	let stderr = '';
	await new Promise<void>((resolve, reject) => {
		child.stderr!.on('data', chunk => {
			stderr += String(chunk);
			if (stderr.includes('LIFEBOAT_TEST_PAUSED')) {
				child.kill('SIGKILL');
				resolve();
			}
		});
		child.on('exit', code => reject(new Error(`CLI exited (${code}) before pausing: ${stderr}`)));
	});
	await new Promise(resolve => child.once('exit', resolve));
}

describe('a killed restore onto a bare host', () => {
	it('is never half there: the data dir stays absent, and the next run sweeps the scratch folder and restores', async () => {
		const original = await demoGateway({tenants: 1, seed: 5});
		const backup = await backupOf(original, {format: 'zip'});
		const parent = tempDir('lifeboat-bare-kill-');
		const dataDir = path.join(parent, 'gateway');
		for (const hook of ['pause-after-rows:300', 'pause:before-commit', 'pause:after-commit']) {
			await killAt(['backup', 'restore', '--in', backup.path, '--data-dir', dataDir], hook);
			expect(fs.existsSync(dataDir), hook).toBe(false);
			expect(listing(parent).filter(name => name.startsWith('.gateway.lifeboat-new-')), hook).toHaveLength(1);
			sweepStaleNewDataDirs(dataDir);
			expect(listing(parent), hook).toEqual([]);
		}
		await killAt(['backup', 'restore', '--in', backup.path, '--data-dir', dataDir], 'pause:before-commit');
		const again = runCli(['backup', 'restore', '--in', backup.path, '--data-dir', dataDir, '--key-file', path.join(original, 'keys', 'backup.key'), '--json']);
		expect(again.stderr).toBe('');
		expect(again.code).toBe(0);
		expect(listing(parent)).toEqual(['gateway']);
		expect(storeDigest(dataDir).tables['users']).toBe(storeDigest(original).tables['users']);
		expect(storeDigest(dataDir).files['agents/' + fs.readdirSync(path.join(original, 'agents'))[0] + '/SOUL.md']).toBeDefined();
	}, 60_000);
});
