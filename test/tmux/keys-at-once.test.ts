import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterAll, afterEach, beforeAll, describe, expect, test} from 'vitest';
import {openBackupSource} from '../../source/core/backup/backup-source.js';
import {verifyBackup} from '../../source/core/backup/verify-backup.js';
import {generateDemo} from '../../source/core/demo/generate-demo.js';
import {consoleCommand, ensureBuilt, tmuxAvailable, TmuxSession} from './tmux-driver.js';

/**
 * Keys that reach the console in one write, on a real terminal: `send-keys j j`, `? Enter`, a
 * 64-character passphrase pasted in one go (the text field is ink-text-input, which on its own
 * applies each read to stale props) and the passphrase with its Enter in one write.
 */
const HAVE_TMUX = tmuxAvailable();
const PASS64 = 'Lifeboat-64-chars.passphrase_typed AT once 0123456789 abcdefghij';

let root: string;
let session: TmuxSession | undefined;

beforeAll(async () => {
	if (!HAVE_TMUX) return;
	ensureBuilt();
	root = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-keys-'));
	await generateDemo({dir: path.join(root, 'gateway'), tenants: 2, scale: 'small', seed: 9});
}, 120_000);

afterEach(() => {
	session?.kill();
	session = undefined;
});

afterAll(() => {
	if (root) fs.rmSync(root, {recursive: true, force: true});
});

describe.skipIf(!HAVE_TMUX)('keys in one write, in tmux', () => {
	test('j j and ? Enter each count; a 64-character passphrase in one write arrives whole', async () => {
		expect([...PASS64]).toHaveLength(64);
		const backups = path.join(root, 'backups');
		session = new TmuxSession();
		session.start(consoleCommand(['--data-dir', path.join(root, 'gateway'), '--dest', backups]));
		await session.waitFor('Audit log');
		await session.key('Enter');
		await session.waitFor('› Everything');
		// j then ? in one write: the cursor moves and the help opens.
		await session.keysAtOnce(['j', '?']);
		const help = await session.waitFor('Keys of this screen');
		expect(help).toContain('› Pick categories');
		await session.keysAtOnce(['?', 'k']);
		await session.waitFor(screen => screen.includes('› Everything') && !screen.includes('Keys of this screen'));
		await session.key('Enter');
		await session.waitFor('› All tenants');
		await session.keysAtOnce(['j', 'j']);
		await session.waitFor('› Globex');
		await session.keysAtOnce(['k', 'Enter']);
		await session.waitFor('› zip (default)');
		await session.key('Enter');
		await session.waitFor('› None');
		await session.keysAtOnce(['j', 'Enter']);
		await session.waitFor('Passphrase (needed to restore');
		await session.keysAtOnce([PASS64], {literal: true});
		const masked = await session.waitFor('*'.repeat(64));
		expect(masked).not.toContain('*'.repeat(65));
		expect(masked).toContain('Strength: strong');
		await session.key('Enter');
		await session.waitFor('Type the passphrase again');
		// The text and its Enter in one write: typed first, then submitted.
		await session.keysAtOnce([PASS64, 'Enter']);
		await session.waitFor('Folder to write the backup to');
		await session.key('Enter');
		await session.waitFor('Backup name');
		await session.keysAtOnce(['C-u', 'at-once', 'Enter']);
		const review = await session.waitFor('Enter start backup');
		expect(review).toMatch(/Tenants\s+acme-corp/);
		await session.key('Enter');
		await session.waitFor('✓ Backup written', 60_000);
		const file = path.join(backups, 'at-once.zip.enc');
		expect((await verifyBackup(await openBackupSource(file, {passphrase: PASS64}))).ok).toBe(true);
	}, 180_000);
});
