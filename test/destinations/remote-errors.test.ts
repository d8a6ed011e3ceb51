/**
 * Permanent remote failures through the CLI: one `lifeboat:` line naming the destination, exit 4,
 * no stack trace, no SDK dump, and nothing written.
 */
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {demoGateway} from '../restore-support.js';
import {startAzurite, type AzuriteServer} from '../servers/azurite-server.js';
import {startS3Server, type S3Server} from '../servers/s3-server.js';
import {runCliAsync, type Run} from './remote-roundtrip.js';

let s3: S3Server;
let azure: AzuriteServer;
let gateway: string;

beforeAll(async () => {
	[s3, azure, gateway] = await Promise.all([startS3Server({buckets: ['errors']}), startAzurite({containers: ['errors']}), demoGateway({tenants: 1, seed: 3})]);
});
afterAll(async () => Promise.all([s3?.stop(), azure?.stop()]));

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
});
