import fs from 'node:fs';
import path from 'node:path';
import {beforeAll, describe, expect, it} from 'vitest';
import {generateDemo} from '../source/core/demo/generate-demo.js';
import {runCli, type CliResult} from './helpers/run-cli.js';
import {tempDir} from './helpers/temp-dir.js';

/** A usage-style failure: the exit code, exactly one line on stderr, and with --json an error object. */
function expectOneLine(result: CliResult, code: number, pattern: RegExp) {
	expect(result.code).toBe(code);
	const lines = result.stderr.trim().split('\n');
	expect(lines).toHaveLength(1);
	expect(lines[0]).toMatch(/^lifeboat: /);
	expect(lines[0]).toMatch(pattern);
}

let dataDir: string;
beforeAll(async () => {
	dataDir = path.join(tempDir(), 'gateway');
	await generateDemo({dir: dataDir, tenants: 2, scale: 'small', seed: 5});
});

describe('backup list on a fresh install', () => {
	it('a backup folder that does not exist yet is "no backups", exit 0, and nothing is created', () => {
		const home = tempDir();
		for (const dest of [path.join(home, 'lifeboat-backups'), path.join(home, 'a', 'b', 'c')]) {
			const viaFlag = runCli(['backup', 'list', '--dest', dest]);
			expect(viaFlag.stderr).toBe('');
			expect(viaFlag.code).toBe(0);
			expect(viaFlag.stdout.trim()).toBe(`No backups in ${dest}`);
			expect(fs.existsSync(dest)).toBe(false);
		}
		// The default folder (LIFEBOAT_BACKUP_DIR, else ~/lifeboat-backups) on a fresh install.
		const fresh = runCli(['backup', 'list'], {env: {LIFEBOAT_BACKUP_DIR: path.join(home, 'never-made')}});
		expect(fresh.code).toBe(0);
		expect(fresh.stdout.trim()).toBe(`No backups in ${path.join(home, 'never-made')}`);
		const noHome = runCli(['backup', 'list'], {env: {LIFEBOAT_BACKUP_DIR: '', HOME: home}});
		expect(noHome.code).toBe(0);
		expect(fs.readdirSync(home)).toEqual([]);
	});

	it('a backup folder that is a file is still a destination problem (exit 4)', () => {
		const file = path.join(tempDir(), 'a-file');
		fs.writeFileSync(file, 'x');
		expectOneLine(runCli(['backup', 'list', '--dest', file]), 4, /Cannot read backup folder/);
		expectOneLine(runCli(['backup', 'list', '--dest', path.join(file, 'sub')]), 4, /Cannot read backup folder/);
	});
});
