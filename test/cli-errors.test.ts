import {spawnSync} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {beforeAll, describe, expect, it} from 'vitest';
import {generateDemo} from '../source/core/demo/generate-demo.js';
import {runCli} from './helpers/run-cli.js';
import {tempDir} from './helpers/temp-dir.js';

/** Every bad input: exactly one line on stderr, no stack trace, the documented exit code, no file left. */
function expectOneLineError(result: ReturnType<typeof runCli>, code: number, pattern: RegExp) {
	expect(result.code).toBe(code);
	const lines = result.stderr.trim().split('\n');
	expect(lines).toHaveLength(1);
	expect(lines[0]).toMatch(/^lifeboat: /);
	expect(lines[0]).toMatch(pattern);
}

describe('CLI bad input', () => {
	let dataDir: string;
	beforeAll(async () => {
		dataDir = path.join(tempDir(), 'gateway');
		await generateDemo({dir: dataDir, tenants: 2, scale: 'small', seed: 9});
	});

	it('missing data dir, not a gateway, no data dir at all', () => {
		const dest = tempDir();
		expectOneLineError(runCli(['backup', 'create', '--data-dir', path.join(dest, 'nope'), '--dest', dest]), 3, /does not exist/);
		expectOneLineError(runCli(['backup', 'create', '--data-dir', dest, '--dest', dest]), 3, /is not a gateway data directory/);
		expectOneLineError(runCli(['backup', 'create', '--dest', dest], {env: {LIFEBOAT_DATA_DIR: ''}}), 2, /pass --data-dir DIR or set LIFEBOAT_DATA_DIR/);
		expect(fs.readdirSync(dest)).toEqual([]);
	});

	it('the data dir can come from LIFEBOAT_DATA_DIR', () => {
		const dest = tempDir();
		const result = runCli(['backup', 'create', '--dest', dest, '--categories', 'tools', '--json'], {env: {LIFEBOAT_DATA_DIR: dataDir}});
		expect(result.code).toBe(0);
		expect(JSON.parse(result.stdout).metadata.categories).toEqual(['tools']);
	});

	it('unknown category, tenant, format, command and flag', () => {
		const dest = tempDir();
		expectOneLineError(runCli(['backup', 'create', '--data-dir', dataDir, '--dest', dest, '--categories', 'memory,emails']), 2, /Unknown category emails \(known: users, agents/);
		expectOneLineError(runCli(['backup', 'create', '--data-dir', dataDir, '--dest', dest, '--tenant', 'nobody']), 3, /Unknown tenant "nobody"/);
		expectOneLineError(runCli(['backup', 'create', '--data-dir', dataDir, '--dest', dest, '--format', 'rar']), 2, /Unknown --format rar/);
		expectOneLineError(runCli(['backup', 'explode']), 2, /unknown command "backup explode"/);
		expect(runCli(['backup', 'create', '--bogus']).code).toBe(2);
		expect(fs.readdirSync(dest)).toEqual([]);
	});

	it('unwritable destination', () => {
		const file = path.join(tempDir(), 'a-file');
		fs.writeFileSync(file, 'x');
		expectOneLineError(runCli(['backup', 'create', '--data-dir', dataDir, '--dest', path.join(file, 'sub')]), 4, /not a directory|no such file/);
	});

	it('refuses to overwrite an existing archive unless --force', () => {
		const out = path.join(tempDir(), 'backup.zip');
		fs.writeFileSync(out, 'precious');
		expectOneLineError(runCli(['backup', 'create', '--data-dir', dataDir, '--out', out]), 4, /already exists \(pass --force to replace it\)/);
		expect(fs.readFileSync(out, 'utf8')).toBe('precious');
		expect(fs.readdirSync(path.dirname(out))).toEqual(['backup.zip']);
		// --force replaces backups only: a file that merely has the name of one is left alone.
		expectOneLineError(runCli(['backup', 'create', '--data-dir', dataDir, '--out', out, '--force']), 4, /is not a Lifeboat backup; --force only replaces backups/);
		expect(fs.readFileSync(out, 'utf8')).toBe('precious');
		fs.rmSync(out);
		expect(runCli(['backup', 'create', '--data-dir', dataDir, '--out', out, '--categories', 'tools']).code).toBe(0);
		const forced = runCli(['backup', 'create', '--data-dir', dataDir, '--out', out, '--force']);
		expect(forced.code).toBe(0);
		expect(fs.readFileSync(out).subarray(0, 2).toString('latin1')).toBe('PK');
	});

	it('unknown flags and commands are JSON errors under --json; an empty --name is refused', () => {
		const flag = runCli(['backup', 'create', '--json', '--bogus']);
		expect(flag.code).toBe(2);
		expect(JSON.parse(flag.stdout)).toEqual({ok: false, error: {code: 'usage', message: 'Unknown flag --bogus (see lifeboat backup create --help)'}});
		const command = runCli(['bogus', '--json']);
		expect(command.code).toBe(2);
		expect(JSON.parse(command.stdout).error.code).toBe('usage');
		const dest = tempDir();
		expectOneLineError(runCli(['backup', 'create', '--data-dir', dataDir, '--dest', dest, '--name', '']), 2, /Invalid backup name ""/);
		expectOneLineError(runCli(['backup', 'create', '--data-dir', dataDir, '--dest', dest, '--name', 'nightly.tar.gz']), 2, /^lifeboat: Invalid backup name "nightly\.tar\.gz": it ends like a backup file \(\.tar\.gz\); name it without one, the format's extension is added$/);
		expect(fs.readdirSync(dest)).toEqual([]);
	});

	it('a FIFO named like a backup is refused in one line (exit 5), never opened: verify, diff, drill and restore would wait for a writer forever', () => {
		const dir = tempDir();
		const fifo = path.join(dir, 'pipe.zip');
		expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
		for (const args of [['backup', 'verify', fifo], ['backup', 'diff', fifo, '--data-dir', dataDir], ['drill', '--in', fifo], ['backup', 'restore', '--in', fifo, '--data-dir', dataDir, '--dry-run']]) {
			expectOneLineError(runCli(args, {timeoutMs: 60_000}), 5, new RegExp(`^lifeboat: ${fifo.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not a Lifeboat backup \\(not a regular file\\)$`));
		}
	});

	it('--json errors are machine-readable on stdout too', () => {
		const result = runCli(['backup', 'create', '--data-dir', '/nonexistent/gw', '--dest', tempDir(), '--json']);
		expect(result.code).toBe(3);
		expect(JSON.parse(result.stdout)).toEqual({ok: false, error: {code: 'not-a-gateway', message: expect.stringContaining('does not exist')}});
	});

	it('a flag given twice is a usage error (exit 2) naming the flag as typed, in JSON too with --json', () => {
		expectOneLineError(runCli(['--data-dir', 'a', '--data-dir', 'b']), 2, /^lifeboat: the flag --data-dir can only be set once \(see lifeboat --help\)$/);
		const result = runCli(['backup', 'list', '--dest', 'a', '--dest', 'b', '--json']);
		expectOneLineError(result, 2, /^lifeboat: the flag --dest can only be set once/);
		expect(JSON.parse(result.stdout)).toEqual({ok: false, error: {code: 'usage', message: 'the flag --dest can only be set once (see lifeboat --help)'}});
	});

	it('the console refuses without a terminal and points to the CLI', () => {
		const result = runCli([], {env: {LIFEBOAT_DATA_DIR: dataDir}});
		expectOneLineError(result, 2, /needs a terminal; use the CLI instead \(lifeboat --help\)/);
	});

	it('every command has --help', () => {
		for (const words of [['demo', 'init'], ['backup', 'create'], ['backup', 'verify'], ['backup', 'list']]) {
			const result = runCli([...words, '--help']);
			expect(result.code).toBe(0);
			expect(result.stdout).toContain(`lifeboat ${words.join(' ')}`);
		}
		expect(runCli(['--help']).stdout).toContain('backup create');
	});

	it('demo init refuses to overwrite an existing gateway', () => {
		expectOneLineError(runCli(['demo', 'init', '--dir', dataDir]), 4, /already holds a gateway/);
	});
});

describe('a refused destination URL is quoted without its secrets', () => {
	it('a SAS signature or token in a query or fragment, and a password, are not repeated (text and --json)', () => {
		const urls = [
			'azblob://acct/container/?sv=2022-11-02&sp=rw&sig=LEAKsasSignature0123%3D',
			'azblob://acct/container/#sig=LEAKsasSignature0123',
			'sftp://ops@host/backups/?token=LEAKtoken0123',
			'azblob://acct/container/?sig=LEAK:sig@nature',
			'sftp://ops:LEAK?pw#0123@host/backups/',
			's3://AKIAEXAMPLE:LEAK/secret@bucket/',
		];
		for (const url of urls) {
			expectOneLineError(runCli(['backup', 'list', '--dest', url]), 2, /^lifeboat: Invalid destination "/);
			const json = runCli(['backup', 'list', '--dest', url, '--json']);
			expect(json.code).toBe(2);
			expect(JSON.parse(json.stdout)).toMatchObject({ok: false, error: {code: 'usage'}});
			expect(json.stdout + json.stderr + runCli(['backup', 'list', '--dest', url]).stderr, url).not.toMatch(/LEAK|sas|nature|pw#/);
		}
	});
});

describe('error lines quote names without their control characters', () => {
	it('a path holding CSI, ESC and a bidi override is printed escaped on stderr and in --json (the same JSON value)', () => {
		const name = path.join(tempDir(), 'nope\u009B2J\u001B[31m\u202E.zip');
		const result = runCli(['backup', 'verify', name]);
		expectOneLineError(result, 2, /No backup at /);
		expect(result.stderr).not.toMatch(/[\u001B\u009B\u202E]/);
		expect(result.stderr).toContain('nope\\u{9B}2J\\u{1B}[31m\\u{202E}.zip');
		const json = runCli(['backup', 'verify', name, '--json']);
		expect(json.stdout).not.toMatch(/[\u001B\u009B\u202E]/);
		expect(JSON.parse(json.stdout).error.message).toBe(`No backup at ${name}`);
	});

	it('every line a command prints is escaped: the reason backup list gives for a file it cannot read quotes its name', () => {
		const folder = tempDir();
		fs.writeFileSync(path.join(folder, 'a\u001B]0;pwn\u0007b\u202E.zip'), 'junk');
		const result = runCli(['backup', 'list', '--dest', folder]);
		expect(result.code).toBe(0);
		expect(result.stdout).toContain('a\\u{1B}]0;pwn\\u{7}b\\u{202E}.zip is not a Lifeboat backup');
		expect(result.stdout + result.stderr).not.toMatch(/[\u0007\u001B\u202E]/);
	});
});
