import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterAll, afterEach, beforeAll, describe, expect, test} from 'vitest';
import {createBackup} from '../../source/core/backup/create-backup.js';
import {generateDemo} from '../../source/core/demo/generate-demo.js';
import {sha256, walkFiles} from '../restore-support.js';
import {consoleCommand, ensureBuilt, tmuxAvailable, TmuxSession} from './tmux-driver.js';

/**
 * The DR drill screen of the built binary in a real terminal (tmux, 80x24): Home → d → the
 * backup folder → the latest backup (encrypted: its passphrase) → every check passes, then RPO,
 * RTO and the report path; the report files exist and the live data dir is byte for byte as it was.
 */
const HAVE_TMUX = tmuxAvailable();
if (!HAVE_TMUX) console.warn('SKIPPED test/tmux: tmux is not installed (apt-get install -y tmux)');
const PASS = 'drill passphrase, typed in the console';

let root: string;
let dataDir: string;
let backupDir: string;
let configDir: string;
/** The console's temp folder (TMPDIR), where the drill makes its scratch data dir. */
let scratchParent: string;
let session: TmuxSession | undefined;

beforeAll(async () => {
	if (!HAVE_TMUX) return;
	ensureBuilt();
	root = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-tmux-drill-'));
	dataDir = path.join(root, 'gateway');
	backupDir = path.join(root, 'backups');
	configDir = path.join(root, 'config');
	scratchParent = path.join(root, 'tmp');
	fs.mkdirSync(scratchParent);
	await generateDemo({dir: dataDir, tenants: 2, scale: 'small', seed: 9});
	await createBackup({dataDir, destDir: backupDir, name: 'older', kdfIterations: 1000});
	await createBackup({dataDir, destDir: backupDir, name: 'nightly', passphrase: PASS, kdfIterations: 1000});
}, 120_000);

afterEach(() => {
	session?.kill();
	session = undefined;
});

afterAll(() => {
	if (root) fs.rmSync(root, {recursive: true, force: true});
});

/** Every file under the data dir with its SHA-256 (the SQLite files included). */
function treeDigest(dir: string): Record<string, string> {
	return Object.fromEntries(walkFiles(dir).map(relative => [relative, sha256(path.join(dir, relative))]));
}

/** The report path after "Report", over however many rows the screen broke it into. */
function reportPath(screen: string): string {
	const lines = screen.split('\n');
	const first = lines.findIndex(line => line.startsWith('Report  '));
	const rows = [lines[first]!];
	for (const line of lines.slice(first + 1)) {
		if (!line.startsWith(' '.repeat(8))) break;
		rows.push(line);
	}
	return rows.map(row => row.slice(8).trimEnd()).join('');
}

describe.skipIf(!HAVE_TMUX)('the DR drill screen in a real terminal (tmux 80x24)', () => {
	test('d → backup folder → latest (encrypted) → passphrase → every check passes; RPO, RTO, report on screen and on disk; live data dir untouched', async () => {
		const before = treeDigest(dataDir);
		session = new TmuxSession();
		session.start(consoleCommand(['--data-dir', dataDir, '--dest', backupDir], {LIFEBOAT_CONFIG_DIR: configDir, TMPDIR: scratchParent}));
		const home = await session.waitFor('Audit log');
		expect(home).toContain('d DR drill');
		await session.key('d');
		await session.waitFor('Where are the backups?');
		await session.key('Enter');
		const list = await session.waitFor('latest');
		expect(list).toMatch(/› nightly\.zip\.enc .* enc latest/);
		await session.key('Enter');
		await session.waitFor('Passphrase for nightly.zip.enc');
		await session.type(PASS);
		await session.key('Enter');
		const done = await session.waitFor(screen => screen.includes('Drill passed') || screen.includes('Drill failed'), 120_000);
		expect(done).toContain('✓ Drill passed: nightly restores');
		for (const row of ['Archive verifies', 'Restores to scratch', 'Row counts match', 'File SHA-256s match', 'SQLite integrity', 'References resolve', 'Gateway opens', 'Live comparison']) {
			expect(done).toMatch(new RegExp(`✓ ${row} +\\S`));
		}
		expect(done).toMatch(/RPO {5}backup age \d+ (s|min) · the live store holds nothing the backup lacks/);
		expect(done).toMatch(/RTO {5}restore [\d.]+ (ms|s) · [\d.]+ (KB|MB) at [\d.]+ (KB|MB)\/s/);
		const markdown = reportPath(done);
		expect(markdown.startsWith(path.join(configDir, 'drill-reports', 'drill-'))).toBe(true);
		expect(fs.readFileSync(markdown, 'utf8')).toContain('nightly');
		expect(JSON.parse(fs.readFileSync(markdown.replace(/\.md$/, '.json'), 'utf8'))).toMatchObject({ok: true, backup: {name: 'nightly', encrypted: true}});
		// The checklist, further down.
		await session.key('G');
		await session.waitFor('After a real restore of this backup:');
		// Esc back to the list, Esc to the destinations, Esc Home, q.
		for (const [key, screen] of [
			['Escape', '› nightly.zip.enc'],
			['Escape', 'Where are the backups?'],
			['Escape', 'Audit log'],
		] as const) {
			await session.key(key);
			await session.waitFor(screen);
		}
		await session.key('q');
		expect(await session.waitForExit()).toContain('EXIT=0');
		expect(treeDigest(dataDir)).toEqual(before);
		// The scratch data dir was made in the console's temp folder, and is gone.
		expect(fs.readdirSync(scratchParent).filter(name => name.startsWith('lifeboat-drill-'))).toEqual([]);
	}, 240_000);
});
