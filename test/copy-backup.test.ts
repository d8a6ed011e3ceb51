import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import {beforeAll, describe, expect, it} from 'vitest';
import {createBackup} from '../source/core/backup/create-backup.js';
import {listBackups, type BackupListing} from '../source/core/backup/list-backups.js';
import {generateDemo} from '../source/core/demo/generate-demo.js';
import {PARTIAL_PREFIX} from '../source/core/destinations/local-publish.js';
import {copyBackup} from '../source/ui/backup-actions.js';
import {tempDir} from './helpers/temp-dir.js';

let backups: BackupListing[];

beforeAll(async () => {
	const dataDir = path.join(tempDir(), 'gateway');
	await generateDemo({dir: dataDir, tenants: 1, scale: 'small', seed: 3});
	const destDir = tempDir();
	const categories = ['tools', 'agents'] as const;
	await createBackup({dataDir, destDir, name: 'a-zip', format: 'zip', categories: [...categories]});
	await createBackup({dataDir, destDir, name: 'a-tgz', format: 'tar.gz', categories: [...categories]});
	await createBackup({dataDir, destDir, name: 'a-dir', format: 'dir', categories: [...categories]});
	await createBackup({dataDir, destDir, name: 'a-enc', format: 'zip', categories: [...categories], passphrase: 'pass phrase', kdfIterations: 1000});
	backups = await listBackups(destDir);
	expect(backups).toHaveLength(4);
});

/** Every file under `root` (or root itself) with its bytes and mode, relative to root. */
function snapshot(root: string): Array<[string, string, number]> {
	const stats = fs.statSync(root);
	if (!stats.isDirectory()) return [['', fs.readFileSync(root).toString('base64'), stats.mode & 0o777]];
	const out: Array<[string, string, number]> = [['/', '', stats.mode & 0o777]];
	for (const name of fs.readdirSync(root, {recursive: true}) as string[]) {
		const full = path.join(root, name);
		const entry = fs.statSync(full);
		out.push([name, entry.isDirectory() ? '' : fs.readFileSync(full).toString('base64'), entry.mode & 0o777]);
	}
	return out.sort((a, b) => a[0].localeCompare(b[0]));
}

function expectCopyOf(copy: string, original: BackupListing): void {
	const a = snapshot(copy);
	const b = snapshot(original.path);
	expect(a.map(([name, bytes]) => [name, bytes])).toEqual(b.map(([name, bytes]) => [name, bytes]));
	for (const [name, , mode] of a) expect(mode, name).toBe(name === '/' || fs.statSync(path.join(copy, name)).isDirectory() ? 0o700 : 0o600);
}

const leftovers = (dir: string) => fs.readdirSync(dir).filter(name => name.startsWith(PARTIAL_PREFIX));

describe('copy a backup: a trailing slash or an existing folder means "into this folder"', () => {
	it('a folder path with a trailing slash that does not exist yet is made, and the copy keeps its file name (every format, any depth)', async () => {
		await fc.assert(
			fc.asyncProperty(fc.integer({min: 0, max: 3}), fc.array(fc.stringMatching(/^[a-z0-9][a-z0-9 ._-]{0,11}$/), {minLength: 1, maxLength: 3}), fc.constantFrom('/', '//'), async (which, parts, slash) => {
				const original = backups[which]!;
				const root = tempDir();
				const folder = path.join(root, ...parts);
				const copied = await copyBackup(original, folder + slash);
				expect(copied).toBe(path.join(folder, original.fileName));
				expect(fs.readdirSync(folder)).toEqual([original.fileName]);
				expectCopyOf(copied, original);
				expect(fs.statSync(folder).mode & 0o777).toBe(0o700);
			}),
			{numRuns: 12},
		);
	});

	it('an existing folder, with or without the slash, receives the copy under the same name; a new path is the file itself', async () => {
		for (const original of backups) {
			const folder = tempDir();
			expect(await copyBackup(original, folder)).toBe(path.join(folder, original.fileName));
			const other = tempDir();
			expect(await copyBackup(original, `${other}/`)).toBe(path.join(other, original.fileName));
			const renamed = path.join(tempDir(), 'renamed-copy');
			expect(await copyBackup(original, renamed)).toBe(renamed);
			expectCopyOf(renamed, original);
			for (const dir of [folder, other, path.dirname(renamed)]) expect(leftovers(dir)).toEqual([]);
		}
	});

	it('an existing file is not a folder: one line saying so (exit 4 class), nothing written, with or without the slash', async () => {
		const dir = tempDir();
		const file = path.join(dir, 'notes.txt');
		fs.writeFileSync(file, 'mine');
		for (const target of [file, `${file}/`, path.join(file, 'deeper/'), path.join(file, 'deeper', 'x.zip')]) {
			const error = await copyBackup(backups[0]!, target).then(() => undefined, (error: unknown) => error);
			expect(error, target).toMatchObject({exitCode: 4, message: expect.stringMatching(new RegExp(`^${file.replaceAll('.', '\\.')} is a file, not a folder`))});
			expect((error as Error).message).not.toMatch(/already exists/);
		}
		expect(fs.readdirSync(dir)).toEqual(['notes.txt']);
		expect(fs.readFileSync(file, 'utf8')).toBe('mine');
	});

	it('never over an existing copy (exit 4, "already exists"); the original is untouched', async () => {
		const folder = tempDir();
		const original = backups[0]!;
		await copyBackup(original, `${folder}/`);
		for (const target of [folder, `${folder}/`]) {
			await expect(copyBackup(original, target)).rejects.toMatchObject({exitCode: 4, message: `${path.join(folder, original.fileName)} already exists; choose another path`});
		}
		// Named as the target itself, the copy is an existing file: not a folder to copy into.
		await expect(copyBackup(original, path.join(folder, original.fileName))).rejects.toMatchObject({exitCode: 4, message: expect.stringMatching(/is a file, not a folder/)});
		await expect(copyBackup(original, path.dirname(original.path))).rejects.toMatchObject({message: 'That is the backup itself; choose another folder'});
		expect(leftovers(folder)).toEqual([]);
	});
});
