import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {runCli} from './helpers/run-cli.js';
import {startServe, tokenFile, type Served} from './helpers/serve.js';
import {tempDir} from './helpers/temp-dir.js';
import {query} from './restore-support.js';

/**
 * `lifeboat serve` whose scratch folder has no room for an upload: the server runs under a file
 * size limit of 200 KB (prlimit), so an upload of 400 KB fails to be written (EFBIG) as it would on
 * a full disk. The client gets 507 with a JSON error, as a backup on a full disk gets, not a 500.
 */
const TOKEN = 'no-room-full-0123456789';
const LIMIT = 200 * 1024;
const BOUNDARY = 'no-room-boundary';

let root: string;
let server: Served;
let tenant: string;

beforeAll(async () => {
	root = tempDir('lifeboat-serve-no-room-');
	const dataDir = path.join(root, 'gateway');
	const scratch = path.join(root, 'scratch');
	fs.mkdirSync(scratch);
	expect(runCli(['demo', 'init', '--dir', dataDir, '--tenants', '1', '--seed', '21', '--json']).code).toBe(0);
	tenant = query<{slug: string}>(dataDir, 'SELECT slug FROM tenants')[0]!.slug;
	const tokens = tokenFile(root, [TOKEN]);
	server = await startServe(['--data-dir', dataDir, '--dest', path.join(root, 'backups'), '--token-file', tokens], {LIFEBOAT_TMPDIR: scratch}, ['prlimit', `--fsize=${LIMIT}`]);
});

afterAll(async () => {
	await server?.stop();
});

const headers = (contentType: string) => ({authorization: `Bearer ${TOKEN}`, 'x-tenant-id': tenant, 'content-type': contentType});

async function expectInsufficientStorage(response: Response): Promise<void> {
	expect(response.status).toBe(507);
	const body = (await response.json()) as {error: string; detail?: string; code?: string};
	expect(body.error).toBe('Insufficient storage');
	expect(body.detail).toMatch(/^the upload: file too large/);
	expect(body.code).toBe('disk-full');
}

describe('an upload with no room in the scratch folder', () => {
	const bytes = crypto.randomBytes(2 * LIMIT);

	it('POST /backups/import (a base64 bundle) answers 507, not 500', async () => {
		const response = await fetch(`${server.url}/backups/import`, {method: 'POST', headers: headers('application/json'), body: JSON.stringify({bundle: bytes.toString('base64')})});
		await expectInsufficientStorage(response);
	});

	it('POST /backup/import (multipart) answers 507, not 500', async () => {
		const head = Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="b.zip"\r\nContent-Type: application/octet-stream\r\n\r\n`);
		const body = Buffer.concat([head, bytes, Buffer.from(`\r\n--${BOUNDARY}--\r\n`)]);
		const response = await fetch(`${server.url}/backup/import`, {method: 'POST', headers: headers(`multipart/form-data; boundary=${BOUNDARY}`), body});
		await expectInsufficientStorage(response);
	});

	it('still answers afterwards', async () => {
		expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
	});
});
