import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import {beforeAll, describe, expect, it} from 'vitest';
import {createBackup} from '../source/core/backup/create-backup.js';
import {generateDemo} from '../source/core/demo/generate-demo.js';
import {writeTarGz, writeZip} from './helpers/hostile-archives.js';
import {expectOneLineError, runCli} from './helpers/run-cli.js';
import {tempDir} from './helpers/temp-dir.js';

/** Files that are not Lifeboat backups, whatever their names say (the issue's `notes.zip` first). */
async function foreignCorpus(dir: string): Promise<string[]> {
	const at = (name: string) => path.join(dir, name);
	fs.writeFileSync(at('notes.zip'), 'Meeting notes\nnothing to do with backups\n');
	fs.writeFileSync(at('notes.tar.gz'), 'plain text\n');
	fs.writeFileSync(at('notes.tgz'), '');
	fs.writeFileSync(at('empty.zip'), '');
	fs.writeFileSync(at('pk-then-text.zip'), Buffer.concat([Buffer.from([0x50, 0x4b, 3, 4]), Buffer.from('garbage, not a zip entry')]));
	fs.writeFileSync(at('gzip-magic.tar.gz'), Buffer.concat([Buffer.from([0x1f, 0x8b]), Buffer.from('garbage')]));
	await writeZip(at('photos.zip'), [{name: 'hello.txt', content: Buffer.from('hi')}, {name: 'img/a.jpg', content: Buffer.alloc(300, 7)}]);
	await writeTarGz(at('sources.tar.gz'), [{header: {name: 'readme.md', size: 5}, content: Buffer.from('hello')}]);
	fs.mkdirSync(at('a-folder'));
	fs.writeFileSync(path.join(at('a-folder'), 'file.txt'), 'x');
	return fs.readdirSync(dir).map(at);
}

let corpus: string[];
let realZip: string;

beforeAll(async () => {
	corpus = await foreignCorpus(tempDir());
	const dataDir = path.join(tempDir(), 'gateway');
	await generateDemo({dir: dataDir, tenants: 1, scale: 'small', seed: 4});
	realZip = (await createBackup({dataDir, destDir: tempDir(), name: 'real', format: 'zip', categories: ['tools', 'agents']})).path;
});

describe('backup verify of something that is not a Lifeboat backup', () => {
	it('says so in one line, exit 5 (documented: not a backup), for every kind of foreign file or folder; --json says the same', () => {
		for (const file of corpus) {
			const result = runCli(['backup', 'verify', file]);
			expectOneLineError(result, 5, new RegExp(`^lifeboat: ${file.replaceAll('.', '\\.')} is not a Lifeboat backup \\(`));
			expect(result.stderr, file).not.toMatch(/truncated|FILE_ENDED|manifest\.json/);
			const json = JSON.parse(runCli(['backup', 'verify', file, '--json']).stdout) as {ok: boolean; problems: string[]};
			expect(json.ok).toBe(false);
		}
	});

	it('random bytes under a backup\'s name are "not a Lifeboat backup", never a stack or several lines', () => {
		const dir = tempDir();
		fc.assert(
			fc.property(fc.uint8Array({minLength: 0, maxLength: 2048}), fc.constantFrom('x.zip', 'x.tar.gz', 'x.tgz'), fc.boolean(), (bytes, name, zipMagic) => {
				const file = path.join(dir, name);
				fs.writeFileSync(file, zipMagic ? Buffer.concat([Buffer.from([0x50, 0x4b, 3, 4]), bytes]) : bytes);
				expectOneLineError(runCli(['backup', 'verify', file]), 5, /is not a Lifeboat backup \(/);
			}),
			{numRuns: 8},
		);
	});

	it('a real backup cut short is still "truncated" or "corrupt", not "not a Lifeboat backup"', () => {
		const cut = path.join(tempDir(), 'cut.zip');
		const bytes = fs.readFileSync(realZip);
		fs.writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length / 2)));
		const result = runCli(['backup', 'verify', cut]);
		expect(result.code).toBe(5);
		expect(result.stderr).not.toMatch(/not a Lifeboat backup/);
	});
});
