/**
 * Review of the bare-host restore (issue 11): what an operator may point --data-dir at, through
 * the built CLI on real archives.
 */
import fs from 'node:fs';
import path from 'node:path';
import {beforeAll, describe, expect, it} from 'vitest';
import {expectOneLineError, runCli} from './helpers/run-cli.js';
import {canDropPrivileges, runAsUser} from './helpers/as-user.js';
import {tempDir} from './helpers/temp-dir.js';
import {backupOf, demoGateway} from './restore-support.js';

let zip: string;

beforeAll(async () => {
	zip = (await backupOf(await demoGateway(), {format: 'zip'})).path;
}, 120_000);

describe('restore into a folder that is neither a gateway nor empty', () => {
	it('never advises making a demo gateway there (its data would mix with the restore); says what is in it and what to do', () => {
		const cases: Array<{make: (dir: string) => void; holds: RegExp}> = [
			{make: dir => fs.mkdirSync(path.join(dir, 'lost+found')), holds: /holds lost\+found\)/},
			{make: dir => fs.writeFileSync(path.join(dir, '.keep'), ''), holds: /holds \.keep\)/},
			{make: dir => ['a', 'b', 'c', 'd', 'e', 'f'].forEach(name => fs.writeFileSync(path.join(dir, name), name)), holds: /holds a, b, c, d, e, … \(6 entries\)\)/},
		];
		for (const {make, holds} of cases) {
			const dataDir = tempDir('lifeboat-bare-review-');
			make(dataDir);
			const before = fs.readdirSync(dataDir).sort();
			for (const extra of [[], ['--dry-run']]) {
				const result = runCli(['backup', 'restore', '--in', zip, '--data-dir', dataDir, ...extra]);
				expectOneLineError(result, 3, /is not a gateway data directory \(no data\/gateway\.db\) and not empty/);
				expect(result.stderr).toMatch(holds);
				expect(result.stderr).toMatch(/a new gateway is only made in an absent or empty folder/);
				expect(result.stderr).not.toMatch(/demo init/);
			}
			expect(fs.readdirSync(dataDir).sort()).toEqual(before);
		}
	}, 120_000);

	it('a file is refused as a file (exit 3), left as it was', () => {
		const file = path.join(tempDir(), 'gateway');
		fs.writeFileSync(file, 'not a folder');
		const result = runCli(['backup', 'restore', '--in', zip, '--data-dir', file]);
		expectOneLineError(result, 3, /gateway is a file, not a gateway data directory/);
		expect(result.stderr).not.toMatch(/demo init/);
		expect(fs.readFileSync(file, 'utf8')).toBe('not a folder');
	}, 60_000);
});

describe('restore into a folder whose parent cannot be written', () => {
	it.skipIf(!canDropPrivileges)('a data dir (or a missing parent of it) in a folder the user cannot write: one line, exit 4, nothing made, never an internal error', () => {
		const shared = tempDir('lifeboat-bare-review-ro-');
		const readOnly = path.join(shared, 'read-only');
		fs.mkdirSync(readOnly);
		const readable = path.join(shared, 'backup.zip');
		fs.copyFileSync(zip, readable);
		fs.chmodSync(readable, 0o644);
		fs.chmodSync(shared, 0o755);
		fs.chmodSync(readOnly, 0o555);
		for (const dataDir of [path.join(readOnly, 'gateway'), path.join(readOnly, 'missing', 'gateway')]) {
			const result = runAsUser(['backup', 'restore', '--in', readable, '--data-dir', dataDir]);
			expectOneLineError(result, 4, /permission denied/);
			expect(result.stderr).toContain(dataDir);
			expect(result.stderr).not.toMatch(/internal error|lifeboat-new/);
			expect(fs.readdirSync(readOnly)).toEqual([]);
		}
	}, 60_000);
});

describe('restore into the current folder, empty', () => {
	it('works, and says that a shell still in the folder sees the replaced (empty) one and must cd again', () => {
		const dataDir = fs.realpathSync(tempDir('lifeboat-bare-review-cwd-'));
		const result = runCli(['backup', 'restore', '--in', zip, '--data-dir', '.'], {cwd: dataDir});
		expect(result.code).toBe(0);
		expect(result.stdout).toContain(`Warning: ${dataDir} was the current folder: the new gateway replaced it, so a shell still in it sees an empty folder (run: cd ${dataDir})`);
		expect(fs.existsSync(path.join(dataDir, 'data', 'gateway.db'))).toBe(true);
	}, 60_000);
});

describe('restore into an empty folder made beforehand for the service user', () => {
	it.skipIf(process.getuid?.() !== 0)('run as root, the new gateway keeps the folder\'s owner and group (owner-only modes); an absent folder belongs to whoever restores', () => {
		const parent = tempDir('lifeboat-bare-owner-');
		const premade = path.join(parent, 'gateway');
		fs.mkdirSync(premade);
		fs.chownSync(premade, 65534, 65534);
		expect(runCli(['backup', 'restore', '--in', zip, '--data-dir', premade]).code).toBe(0);
		const walk = (dir: string): string[] => [dir, ...fs.readdirSync(dir, {withFileTypes: true}).flatMap(entry => (entry.isDirectory() ? walk(path.join(dir, entry.name)) : [path.join(dir, entry.name)]))];
		const entries = walk(premade);
		expect(entries.length).toBeGreaterThan(10);
		for (const entry of entries) {
			const stats = fs.lstatSync(entry);
			expect([stats.uid, stats.gid], entry).toEqual([65534, 65534]);
			expect(stats.mode & 0o077, entry).toBe(0);
		}
		const absent = path.join(parent, 'other');
		expect(runCli(['backup', 'restore', '--in', zip, '--data-dir', absent]).code).toBe(0);
		for (const entry of walk(absent)) expect(fs.lstatSync(entry).uid, entry).toBe(0);
	}, 120_000);
});
