import {spawnSync} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {beforeAll, describe, expect, it} from 'vitest';
import {generateDemo} from '../source/core/demo/generate-demo.js';
import {CLI, expectOneLineError} from './helpers/run-cli.js';
import {tempDir} from './helpers/temp-dir.js';

/**
 * `--out -` with stdout a regular file (a shell's `> x.zip`), optionally under a file size limit:
 * write(2) then writes what fits and returns its count without an error, and the next write fails
 * with EFBIG. Node's own stdout drops what a short write left.
 */
function toFile(args: string[], file: string, limit?: number) {
	const fd = fs.openSync(file, 'w');
	try {
		const command = limit === undefined ? [process.execPath] : ['prlimit', `--fsize=${limit}`, process.execPath];
		const child = spawnSync(command[0]!, [...command.slice(1), CLI, ...args], {stdio: ['ignore', fd, 'pipe'], encoding: 'utf8'});
		return {code: child.status ?? -1, stdout: '', stderr: child.stderr};
	} finally {
		fs.closeSync(fd);
	}
}

describe('an archive on stdout redirected to a file', () => {
	let dir: string;
	let dataDir: string;
	let size: number;
	const create = ['backup', 'create', '--data-dir', '', '--out', '-'];

	beforeAll(async () => {
		dir = tempDir();
		dataDir = path.join(dir, 'gateway');
		await generateDemo({dir: dataDir, tenants: 2, scale: 'small', seed: 3});
		create[3] = dataDir;
		const whole = toFile(create, path.join(dir, 'whole.zip'));
		expect(whole.code).toBe(0);
		size = fs.statSync(path.join(dir, 'whole.zip')).size;
		expect(toFile(['backup', 'verify', '--in', path.join(dir, 'whole.zip')], path.join(dir, 'verify.txt')).code).toBe(0);
	});

	it('never exits 0 with a file shorter than the archive (the last write came up short)', () => {
		const cut = path.join(dir, 'cut-end.zip');
		// The limit falls in the last writes (the central directory's end). Each backup's size varies
		// by a few bytes (a new id and time, 2FA secrets sealed afresh, all compressed: 7 bytes over
		// five runs), so a limit 10 bytes under the first one's size can hold a whole later one.
		const limit = size - 256;
		const result = toFile(create, cut, limit);
		expectOneLineError(result, 4, /^lifeboat: stdout: file too large \(past the file system's largest file or the file size limit, ulimit -f\); no usable backup was written$/);
		expect(fs.statSync(cut).size).toBe(limit);
	});

	it('a write that fails early is one line and exit 4, not a stack trace', () => {
		const result = toFile(create, path.join(dir, 'cut-early.zip'), Math.floor(size / 2));
		expectOneLineError(result, 4, /^lifeboat: stdout: file too large .*; no usable backup was written$/);
	});

	it('backup download --out - to a file fails the same way, and copies whole without a limit', () => {
		const backup = path.join(dir, 'whole.zip');
		const copied = path.join(dir, 'copied.zip');
		expect(toFile(['backup', 'download', backup, '--out', '-'], copied).code).toBe(0);
		expect(fs.readFileSync(copied).equals(fs.readFileSync(backup))).toBe(true);
		const cut = path.join(dir, 'download-cut.zip');
		const result = toFile(['backup', 'download', backup, '--out', '-'], cut, size - 10);
		expectOneLineError(result, 4, /^lifeboat: stdout: file too large .*; the copy is incomplete$/);
	});
});
