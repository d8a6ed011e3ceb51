import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import {afterEach, beforeAll, describe, expect, test} from 'vitest';
import type {GatewayChoice} from '../../source/ui/prepare-gateway.js';
import {keepSelection} from '../../source/ui/state/browse.js';
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

	test('f opens another folder; one not made yet holds no backups; a file is not a folder (red line with the way out)', async () => {
		const file = path.join(tempDir(), 'notes.txt');
		fs.writeFileSync(file, 'x');
		app = openBrowse();
		await app.waitFor('› b-enc');
		await app.press('f');
		await app.waitFor('Backups folder');
		await app.press(KEY.ctrlU, '/nonexistent/lifeboat', KEY.enter);
		const missing = await app.waitFor('No backups in');
		expect(missing.replace(/\n/g, ' ')).toMatch(/No backups in \/nonexistent\/lifeboat yet/);
		expect(missing).not.toContain('✗');
		await app.press('f');
		await app.press(KEY.ctrlU, file, KEY.enter);
		const frame = await app.waitFor('✗');
		expect(frame).not.toContain('Name ');
		expect(frame.replace(/\s+/g, ' ')).toMatch(/Cannot read backup folder .*notes\.txt: it is a file, not a folder — f to pick another folder, Esc to go back/);
		await app.press('f');
		await app.press(KEY.ctrlU, path.join(file, 'sub'), KEY.enter);
		const inTheWay = await app.waitFor(frame => frame.replace(/\s+/g, ' ').includes('a file is in the way'));
		expect(inTheWay.replace(/\s+/g, ' ')).toMatch(/Cannot read backup folder .*notes\.txt\/sub: a file is in the way, not a folder — f to pick/);
		expect(inTheWay).not.toContain('internal error');
		await app.press('f');
		await app.press(KEY.ctrlU, gateway.backupDir, KEY.enter);
		await app.waitFor('› b-enc');
		await app.press(KEY.escape);
		await app.waitFor('› Create backup');
	});

	test('the selection stays on the same backup after a copy, a verify and reading the folder again; the next d names it', async () => {
		const dir = freshFolder();
		const target = tempDir();
		app = openBrowse(dir);
		await app.waitFor('› b-enc');
		await app.press('j');
		await app.waitFor('› b-targz');
		await app.press('c');
		await app.waitFor('Copy b-targz.tar.gz to');
		// A copy into the browsed folder itself adds a row: the cursor still stays on b-targz.
		await app.press(KEY.ctrlU, path.join(dir, 'another-copy.tar.gz'), KEY.enter);
		await app.waitFor(frame => frame.includes('✓ Copied to') && frame.includes('4 backups') && frame.includes('› b-targz'));
		await app.press('c');
		await app.waitFor('Copy b-targz.tar.gz to');
		await app.press(KEY.ctrlU, `${target}/`, KEY.enter);
		await app.waitFor(frame => frame.includes('✓ Copied to') && frame.includes('› b-targz'));
		await app.press('v');
		await app.waitFor(/✓ Verified: \d+ files/);
		expect(app.frame()).toContain('› b-targz');
		await app.press('f');
		await app.press(KEY.ctrlU, dir, KEY.enter);
		await app.waitFor(frame => frame.includes('4 backups') && frame.includes('› b-targz'));
		await app.press('d');
		const prompt = await app.waitFor('This cannot be undone');
		expect(prompt).toContain('Delete b-targz.tar.gz');
		await app.press('n');
		expect(fs.readdirSync(dir)).toContain('b-targz.tar.gz');
	});

	test('deleting the selected backup puts the cursor on the next row (the previous one at the end)', async () => {
		const dir = freshFolder();
		app = openBrowse(dir);
		await app.waitFor('› b-enc');
		await app.press('j');
		await app.waitFor('› b-targz');
		await app.press('d');
		await app.waitFor('Delete b-targz.tar.gz');
		await app.press('y');
		await app.waitFor(frame => frame.includes('✓ Deleted b-targz.tar.gz') && frame.includes('2 backups'));
		expect(app.frame()).toContain('› b-zip');
		await app.press('d');
		await app.waitFor('Delete b-zip.zip');
		await app.press('y');
		await app.waitFor(frame => frame.includes('✓ Deleted b-zip.zip') && frame.includes('1 backup'));
		expect(app.frame()).toContain('› b-enc');
	});

	test('a copy onto an existing file says it is not a folder; that error is gone once the next action starts', async () => {
		const file = path.join(tempDir(), 'notes.txt');
		fs.writeFileSync(file, 'mine');
		app = openBrowse();
		await app.waitFor('› b-enc');
		await app.press('c');
		await app.waitFor('Copy b-enc.zip.enc to');
		await app.press(KEY.ctrlU, file, KEY.enter);
		const error = await app.waitFor('✗');
		expect(error.replace(/\n/g, ' ')).toMatch(/notes\.txt is a file, not a folder/);
		expect(error).not.toMatch(/already exists/);
		expect(fs.readFileSync(file, 'utf8')).toBe('mine');
		await app.press('d');
		const prompt = await app.waitFor('This cannot be undone');
		expect(prompt).not.toContain('✗');
		expect(prompt).not.toContain('not a folder');
		await app.press('n');
	});

	test.each([
		[80, 24],
		[50, 16],
	])('a verify error is wrapped, never cut, at %ix%i: a text file named notes.zip is "not a Lifeboat backup"', async (columns, rows) => {
		const dir = path.join(tempDir(), 'a-folder-with-a-rather-long-name-for-its-backups');
		fs.mkdirSync(dir);
		fs.writeFileSync(path.join(dir, 'notes.zip'), 'Meeting notes\n');
		app = renderApp(gateway, {route: {name: 'browse', destDir: dir}, columns, rows});
		await app.waitFor('› notes');
		await app.press('v');
		const frame = await app.waitFor('✗ Verify failed');
		// Wrapped at word boundaries, and inside a word longer than the line: compare without the breaks.
		const squeeze = (text: string) => text.replace(/\s+/g, '');
		expect(squeeze(frame)).toContain(squeeze(`✗ Verify failed: ${path.join(dir, 'notes.zip')} is not a Lifeboat backup (neither zip, tar.gz, tar.zst, JSON bundle, encrypted backup nor folder) — v to try again`));
		expect(frame).not.toMatch(/truncated|FILE_ENDED/);
		for (const line of frame.split('\n')) expect([...line].length).toBeLessThanOrEqual(columns);
		// Its details say why it cannot be read, whole.
		await app.press(KEY.enter);
		const details = await app.waitFor('Cannot read this backup');
		expect(squeeze(details)).toContain(squeeze(`✗ Cannot read this backup: ${path.join(dir, 'notes.zip')} is not a Lifeboat backup (neither zip, tar.gz, tar.zst, JSON bundle, encrypted backup nor folder)`));
	});
});

/** A folder holding copies of the three backups (b-enc, b-targz, b-zip, newest first). */
function freshFolder(): string {
	const dir = tempDir();
	for (const name of fs.readdirSync(gateway.backupDir)) fs.copyFileSync(path.join(gateway.backupDir, name), path.join(dir, name));
	return dir;
}

describe('keepSelection: the cursor follows the backup, not the row number', () => {
	const pathList = fc.uniqueArray(fc.stringMatching(/^\/b\/[a-z]{1,4}$/), {minLength: 0, maxLength: 12});

	test('a backup still listed stays selected wherever it moved; one gone gives way to the next survivor, else the previous', () => {
		fc.assert(
			fc.property(pathList, fc.nat(), fc.func(fc.boolean()), fc.array(fc.stringMatching(/^\/b\/new[a-z]$/), {maxLength: 3}), fc.boolean(), (before, at, keep, added, shuffle) => {
				const selected = before.length > 0 ? before[at % before.length] : undefined;
				const survivors = before.filter(item => keep(item));
				const after = [...new Set([...(shuffle ? [...survivors].reverse() : survivors), ...added])];
				const kept = keepSelection(before, selected, after);
				let expected: string | undefined;
				if (after.length === 0) expected = undefined;
				else if (selected !== undefined && after.includes(selected)) expected = selected;
				else if (selected === undefined || survivors.length === 0) expected = after[0];
				else {
					const index = before.indexOf(selected);
					expected = before.slice(index + 1).find(item => survivors.includes(item)) ?? before.slice(0, index).reverse().find(item => survivors.includes(item));
				}
				expect(kept).toBe(expected);
			}),
			{numRuns: 500},
		);
	});

	test('no selection yet, or a folder with none of the old backups: the first row', () => {
		expect(keepSelection([], undefined, ['/a', '/b'])).toBe('/a');
		expect(keepSelection(['/x', '/y'], '/y', ['/a', '/b'])).toBe('/a');
		expect(keepSelection(['/a', '/b', '/c'], '/b', ['/a', '/c'])).toBe('/c');
		expect(keepSelection(['/a', '/b', '/c'], '/c', ['/a', '/b'])).toBe('/b');
	});
});
