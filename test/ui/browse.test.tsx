import fs from 'node:fs';
import path from 'node:path';
import {afterEach, beforeAll, describe, expect, test} from 'vitest';
import type {GatewayChoice} from '../../source/ui/prepare-gateway.js';
import {demoGateway, KEY, makeBackup, renderApp, tempDir, type Rendered} from './harness.js';

let gateway: GatewayChoice;
let app: Rendered | undefined;

beforeAll(async () => {
	gateway = await demoGateway(31);
	// Oldest first, so the list (newest first) reads: encrypted, tar.gz, zip.
	await makeBackup(gateway, {name: 'b-zip', format: 'zip', now: new Date('2026-01-01T10:00:00Z')});
	await makeBackup(gateway, {name: 'b-targz', format: 'tar.gz', tenant: 'globex', categories: ['users', 'memory'], now: new Date('2026-01-02T10:00:00Z')});
	await makeBackup(gateway, {name: 'b-enc', format: 'zip', passphrase: 'pass phrase', now: new Date('2026-01-03T10:00:00Z')});
});

afterEach(() => {
	app?.unmount();
	app = undefined;
});

function openBrowse(destDir?: string): Rendered {
	return renderApp(gateway, {route: {name: 'browse', destDir}});
}

describe('Browse backups', () => {
	test('lists every backup newest first with created, age, kind, size, encrypted, categories', async () => {
		app = openBrowse();
		const frame = await app.waitFor('b-zip');
		expect(frame).toContain('3 backups');
		expect(frame).toMatch(/Name\s+Created\s+Age\s+Kind\s+Size\s+Enc\s+Cat/);
		const lines = frame.split('\n');
		const index = (name: string) => lines.findIndex(line => line.includes(name));
		expect(index('b-enc')).toBeLessThan(index('b-targz'));
		expect(index('b-targz')).toBeLessThan(index('b-zip'));
		expect(lines[index('b-enc')]).toMatch(/› b-enc\s+2026-01-03 \d\d:\d\d\s+\S+\s+full\s+\d+(\.\d)? (KB|MB)\s+yes\s+18/);
		expect(lines[index('b-targz')]).toMatch(/\s+no\s+2$/);
	});

	test('Enter shows details with counts per category; Esc returns to the list', async () => {
		app = openBrowse();
		await app.waitFor('› b-enc');
		await app.press('j', KEY.enter);
		const details = await app.waitFor('Scope');
		expect(details).toMatch(/Scope\s+tenant globex · 2 categories/);
		expect(details).toMatch(/Kind\s+full · tar\.gz/);
		expect(details).toMatch(/Users\s+\d+/);
		expect(details).toMatch(/Memory\s+[\d,]+/);
		expect(details).not.toMatch(/Agents\s+\d/);
		expect(details).toMatch(/Made by\s+lifeboat /);
		await app.press(KEY.escape);
		await app.waitFor('› b-targz');
	});

	test('v verifies a plain backup; an encrypted one asks for the passphrase; a wrong one is a red line', async () => {
		app = openBrowse();
		await app.waitFor('› b-enc');
		await app.press('j', 'j');
		await app.waitFor('› b-zip');
		await app.press('v');
		await app.waitFor(/✓ Verified: \d+ files/);
		await app.press('g');
		await app.waitFor('› b-enc');
		await app.press('v');
		await app.waitFor('Passphrase for b-enc');
		await app.press('nope', KEY.enter);
		const wrong = await app.waitFor('✗ Verify failed');
		expect(wrong).toMatch(/wrong passphrase or corrupted backup.* — v to try again/);
		await app.press('v');
		await app.waitFor('Passphrase for b-enc');
		await app.press('pass phrase', KEY.enter);
		await app.waitFor(/✓ Verified: \d+ files/);
	});

	test('a corrupted backup fails verify with the problem named', async () => {
		const dir = tempDir();
		const bad = path.join(dir, 'damaged.zip');
		fs.copyFileSync(path.join(gateway.backupDir, 'b-zip.zip'), bad);
		const bytes = fs.readFileSync(bad);
		// Flip bytes in the middle of the archive (file data, not the central directory).
		for (let offset = Math.floor(bytes.length / 3); offset < Math.floor(bytes.length / 3) + 64; offset++) bytes[offset] = bytes[offset]! ^ 0xff;
		fs.writeFileSync(bad, bytes);
		app = openBrowse(dir);
		await app.waitFor('› damaged');
		await app.press('v');
		const frame = await app.waitFor('✗');
		expect(frame).toMatch(/✗ Verify (found \d+ problem|failed)/);
	});

	test('d asks first: n keeps the backup, y deletes it', async () => {
		const dir = tempDir();
		fs.copyFileSync(path.join(gateway.backupDir, 'b-zip.zip'), path.join(dir, 'doomed.zip'));
		app = openBrowse(dir);
		await app.waitFor('› doomed');
		await app.press('d');
		await app.waitFor('Delete doomed.zip');
		await app.press('n');
		await app.waitFor(frame => !frame.includes('Delete doomed.zip'));
		expect(fs.existsSync(path.join(dir, 'doomed.zip'))).toBe(true);
		await app.press('d');
		await app.waitFor('This cannot be undone');
		await app.press('y');
		await app.waitFor('✓ Deleted doomed.zip');
		await app.waitFor('No backups in');
		expect(fs.existsSync(path.join(dir, 'doomed.zip'))).toBe(false);
	});

	test('c copies to a local folder and refuses to overwrite', async () => {
		const target = tempDir();
		app = openBrowse();
		await app.waitFor('› b-enc');
		await app.press('c');
		await app.waitFor('Copy b-enc.zip.enc to');
		await app.press(KEY.ctrlU, target, KEY.enter);
		// The list is read again after a copy: c acts on its selected row once it is back.
		await app.waitFor(frame => frame.includes(`✓ Copied to ${path.join(target, 'b-enc.zip.enc')}`) && frame.includes('› b-enc'));
		expect(fs.readFileSync(path.join(target, 'b-enc.zip.enc')).equals(fs.readFileSync(path.join(gateway.backupDir, 'b-enc.zip.enc')))).toBe(true);
		await app.press('c');
		await app.waitFor('Copy b-enc.zip.enc to');
		await app.press(KEY.ctrlU, target, KEY.enter);
		const frame = await app.waitFor('✗');
		expect(frame.replace(/\n/g, ' ')).toMatch(/already exists; choose another path — try another path/);
	});

	test('f opens another folder; an unreadable one is a red line with the way out', async () => {
		app = openBrowse();
		await app.waitFor('› b-enc');
		await app.press('f');
		await app.waitFor('Backups folder');
		await app.press(KEY.ctrlU, '/nonexistent/lifeboat', KEY.enter);
		const frame = await app.waitFor('✗');
		expect(frame.replace(/\n/g, ' ')).toMatch(/Cannot read backup folder \/nonexistent\/lifeboat .* — f to pick another folder, Esc to go back/);
		await app.press('f');
		await app.press(KEY.ctrlU, gateway.backupDir, KEY.enter);
		await app.waitFor('› b-enc');
		await app.press(KEY.escape);
		await app.waitFor('› Create backup');
	});
});
