import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {afterAll, afterEach, beforeAll, describe, expect, test} from 'vitest';
import {createBackup, type BackupResult} from '../../source/core/backup/create-backup.js';
import {addNamedDestination} from '../../source/core/destinations/named-destinations.js';
import {resolveTarget} from '../../source/core/destinations/open-destination.js';
import type {GatewayChoice} from '../../source/ui/prepare-gateway.js';
import {startS3Server, type S3Server} from '../servers/s3-server.js';
import {demoGateway, KEY, makeBackup, renderApp, tempDir, type Rendered} from './harness.js';

/**
 * The console against real destinations: named ones in a temporary config folder (one a local
 * folder, one a prefix on a real S3-compatible server, s3rver), the backup folder, and URLs
 * typed in. Nothing is mocked: backups are written to and read from the server.
 */
let gateway: GatewayChoice;
let server: S3Server;
let env: NodeJS.ProcessEnv;
let nasDir: string;
let remotePlain: BackupResult;
let app: Rendered | undefined;
const sha256File = (file: string) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
/** Reading remote backups (summaries, verify, restore) is another engineer's part, merged soon. */

async function remoteBackup(name: string, passphrase?: string): Promise<BackupResult> {
	const target = await resolveTarget('offsite', {env});
	try {
		return await createBackup({dataDir: gateway.dataDir, remote: {destination: target.destination}, name, kdfIterations: 1000, ...(passphrase ? {passphrase} : {})});
	} finally {
		await target.destination.close();
	}
}

async function remoteNames(): Promise<string[]> {
	const target = await resolveTarget('offsite', {env});
	try {
		return (await target.destination.list()).map(object => object.name).sort();
	} finally {
		await target.destination.close();
	}
}

beforeAll(async () => {
	server = await startS3Server({buckets: ['ui-test']});
	gateway = await demoGateway(41);
	nasDir = tempDir('lifeboat-ui-nas-');
	env = {...process.env, ...server.env, LIFEBOAT_CONFIG_DIR: tempDir('lifeboat-ui-config-')};
	addNamedDestination({name: 'nas', url: nasDir}, {env});
	addNamedDestination({name: 'offsite', url: 's3://ui-test/x/', s3Endpoint: server.endpoint}, {env});
	await makeBackup(gateway, {name: 'here-zip'});
	await makeBackup(gateway, {destDir: nasDir, name: 'on-nas'});
	remotePlain = await remoteBackup('remote-plain');
	await remoteBackup('remote-enc', 'pass phrase');
	await remoteBackup('remote-keep');
}, 120_000);

afterAll(async () => {
	await server?.stop();
});

afterEach(() => {
	app?.unmount();
	app = undefined;
});

/** The create wizard, walked to its destination step (everything, all tenants, `formatKeys` on Format, no encryption). */
async function wizardAtDestination(formatKeys: string[] = []): Promise<Rendered> {
	const rendered = renderApp(gateway, {route: {name: 'create'}, props: {env}});
	await rendered.waitFor('What to back up');
	await rendered.press(KEY.enter);
	await rendered.waitFor('› All tenants');
	await rendered.press(KEY.enter);
	await rendered.waitFor('› zip (default)');
	await rendered.press(...formatKeys, KEY.enter);
	if (formatKeys.length === 0) {
		await rendered.waitFor('› None');
		await rendered.press(KEY.enter);
	}
	await rendered.waitFor('Folder to write the backup to, or a destination');
	return rendered;
}

/** Moves Browse's cursor from the top down to the row of `name` (the list's order depends on the tests run before). */
async function cursorTo(rendered: Rendered, name: string): Promise<void> {
	await rendered.press('g');
	for (let row = 0; row < 10 && !rendered.frame().includes(`› ${name} `); row++) await rendered.press('j');
	await rendered.waitFor(`› ${name} `);
}

/** Switches Browse with `s` to the switcher row `down` rows below the backup folder. */
async function switchTo(rendered: Rendered, down: number, expected: string): Promise<string> {
	await rendered.press('s');
	await rendered.waitFor('Switch to');
	// The switcher opens on the destination shown; g goes to its first row, the backup folder.
	await rendered.press('g', ...Array.from({length: down}, () => 'j'), KEY.enter);
	return rendered.waitFor(expected);
}

describe('create wizard: destinations', () => {
	test('lists the backup folder with its free space, each named destination, another path or URL; t tests one; the backup streams to S3', async () => {
		app = await wizardAtDestination();
		const frame = app.frame();
		expect(frame).toMatch(new RegExp(`› ${gateway.backupDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s+local · [\\d.]+ [KMGT]?B free`));
		expect(frame).toMatch(/ nas\s+\S+lifeboat-ui-nas-\S+ · local · [\d.]+ [KMGT]?B free/);
		expect(frame).toMatch(/ offsite\s+s3:\/\/ui-test\/x\//);
		expect(frame).toContain('Another path or URL…');
		await app.press('j', 'j');
		await app.waitFor('› offsite');
		await app.press('t');
		const tested = await app.waitFor('✓ The destination works');
		for (const step of ['write', 'list', 'read', 'delete']) expect(tested).toMatch(new RegExp(`✓ ${step} · \\d+ ms · `));
		await app.press(KEY.enter);
		await app.waitFor('Backup name');
		await app.press(KEY.ctrlU, 'to-s3', KEY.enter);
		const review = await app.waitFor('Enter start backup');
		expect(review).toMatch(/Output\s+s3:\/\/ui-test\/x\/to-s3\.zip/);
		await app.press(KEY.enter);
		const result = await app.waitFor('✓ Backup written', 60_000);
		expect(result).toMatch(/Path\s+s3:\/\/ui-test\/x\/to-s3\.zip/);
		expect(await remoteNames()).toContain('to-s3.zip');
		// Browse backups: the destination it was written to.
		await app.press('j', KEY.enter);
		const browse = await app.waitFor('to-s3');
		expect(browse).toContain('Browse · offsite · s3://ui-test/x/');
	}, 120_000);

	test('another path or URL: a bad one is one red line, a good one goes on', async () => {
		app = await wizardAtDestination();
		await app.press('G', KEY.enter);
		await app.waitFor('Folder to write the backup to, or a URL');
		await app.press(KEY.ctrlU, 'ftp://nope/', KEY.enter);
		const bad = await app.waitFor('✗');
		expect(bad.replace(/\s+/g, ' ')).toMatch(/✗ Invalid destination "ftp:\/\/nope\/": unknown scheme ftp:\/\//);
		expect(app.fatals).toEqual([]);
		await app.press(KEY.ctrlU, 's3://ui-test/typed/', KEY.enter);
		await app.waitFor('Backup name');
		await app.press(KEY.ctrlU, 'typed', KEY.enter);
		const review = await app.waitFor('Enter start backup');
		expect(review).toMatch(/Output\s+s3:\/\/ui-test\/typed\/typed\.zip/);
	}, 60_000);

	test('a folder (dir) backup cannot go to a remote destination: the row says why and Enter does nothing', async () => {
		app = await wizardAtDestination(['G']); // the folder format, last in the list
		await app.press('j', 'j');
		const frame = await app.waitFor('› offsite');
		expect(frame.replace(/\s+/g, ' ')).toContain('folder (dir) backups can only go to a local folder');
		// The row is disabled: Enter leaves the wizard on this step.
		await app.press(KEY.enter);
		expect(app.frame()).toContain('› offsite');
		expect(app.frame()).not.toContain('Backup name');
		// The named local folder takes it.
		await app.press('k', KEY.enter);
		await app.waitFor('Backup name');
	}, 60_000);
});

describe('Browse: destinations', () => {
	test('s switches to a named local folder and to S3; remote backups are listed (encrypted too) without downloading them', async () => {
		app = renderApp(gateway, {route: {name: 'browse'}, props: {env}});
		await app.waitFor('here-zip');
		const nas = await switchTo(app, 1, 'on-nas');
		expect(nas).not.toContain('here-zip');
		await app.press('v');
		await app.waitFor('✓ Verified', 30_000);
		const s3 = await switchTo(app, 2, 'remote-plain');
		expect(s3).toContain('Browse · offsite · s3://ui-test/x/');
		const row = s3.split('\n').find(line => line.includes('remote-enc'));
		expect(row).toMatch(/\syes(\s|$)/);
		expect(s3).toContain('remote-keep');
		// Back to the backup folder.
		await switchTo(app, 0, 'here-zip');
	}, 60_000);

	test('c downloads a remote backup (same prompt as a copy); d deletes one after the same y/n question', async () => {
		app = renderApp(gateway, {route: {name: 'browse', destDir: 'offsite'}, props: {env}});
		await app.waitFor('remote-plain');
		// Newest first: remote-keep, remote-enc, remote-plain (and to-s3 from the wizard test when it ran first).
		await cursorTo(app, 'remote-plain');
		const target = tempDir('lifeboat-ui-download-');
		await app.press('c');
		await app.waitFor('Copy remote-plain.zip to (folder or new file path)');
		await app.press(KEY.ctrlU, target, KEY.enter);
		// The list is read again after a download (as after a copy): the cursor stays on the backup.
		const done = await app.waitFor(frame => frame.includes('✓ Downloaded to') && / · \d+ backups/.test(frame) && frame.includes('› remote-plain'));
		expect(done.replace(/\s+/g, '')).toContain(`Downloadedto${path.join(target, 'remote-plain.zip')}`);
		expect(sha256File(path.join(target, 'remote-plain.zip'))).toBe(remotePlain.sha256);
		await app.press('d');
		const asked = await app.waitFor('This cannot be undone');
		expect(asked).toMatch(/Delete remote-plain\.zip \([\d.]+ [KM]B\)\? This cannot be undone\. y delete · n keep/);
		await app.press('n');
		expect(await remoteNames()).toContain('remote-plain.zip');
		await app.press('d');
		await app.waitFor('This cannot be undone');
		await app.press('y');
		await app.waitFor(frame => frame.includes('✓ Deleted remote-plain.zip') && !frame.includes('remote-plain '));
		expect(await remoteNames()).not.toContain('remote-plain.zip');
		expect(await remoteNames()).toContain('remote-keep.zip');
		expect(fs.existsSync(path.join(target, 'remote-plain.zip'))).toBe(true);
	}, 60_000);

	test('at a destination opened by URL (file://): verify and restore open the backup through the destination; Esc comes back there', async () => {
		const where = `file://${nasDir}/`;
		app = renderApp(gateway, {route: {name: 'browse', destDir: where}, props: {env}});
		await app.waitFor('› on-nas');
		await app.press('v');
		await app.waitFor('✓ Verified', 30_000);
		await app.press('r');
		const categories = await app.waitFor('Restore · Categories · on-nas.zip', 30_000);
		expect(categories).toContain('[x]');
		await app.press(KEY.escape);
		const back = await app.waitFor(frame => frame.includes('Browse') && frame.includes('› on-nas'));
		expect(back).toContain(where);
	}, 60_000);

	test('verify and restore a remote backup from Browse (read by ranges through the destination)', async () => {
		app = renderApp(gateway, {route: {name: 'browse', destDir: 'offsite'}, props: {env}});
		await app.waitFor('remote-keep');
		await cursorTo(app, 'remote-keep');
		await app.press('v');
		await app.waitFor('✓ Verified', 30_000);
		await cursorTo(app, 'remote-enc');
		await app.press('v');
		await app.waitFor('Passphrase for remote-enc.zip.enc');
		await app.press('pass phrase', KEY.enter);
		await app.waitFor('✓ Verified', 30_000);
		await cursorTo(app, 'remote-keep');
		await app.press('r');
		await app.waitFor('Restore · Categories · remote-keep.zip', 30_000);
	}, 90_000);
});
