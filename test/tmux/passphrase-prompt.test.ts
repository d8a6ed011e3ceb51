import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterAll, afterEach, beforeAll, describe, expect, test} from 'vitest';
import {openBackupSource} from '../../source/core/backup/backup-source.js';
import {verifyBackup} from '../../source/core/backup/verify-backup.js';
import {generateDemo} from '../../source/core/demo/generate-demo.js';
import {consoleCommand, ensureBuilt, tmuxAvailable, TmuxSession} from './tmux-driver.js';

/** The CLI's passphrase prompt on a real terminal: asked twice, never echoed, never stored. */
const HAVE_TMUX = tmuxAvailable();
const PASS = 'tmux prompt passphrase';

let root: string;
let session: TmuxSession | undefined;

beforeAll(async () => {
	if (!HAVE_TMUX) return;
	ensureBuilt();
	root = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-prompt-'));
	await generateDemo({dir: path.join(root, 'gateway'), tenants: 1, scale: 'small', seed: 3});
}, 120_000);

afterEach(() => {
	session?.kill();
	session = undefined;
});

afterAll(() => {
	if (root) fs.rmSync(root, {recursive: true, force: true});
});

describe.skipIf(!HAVE_TMUX)('backup create --encrypt on a terminal', () => {
	test('prompts twice without echo, refuses a mismatch, and the backup opens with the passphrase', async () => {
		const dest = path.join(root, 'out');
		const args = ['backup', 'create', '--data-dir', path.join(root, 'gateway'), '--dest', dest, '--encrypt', '--name', 'prompted'];
		session = new TmuxSession();
		session.start(consoleCommand(args).replace(/^env /, 'env -u LIFEBOAT_BACKUP_PASSPHRASE '));
		await session.waitFor('Passphrase (to encrypt the backup):');
		// A weak one needs y; n asks for another.
		await session.type('abc', {echo: false});
		await session.key('Enter');
		await session.waitFor('Strength: weak (only 3 characters; use 12 or more)');
		await session.waitFor('Weak passphrase — press y to use it anyway, n to change it:');
		await session.key('n');
		await session.waitFor(screen => screen.split('Passphrase (to encrypt the backup):').length === 3);
		await session.type('first try', {echo: false});
		await session.key('Enter');
		await session.waitFor('Strength: weak (only 9 characters; use 12 or more)');
		await session.key('y');
		await session.waitFor('Repeat passphrase:');
		await session.type('second try', {echo: false});
		await session.key('Enter');
		const mismatch = await session.waitForExit();
		expect(mismatch).toContain('lifeboat: The passphrases do not match');
		expect(mismatch).toContain('EXIT=2');
		expect(mismatch).not.toContain('first try');
		expect(mismatch).not.toContain('abc');
		expect(fs.existsSync(dest) ? fs.readdirSync(dest) : []).toEqual([]);
		session.kill();

		session = new TmuxSession();
		session.start(consoleCommand(args).replace(/^env /, 'env -u LIFEBOAT_BACKUP_PASSPHRASE '));
		await session.waitFor('Passphrase (to encrypt the backup):');
		await session.type(PASS, {echo: false});
		await session.key('Enter');
		await session.waitFor('Strength: strong');
		await session.waitFor('Repeat passphrase:');
		await session.type(PASS, {echo: false});
		await session.key('Enter');
		const done = await session.waitForExit(60_000);
		expect(done).toContain('EXIT=0');
		expect(done).toContain('prompted.zip.enc');
		expect(done).not.toContain(PASS);
		const file = path.join(dest, 'prompted.zip.enc');
		expect(fs.readFileSync(file).includes(Buffer.from(PASS))).toBe(false);
		expect((await verifyBackup(await openBackupSource(file, {passphrase: PASS}))).ok).toBe(true);
	}, 120_000);
});
