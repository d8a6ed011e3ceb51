import fs from 'node:fs';
import path from 'node:path';
import {afterEach, beforeAll, describe, expect, test} from 'vitest';
import {createBackup, type CreateBackupOptions} from '../../source/core/backup/create-backup.js';
import {listBackups} from '../../source/core/backup/list-backups.js';
import {openBackupSource} from '../../source/core/backup/backup-source.js';
import {verifyBackup} from '../../source/core/backup/verify-backup.js';
import type {GatewayChoice} from '../../source/ui/prepare-gateway.js';
import {generateDemo} from '../../source/core/demo/generate-demo.js';
import {demoGateway, KEY, renderApp, runsOnWhileTooSmall, tempDir, waitUntil, type Rendered} from './harness.js';

let gateway: GatewayChoice;
let app: Rendered | undefined;

beforeAll(async () => {
	gateway = await demoGateway(21);
});

afterEach(() => {
	app?.unmount();
	app = undefined;
});

/** Home → Create backup, on the first step. */
async function openWizard(target: GatewayChoice = gateway, props: Parameters<typeof renderApp>[1] = {}): Promise<Rendered> {
	const rendered = renderApp(target, {route: {name: 'create'}, ...props});
	await rendered.waitFor('What to back up');
	return rendered;
}

/** Everything → the tenants step, once the gateway's tenants are read (keys sent before are lost). */
async function everythingToTenants(rendered: Rendered) {
	await rendered.press(KEY.enter);
	await rendered.waitFor('› All tenants');
}

/** Replaces the text of the focused field. */
async function retype(rendered: Rendered, current: string, text: string) {
	await rendered.press(...Array.from({length: current.length}, () => KEY.backspace));
	await rendered.press(text);
	await rendered.waitFor(`› ${text}`);
}

/**
 * The real engine, held at a known point: the backup reports where its snapshot is, then waits
 * until the test opens the gate (or the console cancels it) before the real createBackup runs
 * with the console's own signal. So what the screen shows while asked is not a race.
 */
function heldEngine() {
	let open!: () => void;
	const gate = new Promise<void>(resolve => (open = resolve));
	const runs: CreateBackupOptions[] = [];
	const held = async (options: CreateBackupOptions) => {
		runs.push(options);
		options.onProgress?.({phase: 'snapshot', table: 'memory_entries', rows: 1200, rowsTotal: 5000, tableIndex: 3, tableCount: 9});
		await new Promise<void>(resolve => {
			void gate.then(resolve);
			options.signal?.addEventListener('abort', () => resolve(), {once: true});
		});
		return createBackup(options);
	};
	return {engine: {createBackup: held}, open, runs};
}

/** From the first step to Review with everything, all tenants, zip, no encryption, named `name`. */
async function walkToReview(rendered: Rendered, name: string) {
	await everythingToTenants(rendered);
	await rendered.press(KEY.enter, KEY.enter, KEY.enter);
	await rendered.waitFor('Folder to write the backup to');
	await rendered.press(KEY.enter);
	await rendered.waitFor('Backup name');
	await retype(rendered, rendered.frame().match(/› (lifeboat-backup-\S+)/)![1]!, name);
	await rendered.press(KEY.enter);
	await rendered.waitFor('Enter start backup');
}

describe('Create backup wizard: Esc while running asks first', () => {
	test('the snapshot shows the table, its rows of its total, table i of n, and "Esc cancels"', async () => {
		const held = heldEngine();
		app = await openWizard(gateway, {props: {engine: held.engine}});
		await walkToReview(app, 'ui-held-progress');
		await app.press(KEY.enter);
		const frame = await app.waitFor('Snapshot · memory_entries 1,200/5,000 rows (table 3 of 9)');
		expect(frame).toContain('Esc cancels (nothing partial is left behind)');
		expect(frame).toMatch(/Esc cancel\b/);
		held.open();
		await app.waitFor('✓ Backup written');
	});

	test('n (and Esc) on "Cancel the backup? y/n" resume: the backup was never cancelled and completes', async () => {
		const held = heldEngine();
		app = await openWizard(gateway, {props: {engine: held.engine}});
		await walkToReview(app, 'ui-not-cancelled');
		await app.press(KEY.enter);
		await app.waitFor('Esc cancels');
		for (const answer of ['n', KEY.escape]) {
			await app.press(KEY.escape);
			const asked = await app.waitFor('Cancel the backup? y/n');
			// Still running while asked: the progress stays on screen, the job is not aborted.
			expect(asked).toContain('Snapshot · memory_entries');
			expect(asked).toMatch(/y yes · n no/);
			expect(asked).not.toContain('Esc cancels');
			expect(held.runs[0]!.signal!.aborted).toBe(false);
			await app.press(answer);
			const resumed = await app.waitFor('Esc cancels (nothing partial is left behind)');
			expect(resumed).not.toContain('Cancel the backup?');
			expect(resumed).toContain('Backing up');
			expect(held.runs[0]!.signal!.aborted).toBe(false);
		}
		held.open();
		const result = await app.waitFor('✓ Backup written');
		expect(result).not.toContain('Backup cancelled');
		expect(held.runs).toHaveLength(1);
		expect(fs.existsSync(path.join(gateway.backupDir, 'ui-not-cancelled.zip'))).toBe(true);
	});

	test('y cancels: "Backup cancelled", nothing left in the folder, and Enter tries again', async () => {
		const dest = tempDir();
		const held = heldEngine();
		app = await openWizard({...gateway, backupDir: dest}, {props: {engine: held.engine}});
		await walkToReview(app, 'ui-cancelled');
		await app.press(KEY.enter);
		await app.waitFor('Esc cancels');
		await app.press(KEY.escape);
		await app.waitFor('Cancel the backup? y/n');
		await app.press('y');
		const cancelled = await app.waitFor('Backup cancelled; nothing partial was left behind');
		expect(cancelled).toContain('Review');
		expect(held.runs[0]!.signal!.aborted).toBe(true);
		await waitUntil(() => fs.readdirSync(dest).length === 0, 'the cancelled backup leaves nothing in the folder').catch((error: Error) => {
			throw new Error(`${error.message} (left: ${fs.readdirSync(dest).join(', ')})`);
		});
		expect(fs.readdirSync(dest)).toEqual([]);
		// Another go runs (held again until the gate opens) and writes the backup.
		await app.press(KEY.enter);
		await app.waitFor('Esc cancels');
		held.open();
		await app.waitFor('✓ Backup written');
		expect(fs.readdirSync(dest)).toEqual(['ui-cancelled.zip']);
	});

	test('a y typed before Esc does nothing: only the question makes y cancel', async () => {
		const held = heldEngine();
		app = await openWizard(gateway, {props: {engine: held.engine}});
		await walkToReview(app, 'ui-stray-y');
		await app.press(KEY.enter);
		await app.waitFor('Esc cancels');
		await app.press('y', 'n', 'y');
		expect(app.frame()).toContain('Esc cancels');
		expect(held.runs[0]!.signal!.aborted).toBe(false);
		held.open();
		await app.waitFor('✓ Backup written');
	});

	test('on a terminal too small for the console the backup runs on, Esc y and q do not cancel it, and growing shows its result', async () => {
		const dest = tempDir();
		const held = heldEngine();
		app = await openWizard({...gateway, backupDir: dest}, {props: {engine: held.engine}});
		await walkToReview(app, 'ui-while-small');
		await app.press(KEY.enter);
		await app.waitFor('Esc cancels');
		await runsOnWhileTooSmall(app, async () => {
			held.open();
			await waitUntil(() => fs.existsSync(path.join(dest, 'ui-while-small.zip')), 'the backup is written while the terminal is too small');
		});
		expect(held.runs).toHaveLength(1);
		expect(held.runs[0]!.signal!.aborted).toBe(false);
		app.resize(80, 24);
		await app.waitFor('✓ Backup written');
	});
});

describe('Create backup wizard', () => {
	test('everything, all tenants, zip, no encryption: progress to result, then Verify now', async () => {
		app = await openWizard();
		await app.press(KEY.enter); // Everything
		await app.waitFor('› All tenants');
		await app.press(KEY.enter); // All tenants
		await app.waitFor('Format');
		expect(app.frame()).toContain('› zip (default)');
		await app.press(KEY.enter);
		await app.waitFor('Encryption');
		await app.press(KEY.enter); // None
		await app.waitFor('Folder to write the backup to');
		expect(app.frame()).toContain(`› ${gateway.backupDir}`);
		await app.press(KEY.enter);
		await app.waitFor('Backup name');
		await retype(app, app.frame().match(/› (lifeboat-backup-\S+)/)![1]!, 'ui-plain');
		await app.press(KEY.enter);
		const review = await app.waitFor('Review');
		expect(review).toMatch(/Categories\s+everything \(18 categories\)/);
		expect(review).toMatch(/Tenants\s+all tenants/);
		expect(review).toMatch(/Encryption\s+none/);
		expect(review).toContain('ui-plain.zip');
		await app.press(KEY.enter);
		const result = await app.waitFor('✓ Backup written');
		const file = path.join(gateway.backupDir, 'ui-plain.zip');
		expect(fs.existsSync(file)).toBe(true);
		expect(result).toContain(file);
		const sha = result.match(/SHA-256\s+([0-9a-f]{64})/)![1];
		expect(sha).toHaveLength(64);
		expect(result).toMatch(/Duration\s+\d/);
		expect(result).toMatch(/Size\s+\d+(\.\d)? (KB|MB)/);
		await app.press(KEY.enter); // Verify now
		const verified = await app.waitFor(/✓ Verified: \d+ files/);
		// Size and Verified count the same files (issue 9 §2.7: not "2 files" beside "Verified: 4 files").
		const sizeFiles = result.match(/Size\s+.*\(([\d,]+) files, ([\d.]+ \w+) uncompressed\)/)!;
		const verifiedFiles = verified.match(/✓ Verified: ([\d,]+) files, ([\d.]+ \w+),/)!;
		expect([verifiedFiles[1], verifiedFiles[2]]).toEqual([sizeFiles[1], sizeFiles[2]]);
	});

	test('pick categories (Space) for one tenant, tar.gz: the backup holds exactly that', async () => {
		app = await openWizard();
		await app.press('j', KEY.enter);
		await app.waitFor('[ ] Users');
		await app.press(KEY.enter); // nothing ticked
		await app.waitFor('Tick at least one category');
		await app.press(KEY.space); // Users
		await app.waitFor('[x] Users');
		await app.press('j', 'j', KEY.space); // Chats
		await app.waitFor('[x] Chats');
		await app.press(KEY.enter);
		await app.waitFor('All tenants');
		await app.press('j', KEY.enter); // first tenant
		await app.waitFor('› zip');
		await app.press('j', KEY.enter); // tar.gz
		await app.waitFor('› None');
		await app.press(KEY.enter, KEY.enter);
		await app.waitFor('Backup name');
		await retype(app, app.frame().match(/› (lifeboat-backup-\S+)/)![1]!, 'ui-picked');
		await app.press(KEY.enter);
		const review = await app.waitFor('Review');
		expect(review).toMatch(/Categories\s+Users, Chats/);
		expect(review).toMatch(/Format\s+tar\.gz/);
		await app.press(KEY.enter);
		await app.waitFor('✓ Backup written');
		const [listing] = (await listBackups(gateway.backupDir)).filter(backup => backup.fileName === 'ui-picked.tar.gz');
		expect(listing?.metadata?.categories).toEqual(['users', 'chats']);
		expect(listing?.metadata?.tenant).not.toBeNull();
	});

	test('passphrase typed twice (masked); a mismatch is caught; the backup is encrypted', async () => {
		app = await openWizard();
		await everythingToTenants(app);
		await app.press(KEY.enter, KEY.enter);
		await app.waitFor('› None');
		await app.press('j', KEY.enter);
		await app.waitFor('Passphrase (needed to restore');
		await app.press('correct horse');
		const masked = await app.waitFor('› *************');
		expect(masked).not.toContain('correct horse');
		await app.press(KEY.enter);
		await app.waitFor('Type the passphrase again');
		await app.press('wrong horse', KEY.enter);
		await app.waitFor('The passphrases do not match');
		await app.press('correct horse', KEY.enter);
		await app.waitFor('Type the passphrase again');
		await app.press('correct horse', KEY.enter);
		await app.waitFor('Folder to write the backup to');
		await app.press(KEY.enter);
		await app.waitFor('Backup name');
		await retype(app, app.frame().match(/› (lifeboat-backup-\S+)/)![1]!, 'ui-secret');
		await app.press(KEY.enter);
		const review = await app.waitFor('Review');
		expect(review).toMatch(/Encryption\s+passphrase/);
		expect(review).toContain('ui-secret.zip.enc');
		expect(review).not.toContain('correct horse');
		await app.press(KEY.enter);
		const result = await app.waitFor('✓ Backup written', 30_000);
		expect(result).toMatch(/Encrypted\s+yes/);
		const file = path.join(gateway.backupDir, 'ui-secret.zip.enc');
		const listing = (await listBackups(gateway.backupDir)).find(backup => backup.path === file);
		expect(listing?.encrypted).toBe(true);
		const verified = await verifyBackup(await openBackupSource(file, {passphrase: 'correct horse'}));
		expect(verified.ok).toBe(true);
		await app.press(KEY.enter); // Verify now uses the same passphrase
		await app.waitFor(/✓ Verified: \d+ files/, 30_000);
	});

	test('passphrase from a file: unreadable path refused, then the file is used', async () => {
		const dir = tempDir();
		const passFile = path.join(dir, 'pass.txt');
		fs.writeFileSync(passFile, 'from a file\n');
		app = await openWizard();
		await everythingToTenants(app);
		await app.press(KEY.enter, KEY.enter);
		await app.waitFor('› None');
		await app.press('j', 'j', KEY.enter);
		await app.waitFor('File holding the passphrase');
		await app.press(path.join(dir, 'nope.txt'), KEY.enter);
		await app.waitFor('Cannot read');
		await retype(app, path.join(dir, 'nope.txt'), passFile);
		await app.press(KEY.enter);
		await app.waitFor('Folder to write the backup to');
		await app.press(KEY.enter);
		await app.waitFor('Backup name');
		await retype(app, app.frame().match(/› (lifeboat-backup-\S+)/)![1]!, 'ui-passfile');
		await app.press(KEY.enter);
		await app.waitFor(`Encryption    passphrase from ${passFile}`);
		await app.press(KEY.enter);
		await app.waitFor('✓ Backup written', 30_000);
		const file = path.join(gateway.backupDir, 'ui-passfile.zip.enc');
		expect((await verifyBackup(await openBackupSource(file, {passphrase: 'from a file'}))).ok).toBe(true);
	});

	test('an unreachable destination shows a red line with the next step, and Esc goes back to fix it', async () => {
		const dir = tempDir();
		const blocker = path.join(dir, 'a-file');
		fs.writeFileSync(blocker, 'not a folder');
		app = await openWizard();
		await everythingToTenants(app);
		await app.press(KEY.enter, KEY.enter, KEY.enter);
		await app.waitFor('Folder to write the backup to');
		// The destination step is a list now: its last row, "Another path or URL…", is the text field.
		await app.press('G', KEY.enter);
		await app.waitFor('Folder to write the backup to, or a URL');
		await retype(app, gateway.backupDir, path.join(blocker, 'sub'));
		await app.press(KEY.enter);
		await app.waitFor('Backup name');
		await app.press(KEY.enter);
		await app.waitFor('Review');
		await app.press(KEY.enter);
		const frame = await app.waitFor('✗');
		expect(frame.replace(/\n/g, ' ')).toMatch(/✗ .*not a directory.* — Esc to change the settings/);
		expect(frame).not.toMatch(/\n\s+at /);
		await app.press(KEY.escape);
		await app.waitFor('Backup name');
		await app.press(KEY.escape);
		await app.waitFor('Folder to write the backup to');
	});

	test('names with a slash are refused; Esc walks back step by step and leaves from the first', async () => {
		app = await openWizard();
		await everythingToTenants(app);
		await app.press(KEY.enter, 'G', KEY.enter);
		await app.waitFor('Folder to write the backup to'); // directory format (the last row) skips encryption
		await app.press(KEY.enter);
		await app.waitFor('Backup name');
		await app.press('/x', KEY.enter);
		await app.waitFor('must not contain /');
		await app.press(KEY.escape);
		await app.waitFor('Folder to write');
		await app.press(KEY.escape);
		await app.waitFor('directory (plain folder');
		await app.press(KEY.escape);
		await app.waitFor('All tenants');
		await app.press(KEY.escape);
		await app.waitFor('What to back up');
		await app.press(KEY.escape);
		await app.waitFor('› Create backup');
	});

	test('Esc then y while the archive is written cancels it: nothing partial is left, and Enter tries again', async () => {
		const root = tempDir();
		const big: typeof gateway = {dataDir: path.join(root, 'gateway'), backupDir: path.join(root, 'backups'), isDemo: false};
		// Enough incompressible document bytes that writing the archive takes a few seconds.
		await generateDemo({dir: big.dataDir, tenants: 1, scale: 'small', seed: 3, extraDocumentBytes: 160 * 1024 * 1024});
		app = await openWizard(big);
		await app.press(KEY.enter);
		await app.waitFor('› All tenants');
		await app.press(KEY.enter, KEY.enter, KEY.enter, KEY.enter);
		await app.waitFor('Backup name');
		await app.press(KEY.enter);
		await app.waitFor('Enter start backup');
		await app.press(KEY.enter);
		const running = await app.waitFor(/\d+%/, 60_000);
		expect(running).toMatch(/(B|KB|MB) \/ \d+ MB · \d+ \/ \d+ files/);
		await app.press(KEY.escape);
		await app.waitFor('Cancel the backup? y/n');
		await app.press('y');
		const cancelled = await app.waitFor('Backup cancelled', 60_000);
		expect(cancelled).toContain('Review');
		// The engine removes its temporary output as it unwinds, possibly just after the frame.
		await waitUntil(() => fs.readdirSync(big.backupDir).length === 0, 'the cancelled backup leaves nothing in the folder');
		expect(fs.readdirSync(big.backupDir).filter(name => !name.startsWith('.'))).toEqual([]);
		expect(fs.readdirSync(big.backupDir).filter(name => name.startsWith('.'))).toEqual([]);
		await app.press(KEY.enter);
		await app.waitFor('✓ Backup written', 120_000);
		expect(fs.readdirSync(big.backupDir)).toHaveLength(1);
	}, 180_000);
});

describe('Create backup wizard: tar.zst without the zstd program', () => {
	let savedPath: string | undefined;
	afterEach(() => {
		if (savedPath !== undefined) process.env['PATH'] = savedPath;
		savedPath = undefined;
	});

	test('tar.zst stays listed, dimmed "(needs zstd)", and Enter on it does not pick it', async () => {
		savedPath = process.env['PATH'];
		process.env['PATH'] = path.join(tempDir(), 'empty-bin');
		app = await openWizard();
		await everythingToTenants(app);
		await app.press(KEY.enter);
		const frame = await app.waitFor('tar.zst (needs zstd)');
		expect(frame).toContain('zip (default)');
		await app.press('j', 'j');
		await app.waitFor('› tar.zst (needs zstd)');
		await app.press(KEY.enter);
		// Still on the format step: the row cannot be chosen; the next rows (json, directory) can.
		await app.press('j');
		await app.waitFor('› json (one JSON file');
		await app.press('j');
		await app.waitFor('› directory (plain folder');
		expect(app.frame()).toContain('tar.zst (needs zstd)');
		await app.press(KEY.enter);
		await app.waitFor('Folder to write the backup to');
	});
});
