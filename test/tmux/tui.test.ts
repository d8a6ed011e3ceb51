import {spawnSync} from 'node:child_process';
import Database from 'better-sqlite3';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterAll, afterEach, beforeAll, describe, expect, test} from 'vitest';
import {openBackupSource} from '../../source/core/backup/backup-source.js';
import {createBackup} from '../../source/core/backup/create-backup.js';
import {generateDemo} from '../../source/core/demo/generate-demo.js';
import {planRestore} from '../../source/core/restore/index.js';
import {saveScreenshot} from './ansi-to-svg.js';
import {CLI, consoleCommand, ensureBuilt, tmuxAvailable, TmuxSession} from './tmux-driver.js';

/**
 * The built binary in a real terminal (tmux, 80x24), one key at a time: create an encrypted
 * backup, find it in Browse, dry-run a replace restore into another tenant, cancel the
 * confirmation, then confirm it. LIFEBOAT_MEDIA_DIR=media saves the screens as readme media.
 */
const HAVE_TMUX = tmuxAvailable();
if (!HAVE_TMUX) console.warn('SKIPPED test/tmux: tmux is not installed (apt-get install -y tmux)');
const MEDIA = process.env['LIFEBOAT_MEDIA_DIR'];
const PASS = 'correct horse battery';

let root: string;
let dataDir: string;
let backupDir: string;
let session: TmuxSession | undefined;

beforeAll(async () => {
	if (!HAVE_TMUX) return;
	ensureBuilt();
	// Recording readme media: short, stable paths on screen instead of random temp names.
	root = MEDIA ? path.join(os.tmpdir(), 'lifeboat') : fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-tmux-'));
	if (MEDIA) fs.rmSync(root, {recursive: true, force: true});
	dataDir = path.join(root, 'gateway');
	backupDir = path.join(root, 'backups');
	await generateDemo({dir: dataDir, tenants: 2, scale: 'small', seed: 5});
}, 120_000);

afterEach(() => {
	session?.kill();
	session = undefined;
});

afterAll(() => {
	if (root) fs.rmSync(root, {recursive: true, force: true});
});

function snap(name: string) {
	if (MEDIA && session) saveScreenshot(session.screenAnsi(), path.resolve(MEDIA), name);
}

function count(sql: string, ...params: string[]): number {
	const db = new Database(path.join(dataDir, 'data', 'gateway.db'), {readonly: true});
	try {
		return (db.prepare(sql).get(...params) as {n: number}).n;
	} finally {
		db.close();
	}
}

/** The terminal after the console exited: cooked mode and echo are back. */
function expectTerminalRestored(screen: string) {
	expect(screen).toMatch(/ icanon /);
	expect(screen).toMatch(/ echo /);
	expect(screen).not.toMatch(/-icanon/);
	expect(screen).not.toContain('\u001B[?1049h');
}

describe.skipIf(!HAVE_TMUX)('the console in a real terminal (tmux 80x24)', () => {
	test('create encrypted → browse → restore dry-run (replace into another tenant) → cancel → confirm', async () => {
		session = new TmuxSession();
		session.start(consoleCommand(['--data-dir', dataDir, '--dest', backupDir]));
		const home = await session.waitFor('Audit log');
		expect(home).toContain(dataDir);
		expect(home).toMatch(/Last backup\s+none yet/);
		snap('home');

		// Create: everything, tenant acme-corp, zip, passphrase typed twice.
		await session.key('Enter');
		await session.waitFor('› Everything');
		await session.key('Enter');
		await session.waitFor('› All tenants');
		await session.key('j');
		await session.waitFor('› Acme Corp');
		await session.key('Enter');
		await session.waitFor('› zip (default)');
		await session.key('Enter');
		await session.waitFor('› None');
		await session.key('j');
		await session.waitFor('› Passphrase');
		await session.key('Enter');
		await session.waitFor('Passphrase (needed to restore');
		await session.type(PASS);
		const masked = await session.waitFor('*'.repeat(PASS.length));
		expect(masked).not.toContain(PASS);
		await session.key('Enter');
		await session.waitFor('Type the passphrase again');
		await session.type(PASS);
		await session.key('Enter');
		await session.waitFor('Folder to write the backup to');
		await session.key('Enter');
		await session.waitFor('Backup name');
		await session.key('C-u');
		await session.type('acme-nightly');
		await session.key('Enter');
		const review = await session.waitFor('Enter start backup');
		expect(review).toMatch(/Tenants\s+acme-corp/);
		expect(review).toContain('acme-nightly.zip.enc');
		snap('create-review');
		await session.key('Enter');
		const result = await session.waitFor('✓ Backup written', 60_000);
		expect(result).toMatch(/SHA-256\s+[0-9a-f]{64}/);
		expect(result).toMatch(/Encrypted\s+yes/);
		const file = path.join(backupDir, 'acme-nightly.zip.enc');
		expect(fs.existsSync(file)).toBe(true);
		await session.key('Enter'); // Verify now
		await session.waitFor(/✓ Verified: \d+ files/, 60_000);
		snap('create-result');

		// Browse: the backup is listed as encrypted; details; then restore from it.
		await session.key('j');
		await session.waitFor('› Browse backups');
		await session.key('Enter');
		const browse = await session.waitFor('› acme-nightly');
		expect(browse).toMatch(/› acme-nightly\s+\d{4}-\d\d-\d\d \d\d:\d\d\s+\S+\s+full\s+\S+ (KB|MB)\s+yes\s+15/);
		snap('browse');
		await session.key('Enter');
		const details = await session.waitFor('Scope');
		expect(details).toMatch(/Scope\s+tenant acme-corp/);
		snap('browse-details');
		await session.key('Escape');
		await session.waitFor('› acme-nightly');
		await session.key('r');
		await session.waitFor('Passphrase for acme-nightly.zip.enc');
		await session.type(PASS);
		await session.key('Enter');
		await session.waitFor('[x] Users', 30_000);
		await session.key('Enter');
		await session.waitFor('› Same tenant: acme-corp');
		await session.key('j');
		await session.waitFor('› Another tenant: globex');
		await session.key('Enter');
		await session.waitFor('› Additive');
		await session.key('j');
		await session.waitFor('› Replace');
		await session.key('Enter');
		const plan = await session.waitFor('Replace of acme-nightly into tenant globex', 60_000);
		snap('restore-dry-run');

		// The numbers on screen are the engine's.
		const engine = await planRestore({dataDir, source: await openBackupSource(file, {passphrase: PASS}), passphrase: PASS, mode: 'replace', intoTenant: 'globex', skipVerify: true});
		const total = plan.split('\n').find(line => /^\s+Total\s/.test(line))!;
		const numbers = total.trim().split(/\s+/).slice(1, 5).map(cell => Number(cell.replaceAll(',', '')));
		expect(numbers).toEqual([engine.totals.new, engine.totals.identical, engine.totals.conflicts, engine.totals.toDelete]);
		for (const category of engine.categories.slice(0, 5)) {
			const line = plan.split('\n').find(text => new RegExp(`^[ ›]+${category.label}\\s`).test(text))!;
			expect(line.trim().replace(/^› /, '').slice(category.label.length).trim().split(/\s+/).slice(0, 4).map(cell => Number(cell.replaceAll(',', '')))).toEqual([
				category.new,
				category.identical,
				category.conflicts,
				category.toDelete,
			]);
		}

		// Replace asks for the tenant's slug; Esc cancels and nothing changes.
		const globex = (() => {
			const db = new Database(path.join(dataDir, 'data', 'gateway.db'), {readonly: true});
			const id = (db.prepare(`SELECT id FROM tenants WHERE slug = 'globex'`).get() as {id: string}).id;
			db.close();
			return id;
		})();
		const agentsBefore = count(`SELECT COUNT(*) AS n FROM agents WHERE tenant_id = ?`, globex);
		await session.key('r');
		await session.waitFor('Type globex to confirm');
		snap('restore-confirm');
		await session.type('glob');
		await session.key('Escape');
		await session.waitFor('Replace of acme-nightly into tenant globex');
		expect(count(`SELECT COUNT(*) AS n FROM agents WHERE tenant_id = ?`, globex)).toBe(agentsBefore);

		await session.key('r');
		await session.waitFor('Type globex to confirm');
		await session.type('globex');
		await session.key('Enter');
		const summary = await session.waitFor('✓ Restored (replace)', 60_000);
		expect(summary).toMatch(new RegExp(`Deleted\\s+${engine.totals.toDelete.toLocaleString('en-US')}`));
		// The post-restore checklist `backup restore` prints, each step on one row (cut, never wrapped).
		expect(summary).toContain('After the restore:');
		expect(summary).toMatch(/^ {2}1\. Re-enter webhooks\.secret for \d+ webhooks/m);
		expect(summary).not.toContain('Re-enter these secrets');
		expect(summary.split('\n').every(line => line.length <= 80)).toBe(true);
		snap('restore-summary');
		const acme = (engine.backup.counts['agents']?.count ?? 0);
		expect(count(`SELECT COUNT(*) AS n FROM agents WHERE tenant_id = ?`, globex)).toBe(acme);

		// Home, quit: exit code 0 and the terminal is back in cooked mode.
		await session.key('Enter');
		// Home reads the last backup again after a restore: wait for it, not for Home's first frame.
		const back = await session.waitFor(screen => screen.includes('› Create backup') && /Last backup\s+acme-nightly/.test(screen));
		expect(back).toMatch(/Last backup\s+acme-nightly/);
		await session.key('q');
		const after = await session.waitForExit();
		expect(after).toContain('EXIT=0');
		expectTerminalRestored(after);
	}, 240_000);

	test('Ctrl+C leaves with 130 and a usable terminal; NO_COLOR has no colour; a small window degrades', async () => {
		session = new TmuxSession();
		session.start(consoleCommand(['--data-dir', dataDir, '--dest', backupDir], {NO_COLOR: '1'}));
		await session.waitFor('Audit log');
		const ansi = session.screenAnsi();
		expect(ansi).not.toMatch(/\u001B\[[0-9;]*(3[0-7]|9[0-7]|38;[0-9;]+)m/);
		// Below the smallest size (50x16) one line says so instead of the screen, and keys wait.
		session.resize(50, 14);
		const small = await session.waitFor(screen => screen.includes('50x14') && screen.includes('needs 50x16'));
		expect(small).not.toContain('Create backup');
		expect(small.split('\n').every(line => line.length <= 50)).toBe(true);
		session.resize(80, 24);
		await session.waitFor('Audit log');
		await session.key('j');
		await session.key('Enter');
		await session.waitFor('Browse');
		await session.key('C-c');
		const after = await session.waitForExit();
		expect(after).toContain('EXIT=130');
		expectTerminalRestored(after);
	}, 120_000);
});

describe.skipIf(!HAVE_TMUX)('first run and crashes', () => {
	test('with no data dir configured it creates the demo gateway and opens on it', async () => {
		const home = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-demo-home-'));
		try {
			session = new TmuxSession();
			session.start(consoleCommand([], {LIFEBOAT_DEMO_HOME: home, LIFEBOAT_DATA_DIR: ''}));
			const screen = await session.waitFor('Audit log', 60_000);
			expect(screen).toContain(`${path.join(home, 'gateway')} (demo)`);
			expect(screen).toContain(path.join(home, 'backups'));
			await session.key('q');
			expect(await session.waitForExit()).toContain('EXIT=0');
		} finally {
			fs.rmSync(home, {recursive: true, force: true});
		}
	}, 120_000);

	test('an unexpected error: one line, exit 1, terminal restored (no stack trace)', async () => {
		session = new TmuxSession();
		session.start(consoleCommand(['--data-dir', dataDir, '--dest', backupDir], {LIFEBOAT_TEST_CRASH: 'async'}));
		const after = await session.waitForExit(30_000);
		expect(after).toContain('EXIT=1');
		expect(after.replace(/\n/g, '')).toMatch(/lifeboat: internal error: simulated crash for tests \(set LIFEBOAT_DEBUG=1 for details\)EXIT=1/);
		expect(after).not.toMatch(/\n\s+at /);
		expectTerminalRestored(after);
	}, 60_000);
});

describe.skipIf(!HAVE_TMUX || !MEDIA)('readme media (LIFEBOAT_MEDIA_DIR set)', () => {
	test('progress bar of a larger backup, and the conflict view', async () => {
		const big = path.join(root, 'big');
		await generateDemo({dir: big, tenants: 3, scale: 'medium', seed: 9, extraDocumentBytes: 700 * 1024 * 1024});
		session = new TmuxSession();
		session.start(consoleCommand(['--data-dir', big, '--dest', path.join(root, 'big-backups')]));
		await session.waitFor('Audit log');
		for (const key of ['Enter', 'Enter', 'Enter', 'j', 'Enter', 'Enter', 'Enter', 'Enter']) {
			await session.key(key);
		}
		await session.waitFor('Enter start backup');
		await session.key('Enter');
		await session.waitFor(screen => /ETA \d/.test(screen) && / [2-6]\d%/.test(screen), 120_000);
		snap('create-progress');
		await session.waitFor('✓ Backup written', 300_000);
	}, 600_000);

	test('conflicts of an additive restore, one side by side, then the quarantine', async () => {
		const db = new Database(path.join(dataDir, 'data', 'gateway.db'));
		const acme = (db.prepare(`SELECT id FROM tenants WHERE slug = 'acme-corp'`).get() as {id: string}).id;
		db.prepare(`UPDATE agents SET name = name || ' v2', status = 'active' WHERE id IN (SELECT id FROM agents WHERE tenant_id = ? ORDER BY id LIMIT 2)`).run(acme);
		db.prepare(`UPDATE memory_entries SET content = 'Customer prefers email follow-ups' WHERE id IN (SELECT id FROM memory_entries WHERE tenant_id = ? ORDER BY id LIMIT 3)`).run(acme);
		db.close();
		session = new TmuxSession();
		session.start(consoleCommand(['--data-dir', dataDir, '--dest', backupDir]));
		await session.waitFor('Audit log');
		await session.key('j');
		await session.key('j');
		await session.key('Enter');
		await session.waitFor('› acme-nightly');
		await session.key('Enter');
		await session.waitFor('Passphrase for');
		await session.type(PASS);
		await session.key('Enter');
		await session.waitFor('[x] Users', 30_000);
		await session.key('Enter');
		await session.waitFor('› Same tenant');
		await session.key('Enter');
		await session.waitFor('› Additive');
		await session.key('Enter');
		await session.waitFor('Additive of acme-nightly', 60_000);
		await session.key('j');
		await session.waitFor('› Agents');
		snap('restore-conflicts');
		await session.key('Enter');
		await session.waitFor('conflicts in Agents');
		await session.key('Enter');
		await session.waitFor('Field', 30_000);
		snap('restore-conflict-detail');
		await session.key('Escape');
		await session.key('Escape');
		await session.waitFor('Additive of acme-nightly');
		await session.key('r');
		await session.waitFor('✓ Restored (additive)', 60_000);
		snap('restore-additive-summary');
		await session.key('Enter');
		await session.waitFor('Entries');
		await session.key('Enter');
		await session.waitFor('Differs');
		await session.key('Enter');
		await session.waitFor('Quarantined (backup)');
		snap('quarantine-entry');

		// A fuller Browse list for the readme: a few older backups of other kinds.
		const day = 86_400_000;
		const made = [
			{name: 'monthly-archive', format: 'zip' as const, days: 30},
			{name: 'globex-before-migration', format: 'tar.gz' as const, days: 21, tenant: 'globex'},
			{name: 'weekly-w45', format: 'zip' as const, days: 14, passphrase: PASS},
			{name: 'config-only', format: 'dir' as const, days: 9, categories: ['config', 'mcp', 'license']},
			{name: 'weekly-w46', format: 'zip' as const, days: 7, passphrase: PASS},
			{name: 'nightly', format: 'tar.gz' as const, days: 1},
		];
		for (const backup of made) {
			await createBackup({dataDir, destDir: backupDir, name: backup.name, format: backup.format, tenant: backup.tenant, categories: backup.categories, passphrase: backup.passphrase, kdfIterations: 1000, now: new Date(Date.now() - backup.days * day)});
		}
		await session.key('Escape');
		await session.key('Escape');
		await session.key('Escape');
		await session.waitFor('› Create backup');
		await session.key('j');
		await session.key('Enter');
		await session.waitFor('7 backups');
		snap('browse');
	}, 300_000);
});

describe('without a terminal', () => {
	test('`lifeboat` with stdin not a TTY prints one line pointing to the CLI and exits 2', () => {
		ensureBuilt();
		const result = spawnSync(process.execPath, [CLI], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: {...process.env, LIFEBOAT_DEMO_HOME: path.join(os.tmpdir(), 'lifeboat-no-tty-demo')}});
		expect(result.status).toBe(2);
		expect(result.stdout).toBe('');
		const lines = result.stderr.trim().split('\n');
		expect(lines).toHaveLength(1);
		expect(lines[0]).toMatch(/needs a terminal.*lifeboat --help/);
		expect(fs.existsSync(path.join(os.tmpdir(), 'lifeboat-no-tty-demo'))).toBe(false);
	});
});
