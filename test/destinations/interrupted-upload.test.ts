/**
 * The server dies mid-upload of a real `backup create`: the command fails with one line naming
 * the destination (exit 4), and once the server is back, nothing is listed as a backup there.
 */
import {spawn} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {generateDemo} from '../../source/core/demo/generate-demo.js';
import {CLI} from '../helpers/run-cli.js';
import {tempDir} from '../helpers/temp-dir.js';
import {startS3Server, type S3Server} from '../servers/s3-server.js';
import {startAzurite, type AzuriteServer} from '../servers/azurite-server.js';
import {startSshd, type SshdServer} from '../servers/sshd-server.js';
import {runCliAsync, type Run} from './remote-roundtrip.js';

let gateway: string;
beforeAll(async () => {
	gateway = path.join(tempDir('lifeboat-interrupted-'), 'gateway');
	// 48 MiB of incompressible documents: the upload takes long enough to be cut.
	await generateDemo({dir: gateway, tenants: 1, scale: 'small', seed: 9, extraDocumentBytes: 48 * 1024 * 1024});
});

/** Bytes of files under `dir` whose path matches `pattern` (0 when none). */
function bytesUnder(dir: string, pattern: RegExp): number {
	let total = 0;
	const walk = (current: string) => {
		for (const entry of fs.readdirSync(current, {withFileTypes: true})) {
			const full = path.join(current, entry.name);
			if (entry.isDirectory()) walk(full);
			else if (pattern.test(full)) total += fs.statSync(full, {throwIfNoEntry: false})?.size ?? 0;
		}
	};
	if (fs.existsSync(dir)) walk(dir);
	return total;
}

async function until(condition: () => boolean | Promise<boolean>, what: string, limitMs = 60_000): Promise<void> {
	const started = Date.now();
	while (!(await condition())) {
		if (Date.now() - started > limitMs) throw new Error(`timed out waiting for ${what}`);
		await new Promise(resolve => setTimeout(resolve, 20));
	}
}

/** Starts `backup create`, waits until `started()` says bytes reached the server, kills it, returns the command's result. */
async function createCutShort(url: string, env: NodeJS.ProcessEnv, started: () => boolean | Promise<boolean>, kill: () => Promise<void>): Promise<Run> {
	const child = spawn(process.execPath, [CLI, 'backup', 'create', '--data-dir', gateway, '--dest', url], {env: {...process.env, ...env}, stdio: ['ignore', 'pipe', 'pipe']});
	let stdout = '';
	let stderr = '';
	child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
	child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
	const exited = new Promise<number | null>(resolve => child.on('close', resolve));
	let done = false;
	void exited.then(() => (done = true));
	await until(async () => done || (await started()), 'the upload to start');
	expect(done, `the backup finished before the server could be killed: ${stderr}`).toBe(false);
	await kill();
	return {code: await exited, stdout, stderr};
}

function expectOneLine(run: Run, pattern: RegExp): void {
	expect(run.code, run.stderr).toBe(4);
	const lines = run.stderr.trim().split('\n');
	expect(lines, run.stderr).toHaveLength(1);
	expect(lines[0]).toMatch(pattern);
	expect(run.stdout).toBe('');
}

describe('a destination server killed mid-upload', () => {
	let s3: S3Server;
	let sshd: SshdServer;
	let azure: AzuriteServer;
	beforeAll(async () => {
		[s3, sshd, azure] = await Promise.all([startS3Server({buckets: ['cut']}), startSshd(), startAzurite({containers: ['cut']})]);
	});
	afterAll(async () => Promise.all([s3?.stop(), sshd?.stop(), azure?.stop()]));

	it('azblob: exit 4 in one line naming the destination', async () => {
		const url = 'azblob://devstoreaccount1/cut/gw/';
		const container = azure.service.getContainerClient('cut');
		const staged = async () => {
			for await (const item of container.listBlobsFlat({prefix: 'gw/', includeUncommitedBlobs: true})) if (item.name) return true;
			return false;
		};
		const run = await createCutShort(url, azure.env, staged, async () => azure.kill());
		expectOneLine(run, /^lifeboat: azblob:\/\/devstoreaccount1\/cut\/gw\/.*(unreachable|connection)/);
	}, 180_000);

	it('s3: exit 4 in one line; after a restart nothing is listed', async () => {
		const url = 's3://cut/gw/';
		const run = await createCutShort(url, s3.env, () => bytesUnder(path.join(s3.dir, 'cut'), /S3rver_uploads/) > 5 * 1024 * 1024, () => s3.kill());
		expectOneLine(run, /^lifeboat: s3:\/\/cut\/gw\/lifeboat-backup-.*\.zip: .*cannot reach the S3 endpoint/);
		await s3.restart();
		const listed = await runCliAsync(['backup', 'list', '--dest', url, '--json'], s3.env);
		expect(JSON.parse(listed.stdout)).toEqual({ok: true, backups: []});
	}, 180_000);

	it('s3: SIGINT mid-upload is exit 130 in one line, and leaves no object and no multipart upload', async () => {
		const url = 's3://cut/sigint/';
		const uploads = () => bytesUnder(path.join(s3.dir, 'cut'), /S3rver_uploads/);
		const before = uploads();
		const child = spawn(process.execPath, [CLI, 'backup', 'create', '--data-dir', gateway, '--dest', url], {env: {...process.env, ...s3.env}, stdio: ['ignore', 'pipe', 'pipe']});
		let stderr = '';
		child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
		const exited = new Promise<number | null>(resolve => child.on('close', resolve));
		await until(() => uploads() > before + 5 * 1024 * 1024, 'the upload to start');
		child.kill('SIGINT');
		expect(await exited).toBe(130);
		expect(stderr.trim().split('\n')).toEqual(['lifeboat: Interrupted by SIGINT; nothing partial was left behind']);
		const listed = await runCliAsync(['backup', 'list', '--dest', url, '--json'], s3.env);
		expect(JSON.parse(listed.stdout)).toEqual({ok: true, backups: []});
		await until(() => uploads() === before, 'the multipart upload to be aborted', 15_000);
	}, 180_000);

	it('sftp: exit 4 in one line; after a restart nothing is listed', async () => {
		const url = `sftp://${sshd.user}@127.0.0.1:${sshd.port}${sshd.root}/cut/`;
		const env = {LIFEBOAT_SSH_KEY: sshd.keyFile, LIFEBOAT_KNOWN_HOSTS: sshd.knownHostsFile, SSH_AUTH_SOCK: ''};
		const run = await createCutShort(url, env, () => bytesUnder(path.join(sshd.root, 'cut'), /\.lifeboat-partial-/) > 5 * 1024 * 1024, () => sshd.kill());
		expectOneLine(run, new RegExp(`^lifeboat: sftp://${sshd.user}@127\\.0\\.0\\.1:${sshd.port}.*lifeboat-backup-.*\\.zip: .*(connection|lost|reset|refused)`));
		await sshd.restart();
		const listed = await runCliAsync(['backup', 'list', '--dest', url, '--json'], env);
		expect(JSON.parse(listed.stdout)).toEqual({ok: true, backups: []});
	}, 180_000);
});
