import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterAll, afterEach, beforeAll, describe, expect, test} from 'vitest';
import {createBackup} from '../../source/core/backup/create-backup.js';
import {generateDemo} from '../../source/core/demo/generate-demo.js';
import {consoleCommand, ensureBuilt, tmuxAvailable, TmuxSession} from './tmux-driver.js';

/**
 * Issue 9 §2.1 and §2.2 as reported, in a real terminal: Home at 60x20 and 50x20 (on launch and
 * on resize) kept "Size on disk" apart from the tenants, and `?` on the restore dry run kept the
 * header, the rows and the total (cut rows are counted, never drawn over).
 */
const HAVE_TMUX = tmuxAvailable();

let root: string;
let dataDir: string;
let backupDir: string;
let session: TmuxSession | undefined;

beforeAll(async () => {
	if (!HAVE_TMUX) return;
	ensureBuilt();
	root = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-tmux-layout-'));
	dataDir = path.join(root, 'gateway');
	backupDir = path.join(root, 'backups');
	await generateDemo({dir: dataDir, tenants: 2, scale: 'small', seed: 9});
	await createBackup({dataDir, destDir: backupDir, name: 'nightly'});
}, 120_000);

afterEach(() => {
	session?.kill();
	session = undefined;
});

afterAll(() => {
	if (root) fs.rmSync(root, {recursive: true, force: true});
});

/** Home's four key lines, each a label then its own value and nothing else. */
function expectHomeLines(screen: string) {
	const lines = screen.split('\n');
	expect(lines.find(line => line.startsWith('Tenants')), screen).toMatch(/^Tenants\s+2 · acme-corp, globex\s*$/);
	expect(lines.find(line => line.startsWith('Size on disk')), screen).toMatch(/^Size on disk\s+[\d.]+ (kB|MB)\s*$/);
	expect(lines.find(line => line.startsWith('Last backup')), screen).toMatch(/^Last backup\s+nightly · /);
}

describe.skipIf(!HAVE_TMUX)('layout in a real terminal', () => {
	test('Home at 60x20 and 50x20, on launch and on resize', async () => {
		for (const [columns, rows] of [
			[60, 20],
			[50, 20],
		] as const) {
			session = new TmuxSession();
			session.start(consoleCommand(['--data-dir', dataDir, '--dest', backupDir]), {columns, rows});
			expectHomeLines(await session.waitFor(screen => /Last backup\s+nightly/.test(screen) && /Size on disk\s+\d/.test(screen)));
			session.kill();
		}
		session = new TmuxSession();
		session.start(consoleCommand(['--data-dir', dataDir, '--dest', backupDir]));
		await session.waitFor(screen => /Last backup\s+nightly/.test(screen) && screen.includes('Audit log'));
		session.resize(60, 20);
		expectHomeLines(await session.waitFor(screen => screen.split('\n').every(line => line.length <= 60) && /Size on disk/.test(screen)));
		session.resize(50, 20);
		expectHomeLines(await session.waitFor(screen => screen.split('\n').every(line => line.length <= 50) && /Size on disk/.test(screen)));
	}, 120_000);

	test('? on the restore dry run keeps the header, the rows it has room for, the total and the keys', async () => {
		session = new TmuxSession();
		session.start(consoleCommand(['--data-dir', dataDir, '--dest', backupDir]));
		await session.waitFor('› Create backup');
		for (const key of ['j', 'j', 'Enter']) await session.key(key);
		await session.waitFor('› nightly.zip');
		await session.key('Enter');
		await session.waitFor('[x] Users');
		await session.key('Enter');
		await session.waitFor('› Additive');
		await session.key('Enter');
		await session.waitFor(/Total\s+\d/);
		await session.key('?');
		const screen = await session.waitFor('Keys of this screen');
		const lines = screen.split('\n');
		expect(lines[0]).toMatch(/^Lifeboat · Restore · Dry run/);
		expect(lines[1]).toMatch(/^(Additive|Replace) of nightly/);
		// What the chosen mode does, on one line cut to the width, then the table.
		expect(lines[2]).toMatch(/^Additive adds new entries, leaves identical ones, puts conflicting ones in quar…$/);
		expect(lines[3]).toMatch(/^\s+Category\s+New\s+Identical\s+Conflicts/);
		// The rows shown are whole rows, then the position, then the total: nothing drawn over them.
		const position = lines.findIndex(line => /^\s+1–\d+ of \d+\s*$/.test(line));
		expect(position, screen).toBeGreaterThan(4);
		for (const line of lines.slice(4, position)) expect(line).toMatch(/^[ ›] \S.*\s+[\d,]+\s+[\d,]+\s+[\d,]+\s+[\d,]+\s+\S+ \S*B\s*$/);
		expect(lines[position + 1]).toMatch(/^\s+Total\s+[\d,]+\s+[\d,]+/);
		expect(screen).toMatch(/^PgUp\/PgDn\s+move one page/m);
		expect(lines.filter(line => line.trim() !== '').at(-1)).toMatch(/help$/);
	}, 120_000);
});
