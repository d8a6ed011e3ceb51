import Database from 'better-sqlite3';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterAll, afterEach, beforeAll, describe, expect, test} from 'vitest';
import {createBackup} from '../../source/core/backup/create-backup.js';
import {generateDemo} from '../../source/core/demo/generate-demo.js';
import {formatCount} from '../../source/core/format.js';
import {consoleCommand, ensureBuilt, tmuxAvailable, TmuxSession} from './tmux-driver.js';

/**
 * The built binary in a real terminal (tmux, 80x24) on a rebuilt host: `lifeboat --data-dir DIR`
 * where DIR does not exist. Home says DIR holds no gateway yet; Restore → the backup → dry run →
 * r builds the gateway in DIR; the summary's checklist; Enter opens it: Home shows its counts.
 */
const HAVE_TMUX = tmuxAvailable();
if (!HAVE_TMUX) console.warn('SKIPPED test/tmux: tmux is not installed (apt-get install -y tmux)');

let root: string;
let source: string;
let backupDir: string;
let session: TmuxSession | undefined;

beforeAll(async () => {
	if (!HAVE_TMUX) return;
	ensureBuilt();
	root = fs.mkdtempSync(path.join(os.tmpdir(), 'lb-bare-'));
	source = path.join(root, 'old-host');
	backupDir = path.join(root, 'backups');
	await generateDemo({dir: source, tenants: 2, scale: 'small', seed: 12});
	await createBackup({dataDir: source, destDir: backupDir, name: 'last-night'});
}, 120_000);

afterEach(() => {
	session?.kill();
	session = undefined;
});

afterAll(() => {
	if (root) fs.rmSync(root, {recursive: true, force: true});
});

function memoryCount(dataDir: string): number {
	const db = new Database(path.join(dataDir, 'data', 'gateway.db'), {readonly: true});
	try {
		return (db.prepare('SELECT COUNT(*) AS n FROM memory_entries').get() as {n: number}).n;
	} finally {
		db.close();
	}
}

describe.skipIf(!HAVE_TMUX)('the console on a bare host (tmux 80x24)', () => {
	test('--data-dir on an absent folder: Restore rebuilds the gateway there through the wizard, then Home shows it', async () => {
		const dataDir = path.join(root, 'new-host', 'gateway');
		session = new TmuxSession();
		session.start(consoleCommand(['--data-dir', dataDir, '--dest', backupDir], {LIFEBOAT_CONFIG_DIR: path.join(root, 'config')}));
		const home = (await session.waitFor('holds no gateway yet')).replace(/\s*\n\s*/g, ' ');
		expect(home).toContain(`! ${dataDir} holds no gateway yet (the folder does not exist) — Restore rebuilds the gateway there from a backup`);
		expect(home).toMatch(/Restore +rebuilds it here/);
		expect(home).toMatch(/Create backup +needs a gateway/);

		await session.key('j');
		await session.key('j');
		await session.waitFor('› Restore');
		await session.key('Enter');
		await session.waitFor('› last-night.zip');
		await session.key('Enter');
		const categories = await session.waitFor('[x] Users', 30_000);
		expect(categories).toContain(`Into a new gateway in ${dataDir}`);
		await session.key('Enter');
		const mode = await session.waitFor('› Additive');
		// At 80 columns the path is cut at its start: what shows is its end.
		const shown = /new gateway in (\S+)$/m.exec(mode)?.[1] ?? '';
		expect(shown.length).toBeGreaterThanOrEqual(16);
		expect(dataDir.endsWith(shown.replace(/^…/, ''))).toBe(true);
		await session.key('Enter');
		await session.waitFor('r restore now', 60_000);
		expect(fs.existsSync(dataDir)).toBe(false);
		await session.key('r');
		const summary = await session.waitFor('✓ New gateway restored', 60_000);
		expect(summary).toContain('After the restore:');
		expect(summary).toMatch(/^ {2}1\. Re-enter webhooks\.secret for \d+ webhooks/m);
		expect(summary.split('\n').every(line => line.length <= 80)).toBe(true);

		await session.key('Enter');
		const restored = await session.waitFor(screen => /Tenants\s+2 · /.test(screen) && screen.includes('Audit log'));
		expect(restored).toMatch(new RegExp(`Memory\\s+${formatCount(memoryCount(source))}`));
		expect(restored).not.toContain('holds no gateway yet');
		expect(restored).not.toContain('needs a gateway');
		expect(memoryCount(dataDir)).toBe(memoryCount(source));
		await session.key('q');
		expect(await session.waitForExit()).toContain('EXIT=0');
	}, 180_000);
});
