/**
 * Permanent remote failures through the CLI: one `lifeboat:` line naming the destination, exit 4,
 * no stack trace, no SDK dump, and nothing written.
 */
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {demoGateway} from '../restore-support.js';
import {startAzurite, type AzuriteServer} from '../servers/azurite-server.js';
import {startS3Server, type S3Server} from '../servers/s3-server.js';
import {startSshd, type SshdServer} from '../servers/sshd-server.js';
import fs from 'node:fs';
import path from 'node:path';
import {execFileSync} from 'node:child_process';
import {tempDir} from '../helpers/temp-dir.js';
import {runCliAsync, type Run} from './remote-roundtrip.js';

let s3: S3Server;
let azure: AzuriteServer;
let sshd: SshdServer;
let gateway: string;

beforeAll(async () => {
	[s3, azure, sshd, gateway] = await Promise.all([startS3Server({buckets: ['errors']}), startAzurite({containers: ['errors']}), startSshd(), demoGateway({tenants: 1, seed: 3})]);
});
afterAll(async () => Promise.all([s3?.stop(), azure?.stop(), sshd?.stop()]));

function expectOneLine(run: Run, code: number, pattern: RegExp): void {
	expect(run.code, run.stderr).toBe(code);
	const lines = run.stderr.trim().split('\n');
	expect(lines, run.stderr).toHaveLength(1);
	expect(lines[0]).toMatch(/^lifeboat: /);
	expect(lines[0]).toMatch(pattern);
	expect(run.stderr).not.toMatch(/\bat .+:\d+:\d+\)?$/m);
}

describe('remote destinations: permanent failures are one line and exit 4', () => {
	it('s3: wrong credentials, a missing bucket, an unreachable endpoint', async () => {
		const wrongKey = {...s3.env, AWS_ACCESS_KEY_ID: 'WRONGKEYID'};
		for (const args of [['backup', 'list', '--dest', 's3://errors/x/'], ['backup', 'create', '--data-dir', gateway, '--dest', 's3://errors/x/'], ['backup', 'verify', 's3://errors/x/a.zip'], ['destination', 'test', 's3://errors/x/']]) {
			const run = await runCliAsync(args, wrongKey);
			if (args[0] === 'destination') {
				expect(run.code).toBe(4);
				expect(run.stderr).toMatch(/^lifeboat: s3:\/\/errors\/x\/: write failed: .*access denied/m);
			} else expectOneLine(run, 4, /s3:\/\/errors\/x\/.*access denied \(check the credentials/);
			expect(run.stderr).not.toContain(s3.env['AWS_SECRET_ACCESS_KEY']);
		}
		expectOneLine(await runCliAsync(['backup', 'list', '--dest', 's3://no-such-bucket/x/'], s3.env), 4, /s3:\/\/no-such-bucket\/x\/.*no such bucket/);
		expectOneLine(await runCliAsync(['backup', 'list', '--dest', 's3://errors/x/'], {...s3.env, LIFEBOAT_S3_ENDPOINT: 'http://127.0.0.1:9'}), 4, /cannot reach the S3 endpoint http:\/\/127\.0\.0\.1:9/);
		const listed = await runCliAsync(['backup', 'list', '--dest', 's3://errors/x/', '--json'], s3.env);
		expect(JSON.parse(listed.stdout)).toEqual({ok: true, backups: []});
	});

	it('azblob: a wrong key, a missing container, no credentials at all', async () => {
		const wrongKey = {...azure.env, AZURE_STORAGE_KEY: Buffer.from('not the key').toString('base64')};
		for (const args of [['backup', 'list', '--dest', 'azblob://devstoreaccount1/errors/x/'], ['backup', 'create', '--data-dir', gateway, '--dest', 'azblob://devstoreaccount1/errors/x/']]) {
			expectOneLine(await runCliAsync(args, wrongKey), 4, /azblob:\/\/devstoreaccount1\/errors\/x\/.*access denied/);
		}
		expectOneLine(await runCliAsync(['backup', 'list', '--dest', 'azblob://devstoreaccount1/nosuch/x/'], azure.env), 4, /no such container/);
		const none = {...azure.env, AZURE_STORAGE_KEY: '', AZURE_STORAGE_CONNECTION_STRING: '', AZURE_STORAGE_SAS_TOKEN: ''};
		expectOneLine(await runCliAsync(['backup', 'list', '--dest', 'azblob://devstoreaccount1/errors/x/'], none), 4, /AZURE_STORAGE_CONNECTION_STRING/);
		const listed = await runCliAsync(['backup', 'list', '--dest', 'azblob://devstoreaccount1/errors/x/', '--json'], azure.env);
		expect(JSON.parse(listed.stdout)).toEqual({ok: true, backups: []});
	});

	it('sftp: a wrong key, a changed host key, an unknown host (then trusted with --trust-host-key)', async () => {
		const url = `sftp://${sshd.user}@127.0.0.1:${sshd.port}${sshd.root}/errors/`;
		const env = {LIFEBOAT_SSH_KEY: sshd.keyFile, LIFEBOAT_KNOWN_HOSTS: sshd.knownHostsFile, SSH_AUTH_SOCK: ''};
		const dir = tempDir('lifeboat-sftp-errors-');
		const otherKey = path.join(dir, 'other');
		execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', otherKey]);
		for (const args of [['backup', 'list', '--dest', url], ['backup', 'create', '--data-dir', gateway, '--dest', url]]) {
			expectOneLine(await runCliAsync(args, {...env, LIFEBOAT_SSH_KEY: otherKey}), 4, new RegExp(`sftp://${sshd.user}@127\\.0\\.0\\.1:${sshd.port}.*authentication failed for ${sshd.user}`));
		}
		const changed = path.join(dir, 'known_hosts_changed');
		fs.writeFileSync(changed, `[127.0.0.1]:${sshd.port} ${fs.readFileSync(`${otherKey}.pub`, 'utf8').split(' ').slice(0, 2).join(' ')}\n`);
		for (const trust of [[], ['--trust-host-key']]) {
			expectOneLine(await runCliAsync(['backup', 'create', '--data-dir', gateway, '--dest', url, ...trust], {...env, LIFEBOAT_KNOWN_HOSTS: changed}), 4, /does not match/);
		}
		const unknown = path.join(dir, 'known_hosts_empty');
		fs.writeFileSync(unknown, '');
		expectOneLine(await runCliAsync(['backup', 'list', '--dest', url], {...env, LIFEBOAT_KNOWN_HOSTS: unknown}), 4, /is not in .*SHA256:.*--trust-host-key/);
		expect(fs.readFileSync(unknown, 'utf8')).toBe('');
		const trusted = await runCliAsync(['backup', 'list', '--dest', url, '--trust-host-key', '--json'], {...env, LIFEBOAT_KNOWN_HOSTS: unknown});
		expect(trusted.code, trusted.stderr).toBe(0);
		expect(fs.readFileSync(unknown, 'utf8')).toContain(`[127.0.0.1]:${sshd.port} ssh-ed25519 `);
		expect(fs.existsSync(path.join(sshd.root, 'errors'))).toBe(false);
	});
});
