import {execFileSync} from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import {beforeAll, describe, expect, it} from 'vitest';
import {createBackup} from '../source/core/backup/create-backup.js';
import {rawLocal, rawZip, sealedDocuments, sha256} from './helpers/hostile-archives.js';
import {expectOneLineError, runCli, spawnCli} from './helpers/run-cli.js';
import {startServe, tokenFile, waitFor} from './helpers/serve.js';
import {tempDir} from './helpers/temp-dir.js';
import {query, storeDigest} from './restore-support.js';

/** `lifeboat serve`: refusals at startup, TLS, shutdown, concurrent imports, bombs and failures. */
const TOKEN = 'lifecycle-token-0123456789';
const MiB = 1024 * 1024;

type Tenant = {id: string; slug: string};
let root: string;
let dataDir: string;
let tenants: Tenant[];
let tokens: string;

function headers(tenant: Tenant, extra: Record<string, string> = {}): Record<string, string> {
	return {authorization: `Bearer ${TOKEN}`, 'x-tenant-id': tenant.slug, ...extra};
}

beforeAll(() => {
	root = tempDir('lifeboat-serve-life-');
	dataDir = path.join(root, 'gateway');
	expect(runCli(['demo', 'init', '--dir', dataDir, '--tenants', '2', '--seed', '15', '--json']).code).toBe(0);
	tenants = query<Tenant>(dataDir, 'SELECT id, slug FROM tenants ORDER BY slug');
	tokens = tokenFile(root, [TOKEN]);
});

describe('startup refusals', () => {
	it('refuses to start without a token, with a token file others can read, or on a non-loopback host without TLS', () => {
		const env = {LIFEBOAT_API_TOKEN: ''};
		expectOneLineError(runCli(['serve', '--data-dir', dataDir, '--port', '0'], {env}), 2, /needs an API token: pass --token-file/);
		const open = path.join(root, 'open-tokens');
		fs.writeFileSync(open, `${TOKEN}\n`, {mode: 0o644});
		fs.chmodSync(open, 0o644);
		expectOneLineError(runCli(['serve', '--data-dir', dataDir, '--port', '0', '--token-file', open], {env}), 2, /permissions 0644 are too open/);
		const short = path.join(root, 'short-tokens');
		fs.writeFileSync(short, 'abc\n', {mode: 0o600});
		expectOneLineError(runCli(['serve', '--data-dir', dataDir, '--port', '0', '--token-file', short], {env}), 2, /line 1: a token is at least 16 characters/);
		expectOneLineError(runCli(['serve', '--data-dir', dataDir, '--port', '0', '--token-file', tokens, '--host', '0.0.0.0'], {env}), 2, /--host 0\.0\.0\.0 is reachable from other machines/);
		expectOneLineError(runCli(['serve', '--data-dir', path.join(root, 'nowhere'), '--port', '0', '--token-file', tokens], {env}), 3, /does not exist/);
		// Never the token in a message.
		expect(runCli(['serve', '--data-dir', dataDir, '--port', '0', '--token-file', open], {env}).stderr).not.toContain(TOKEN);
	});

	it('refuses a --dest URL holding a password or a SAS token at startup, never printing it (the listening line went to the journal)', async () => {
		for (const dest of ['s3://AKIAEXAMPLE:LEAKpw0123@bucket/', 'azblob://acct/cont/?sv=2022-11-02&sig=LEAKsig0123']) {
			const child = spawnCli(['serve', '--data-dir', dataDir, '--port', '0', '--token-file', tokens, '--dest', dest]);
			let output = '';
			child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
			child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
			// Exits at once when refused; a server that started anyway is stopped once it says so.
			const code = await new Promise<number | null>(resolve => {
				child.on('exit', resolve);
				child.stdout!.on('data', () => output.includes('listening on') && child.kill('SIGTERM'));
			});
			expect(output, dest).not.toMatch(/LEAK/);
			expect(code, output).toBe(2);
			expect(output).toMatch(/^lifeboat: Invalid destination "/);
		}
	});

	it('serves HTTPS with --tls-cert/--tls-key (any host then allowed); LIFEBOAT_API_TOKEN works without a file', async () => {
		const cert = path.join(root, 'cert.pem');
		const key = path.join(root, 'key.pem');
		execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1'], {stdio: 'ignore'});
		const server = await startServe(['--data-dir', dataDir, '--host', '0.0.0.0', '--tls-cert', cert, '--tls-key', key], {LIFEBOAT_API_TOKEN: TOKEN});
		try {
			expect(server.url).toMatch(/^https:\/\/0\.0\.0\.0:\d+$/);
			const port = new URL(server.url).port;
			const body = await new Promise<string>((resolve, reject) => {
				const request = https.get({host: '127.0.0.1', port, path: '/backup/list', headers: headers(tenants[0]!), ca: fs.readFileSync(cert), checkServerIdentity: () => undefined}, response => {
					let text = '';
					response.on('data', chunk => (text += chunk));
					response.on('end', () => resolve(text));
				});
				request.on('error', reject);
			});
			expect(JSON.parse(body)).toMatchObject({ok: true});
		} finally {
			expect((await server.stop()).code).toBe(0);
		}
	});
});

describe('running server', () => {
	it('two imports into one tenant at once: the second gets 409, the first completes; nothing interleaves', async () => {
		const scratch = tempDir('lifeboat-serve-scratch-');
		const dest = tempDir('lifeboat-serve-dest-');
		const server = await startServe(['--data-dir', dataDir, '--dest', dest, '--token-file', tokens], {LIFEBOAT_TMPDIR: scratch});
		try {
			const [acme, globex] = tenants as [Tenant, Tenant];
			const exported = (await (await fetch(`${server.url}/backups/export`, {method: 'POST', headers: headers(globex, {'content-type': 'application/json'}), body: JSON.stringify({categories: ['agents', 'tools']})})).json()) as {bundle: string};
			const backup = Buffer.from(exported.bundle, 'base64');
			// The first import's upload arrives slowly: its lock is held from the moment it starts.
			const boundary = 'lifeboat-test-boundary';
			const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="b.zip"\r\nContent-Type: application/octet-stream\r\n\r\n`);
			const tail = Buffer.from(`\r\n--${boundary}\r\nContent-Disposition: form-data; name="options"\r\n\r\n{"import_tools": true}\r\n--${boundary}--\r\n`);
			const url = new URL(server.url);
			const first = http.request({host: url.hostname, port: url.port, path: '/backup/import', method: 'POST', headers: headers(acme, {'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': String(head.length + backup.length + tail.length)})});
			const firstDone = new Promise<{status: number; body: string}>((resolve, reject) => {
				first.on('response', response => {
					let body = '';
					response.on('data', chunk => (body += chunk));
					response.on('end', () => resolve({status: response.statusCode!, body}));
				});
				first.on('error', reject);
			});
			first.write(head);
			first.write(backup.subarray(0, 100));
			await waitFor(() => fs.readdirSync(scratch).some(name => fs.existsSync(path.join(scratch, name, 'upload'))), 'the first upload to start');
			const before = storeDigest(dataDir);
			const second = await fetch(`${server.url}/backups/import`, {method: 'POST', headers: headers(acme, {'content-type': 'application/json'}), body: JSON.stringify({bundle: exported.bundle})});
			expect(second.status).toBe(409);
			expect(await second.json()).toMatchObject({error: 'Conflict'});
			const secondMultipart = new FormData();
			secondMultipart.append('file', new Blob([backup]), 'b.zip');
			expect((await fetch(`${server.url}/backup/import`, {method: 'POST', headers: headers(acme), body: secondMultipart})).status).toBe(409);
			expect(storeDigest(dataDir)).toEqual(before);
			// Exports and other tenants' dry runs are not held back.
			expect((await fetch(`${server.url}/backups/export`, {method: 'POST', headers: headers(acme, {'content-type': 'application/json'}), body: '{}'})).status).toBe(200);
			first.end(Buffer.concat([backup.subarray(100), tail]));
			const result = await firstDone;
			expect(result.status, result.body.slice(0, 300)).toBe(200);
			expect(JSON.parse(result.body)).toMatchObject({ok: true, dryRun: false});
			// Once it is done, the next import goes through.
			const again = await fetch(`${server.url}/backups/import`, {method: 'POST', headers: headers(acme, {'content-type': 'application/json'}), body: JSON.stringify({bundle: exported.bundle, options: {dry_run: true}})});
			expect(again.status).toBe(200);
			// Every scratch folder was removed.
			await waitFor(() => fs.readdirSync(scratch).length === 0, 'scratch folders removed');
		} finally {
			await server.stop();
		}
	});

	it('concurrent exports with default names into one folder all succeed, under distinct names (-2, -3…)', async () => {
		const dest = path.join(tempDir(), 'not-made-yet');
		const server = await startServe(['--data-dir', dataDir, '--dest', dest, '--token-file', tokens]);
		try {
			const answers = await Promise.all(
				Array.from({length: 8}, async (_, index) => {
					const response = await fetch(`${server.url}/backup/export`, {method: 'POST', headers: headers(tenants[index % 2]!, {'content-type': 'application/json'}), body: JSON.stringify({create_zip: index % 4 !== 0})});
					const body = (await response.json()) as {file: string; sha256: string};
					expect(response.status, JSON.stringify(body)).toBe(200);
					return body;
				}),
			);
			const files = answers.map(answer => answer.file);
			expect(new Set(files).size).toBe(8);
			expect(fs.readdirSync(dest).sort()).toEqual([...files].sort());
			for (const answer of answers) expect(crypto.createHash('sha256').update(fs.readFileSync(path.join(dest, answer.file))).digest('hex')).toBe(answer.sha256);
		} finally {
			await server.stop();
		}
	});

	it('a zip bomb upload is refused (422) before inflating; the server keeps serving', async () => {
		const [acme] = tenants as [Tenant];
		const documents = await createBackup({dataDir, destDir: tempDir(), format: 'dir', categories: ['documents'], tenant: acme.slug});
		const metadata = fs.readFileSync(path.join(documents.path, 'metadata.json'));
		const bomb = rawLocal('documents/files/doc_0.bin', Buffer.alloc(64 * MiB));
		const names = Array.from({length: 2000}, (_, index) => `documents/files/doc_${index}.bin`);
		const digest = sha256(Buffer.alloc(64 * MiB));
		const sealed = sealedDocuments(metadata, names.map(name => ({path: name, size: 64 * MiB, sha256: digest})));
		const zip = rawZip([rawLocal('metadata.json', sealed.metadata), bomb, rawLocal('manifest.json', sealed.manifest)], [{name: 'metadata.json', local: 0}, ...names.map(name => ({name, local: 1})), {name: 'manifest.json', local: 2}]);
		const server = await startServe(['--data-dir', dataDir, '--dest', tempDir(), '--token-file', tokens]);
		try {
			const before = storeDigest(dataDir);
			const form = new FormData();
			form.append('file', new Blob([zip]), 'bomb.zip');
			const response = await fetch(`${server.url}/backup/import`, {method: 'POST', headers: headers(acme), body: form});
			const body = (await response.json()) as {error: string; detail: string};
			expect(response.status).toBe(422);
			expect(body.error).toBe('Invalid backup format');
			expect(body.detail).toMatch(/decompression bomb/);
			expect(body.detail).not.toMatch(/lifeboat-serve-/);
			const bundle = await fetch(`${server.url}/backups/import`, {method: 'POST', headers: headers(acme, {'content-type': 'application/json'}), body: JSON.stringify({bundle: zip.toString('base64')})});
			expect(bundle.status).toBe(422);
			expect(storeDigest(dataDir)).toEqual(before);
			expect((await fetch(`${server.url}/backup/list`, {headers: headers(acme)})).status).toBe(200);
		} finally {
			await server.stop();
		}
	});

	it('an import that fails on the server is 500 "Import failed" with a log id found in the error and access log lines', async () => {
		const copy = path.join(tempDir(), 'gateway');
		fs.cpSync(dataDir, copy, {recursive: true});
		const server = await startServe(['--data-dir', copy, '--dest', tempDir(), '--token-file', tokens]);
		try {
			const [acme] = tenants as [Tenant];
			const exported = (await (await fetch(`${server.url}/backups/export`, {method: 'POST', headers: headers(acme, {'content-type': 'application/json'}), body: JSON.stringify({categories: ['tools']})})).json()) as {bundle: string};
			// A file where the restore's staging folder goes: the restore cannot start.
			fs.writeFileSync(path.join(copy, '.lifeboat-restore'), 'in the way');
			const response = await fetch(`${server.url}/backups/import`, {method: 'POST', headers: headers(acme, {'content-type': 'application/json'}), body: JSON.stringify({bundle: exported.bundle})});
			const body = (await response.json()) as {error: string; log_id: string};
			expect(response.status).toBe(500);
			expect(body.error).toBe('Import failed');
			expect(body.log_id).toMatch(/^[0-9a-f]{12}$/);
			await waitFor(() => server.log.filter(line => line['log_id'] === body.log_id).length === 2, 'the error and access lines');
			const [error, access] = server.log.filter(line => line['log_id'] === body.log_id);
			expect(error).toMatchObject({level: 'error', route: '/backups/import'});
			expect(String(error!['error'])).not.toBe('');
			expect(access).toMatchObject({method: 'POST', route: '/backups/import', status: 500, tenant: acme.id});
			fs.rmSync(path.join(copy, '.lifeboat-restore'));
			expect((await fetch(`${server.url}/backups/import`, {method: 'POST', headers: headers(acme, {'content-type': 'application/json'}), body: JSON.stringify({bundle: exported.bundle})})).status).toBe(200);
		} finally {
			await server.stop();
		}
	});

	it('SIGTERM lets a running export finish, then exits 0', async () => {
		const scratch = tempDir('lifeboat-serve-scratch-');
		const server = await startServe(['--data-dir', dataDir, '--dest', tempDir(), '--token-file', tokens], {LIFEBOAT_TMPDIR: scratch});
		const [acme] = tenants as [Tenant];
		const running = fetch(`${server.url}/backups/export`, {method: 'POST', headers: headers(acme, {'content-type': 'application/json'}), body: '{}'});
		await waitFor(() => fs.readdirSync(scratch).length > 0, 'the export to start');
		const stopped = server.stop('SIGTERM');
		const response = await running;
		expect(response.status).toBe(200);
		const answer = (await response.json()) as {bundle: string; sha256: string};
		expect(crypto.createHash('sha256').update(Buffer.from(answer.bundle, 'base64')).digest('hex')).toBe(answer.sha256);
		expect((await stopped).code).toBe(0);
		expect(server.stdout()).toMatch(/lifeboat serve: stopped/);
	});
});
