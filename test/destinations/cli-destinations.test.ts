/**
 * Named destinations, `destination test`, `--out -`, download and delete through the CLI.
 */
import {spawn} from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {CLI} from '../helpers/run-cli.js';
import {tempDir} from '../helpers/temp-dir.js';
import {demoGateway} from '../restore-support.js';
import {startS3Server, type S3Server} from '../servers/s3-server.js';
import {runCliAsync, type Run} from './remote-roundtrip.js';

let s3: S3Server;
let gateway: string;
beforeAll(async () => {
	[s3, gateway] = await Promise.all([startS3Server({buckets: ['named']}), demoGateway({tenants: 1, seed: 11})]);
});
afterAll(async () => s3?.stop());

const sha256 = (bytes: Buffer) => crypto.createHash('sha256').update(bytes).digest('hex');

function expectOneLine(run: Run, code: number, pattern: RegExp): void {
	expect(run.code, run.stderr).toBe(code);
	const lines = run.stderr.trim().split('\n');
	expect(lines, run.stderr).toHaveLength(1);
	expect(lines[0]).toMatch(pattern);
}

describe('named destinations', () => {
	it('add, list, use as --dest, test, remove; the file is 0600 and holds no secret', async () => {
		const config = tempDir('lifeboat-config-');
		const env = {...s3.env, LIFEBOAT_CONFIG_DIR: path.join(config, 'lifeboat')};
		const local = path.join(tempDir('lifeboat-named-local-'), 'backups');
		const endpoint = s3.env['LIFEBOAT_S3_ENDPOINT']!;
		const {LIFEBOAT_S3_ENDPOINT: _unused, ...withoutEndpoint} = env;
		expect((await runCliAsync(['destination', 'add', 'offsite', 's3://named/gw1', '--s3-endpoint', endpoint], withoutEndpoint)).code).toBe(0);
		expect((await runCliAsync(['destination', 'add', 'shelf', local], withoutEndpoint)).code).toBe(0);
		expectOneLine(await runCliAsync(['destination', 'add', 'offsite', 's3://named/other/'], withoutEndpoint), 4, /offsite exists already/);
		expectOneLine(await runCliAsync(['destination', 'add', 'bad.name', 's3://named/x/'], withoutEndpoint), 2, /Invalid destination name/);
		expectOneLine(await runCliAsync(['destination', 'add', 'leak', 'sftp://ops:hunter2@host/x/'], withoutEndpoint), 2, /must not hold a password/);
		// The Azure portal's "Blob service SAS URL" pasted as the endpoint: refused, not stored, never quoted.
		const sas = await runCliAsync(['destination', 'add', 'leak', 'azblob://acct/cont/', '--azure-endpoint', 'https://acct.blob.core.windows.net/?sv=2022-11-02&sig=hunter2'], withoutEndpoint);
		expectOneLine(sas, 2, /--azure-endpoint must be an http\(s\) URL without credentials, query or fragment$/);
		expectOneLine(await runCliAsync(['destination', 'add', 'leak', 's3://named/x/', '--s3-endpoint', 'https://minio.example/?X-Amz-Security-Token=hunter2'], withoutEndpoint), 2, /--s3-endpoint must be/);
		expect(sas.stdout + sas.stderr).not.toContain('hunter2');

		const file = path.join(config, 'lifeboat', 'destinations.json');
		expect(fs.statSync(file).mode & 0o777).toBe(0o600);
		expect(fs.statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
		const stored = fs.readFileSync(file, 'utf8');
		expect(stored).not.toContain(s3.env['AWS_SECRET_ACCESS_KEY']!);
		expect(stored).not.toContain('hunter2');
		expect(JSON.parse(stored)).toEqual({version: 1, destinations: [{name: 'offsite', url: 's3://named/gw1/', s3Endpoint: endpoint}, {name: 'shelf', url: local}]});

		const listed = JSON.parse((await runCliAsync(['destination', 'list', '--json'], withoutEndpoint)).stdout) as {destinations: Array<{name: string}>};
		expect(listed.destinations.map(entry => entry.name)).toEqual(['offsite', 'shelf']);

		const tested = await runCliAsync(['destination', 'test', 'offsite', '--json'], withoutEndpoint);
		expect(tested.code, tested.stderr).toBe(0);
		expect((JSON.parse(tested.stdout) as {steps: Array<{step: string; ok: boolean}>}).steps.map(step => [step.step, step.ok])).toEqual([['write', true], ['list', true], ['read', true], ['delete', true]]);

		for (const name of ['offsite', 'shelf']) {
			const created = await runCliAsync(['backup', 'create', '--data-dir', gateway, '--dest', name, '--json'], withoutEndpoint);
			expect(created.code, created.stderr).toBe(0);
			const backups = (JSON.parse((await runCliAsync(['backup', 'list', '--dest', name, '--json'], withoutEndpoint)).stdout) as {backups: Array<{path: string}>}).backups;
			expect(backups.map(backup => backup.path)).toEqual([(JSON.parse(created.stdout) as {path: string}).path]);
		}
		expect(fs.readdirSync(local)).toHaveLength(1);

		expect((await runCliAsync(['destination', 'remove', 'offsite'], withoutEndpoint)).code).toBe(0);
		expectOneLine(await runCliAsync(['destination', 'remove', 'offsite'], withoutEndpoint), 2, /No destination named "offsite"/);
		fs.writeFileSync(file, '{"version": 1, "destinations": [{"name": "x", "url": "s3://b-1/", "secretAccessKey": "s"}]}');
		expectOneLine(await runCliAsync(['backup', 'list', '--dest', 'x'], withoutEndpoint), 2, /not a valid destinations file .*unknown setting "secretAccessKey"/);
	}, 120_000);

	it('destination test names the step that failed', async () => {
		const run = await runCliAsync(['destination', 'test', 's3://no-such-bucket/x/'], s3.env);
		expect(run.code).toBe(4);
		expect(run.stdout).toMatch(/FAIL write/);
		expect(run.stderr.trim().split('\n')).toHaveLength(1);
		expect(run.stderr).toMatch(/^lifeboat: s3:\/\/no-such-bucket\/x\/: write failed: .*no such bucket/);
	});
});

describe('--out - streams the archive to stdout', () => {
	it('writes a backup a pipe can store, with the report on stderr', async () => {
		const dir = tempDir('lifeboat-stdout-');
		const out = path.join(dir, 'piped.zip');
		const child = spawn(process.execPath, [CLI, 'backup', 'create', '--data-dir', gateway, '--out', '-', '--json'], {stdio: ['ignore', fs.openSync(out, 'w'), 'pipe']});
		let stderr = '';
		child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
		const code = await new Promise<number | null>(resolve => child.on('close', resolve));
		expect(code, stderr).toBe(0);
		const report = JSON.parse(stderr) as {path: string; sha256: string; size: number};
		expect(report.path).toBe('-');
		const bytes = fs.readFileSync(out);
		expect(bytes.length).toBe(report.size);
		expect(sha256(bytes)).toBe(report.sha256);
		const verified = await runCliAsync(['backup', 'verify', out]);
		expect(verified.code, verified.stderr).toBe(0);
		expect(fs.readdirSync(path.join(gateway, '..')).filter(name => name.startsWith('lifeboat-staging'))).toEqual([]);
	});

	it('a reader that stops early is exit 4 and one line', async () => {
		const child = spawn(process.execPath, [CLI, 'backup', 'create', '--data-dir', gateway, '--out', '-'], {stdio: ['ignore', 'pipe', 'pipe']});
		let stderr = '';
		child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
		child.stdout.once('data', () => child.stdout.destroy());
		const code = await new Promise<number | null>(resolve => child.on('close', resolve));
		expect(code).toBe(4);
		expect(stderr.trim().split('\n')).toHaveLength(1);
		expect(stderr).toMatch(/^lifeboat: .*(reader|stdout).*(closed|stopped)/);
	});

	it('is refused with --verify and with --format dir', async () => {
		expectOneLine(await runCliAsync(['backup', 'create', '--data-dir', gateway, '--out', '-', '--verify']), 2, /--verify cannot check an archive streamed to stdout/);
		expectOneLine(await runCliAsync(['backup', 'create', '--data-dir', gateway, '--out', '-', '--format', 'dir']), 2, /cannot be streamed/);
	});
});

describe('download and delete', () => {
	it('download to stdout equals the stored bytes; delete refuses a non-backup and needs --yes without a terminal', async () => {
		const url = 's3://named/dl/';
		const created = JSON.parse((await runCliAsync(['backup', 'create', '--data-dir', gateway, '--dest', url, '--json'], s3.env)).stdout) as {path: string; sha256: string};
		const dir = tempDir('lifeboat-dl-');
		const out = path.join(dir, 'copy.zip');
		const child = spawn(process.execPath, [CLI, 'backup', 'download', created.path, '--out', '-'], {env: {...process.env, ...s3.env}, stdio: ['ignore', fs.openSync(out, 'w'), 'pipe']});
		const code = await new Promise<number | null>(resolve => child.on('close', resolve));
		expect(code).toBe(0);
		expect(sha256(fs.readFileSync(out))).toBe(created.sha256);
		expectOneLine(await runCliAsync(['backup', 'download', created.path, '--out', out], s3.env), 4, /already exists/);
		expectOneLine(await runCliAsync(['backup', 'download', `${url}missing.zip`, '--out', `${dir}/`], s3.env), 4, /missing\.zip: no such (backup|object)/);

		expectOneLine(await runCliAsync(['backup', 'delete', created.path], s3.env), 2, /cannot be undone: pass --yes/);
		const put = await runCliAsync(['destination', 'test', url], s3.env);
		expect(put.code).toBe(0);
		const notes = path.join(dir, 'notes.zip');
		fs.writeFileSync(notes, 'not a backup at all');
		const local = await runCliAsync(['backup', 'delete', notes, '--yes']);
		expectOneLine(local, 5, /is not a Lifeboat backup; it was not deleted/);
		expect(fs.existsSync(notes)).toBe(true);
		expect((await runCliAsync(['backup', 'delete', created.path, '--yes'], s3.env)).code).toBe(0);
		expectOneLine(await runCliAsync(['backup', 'delete', created.path, '--yes'], s3.env), 4, /no such backup/);
	});
});

describe('deleting a folder backup', () => {
	it('renames it to a scratch name nothing lists before removing it: a crash mid-way leaves no half backup under its name, and the rest is swept', async () => {
		const dest = tempDir('lifeboat-delete-dir-');
		expect((await runCliAsync(['backup', 'create', '--data-dir', gateway, '--dest', dest, '--format', 'dir', '--name', 'victim'])).code).toBe(0);
		expect((await runCliAsync(['backup', 'delete', path.join(dest, 'victim'), '--yes'])).code).toBe(0);
		expect(fs.readdirSync(dest)).toEqual([]);
		// What a delete killed after its rename leaves: a scratch folder of a dead process, holding a metadata.json.
		const left = path.join(dest, '.lifeboat-partial-999999999-delete-0123456789ab');
		fs.mkdirSync(left);
		fs.writeFileSync(path.join(left, 'metadata.json'), '{"kind":"lifeboat-backup"}');
		const listed = await runCliAsync(['backup', 'list', '--dest', dest, '--json']);
		expect(JSON.parse(listed.stdout).backups).toEqual([]);
		expect((await runCliAsync(['backup', 'create', '--data-dir', gateway, '--dest', dest, '--categories', 'tools', '--name', 'next'])).code).toBe(0);
		expect(fs.readdirSync(dest)).toEqual(['next.zip']);
	});
});
