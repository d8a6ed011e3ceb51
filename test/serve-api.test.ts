import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {runCli} from './helpers/run-cli.js';
import {startServe, tokenFile, type Served} from './helpers/serve.js';
import {tempDir} from './helpers/temp-dir.js';
import {query, storeDigest} from './restore-support.js';

/**
 * `lifeboat serve` over real HTTP on 127.0.0.1 (the built CLI, --port 0): every route, and every
 * rejection answers JSON with the right status, writes nothing and leaves the server serving.
 */
const FULL = 'full-token-0123456789abcdef';
const ACME_ONLY = 'acme-token-0123456789abcdef';
const READ_ONLY = 'read-token-0123456789abcdef';
const GLOBEX_ONLY = 'globex-token-0123456789abcd';

type Tenant = {id: string; slug: string};

let dataDir: string;
let dest: string;
let server: Served;
let acme: Tenant;
let globex: Tenant;

type Call = {method?: string; token?: string | null; tenant?: string | null; json?: unknown; body?: BodyInit; headers?: Record<string, string>};

async function api(route: string, call: Call = {}): Promise<Response> {
	const headers: Record<string, string> = {...call.headers};
	const token = call.token === undefined ? FULL : call.token;
	if (token) headers['authorization'] = `Bearer ${token}`;
	const tenant = call.tenant === undefined ? acme.slug : call.tenant;
	if (tenant) headers['x-tenant-id'] = tenant;
	let body = call.body;
	if (call.json !== undefined) {
		headers['content-type'] = 'application/json';
		body = JSON.stringify(call.json);
	}
	return fetch(server.url + route, {method: call.method ?? (body === undefined ? 'GET' : 'POST'), headers, body});
}

async function expectError(response: Response, status: number, error: string | RegExp): Promise<Record<string, unknown>> {
	const text = await response.text();
	expect(response.status, text).toBe(status);
	expect(response.headers.get('content-type')).toMatch(/application\/json/);
	const body = JSON.parse(text) as Record<string, unknown>;
	if (typeof error === 'string') expect(body['error']).toBe(error);
	else expect(body['error']).toMatch(error);
	return body;
}

function rowCount(tenant: Tenant, table: string): number {
	return query<{n: number}>(dataDir, `SELECT COUNT(*) AS n FROM ${table} WHERE tenant_id = ?`, tenant.id)[0]!.n;
}

/** Raw HTTP for paths fetch would normalise (`../`, `%2e%2e`): sent exactly as written. */
function rawRequest(pathText: string, headers: Record<string, string>, method = 'GET'): Promise<{status: number; body: string}> {
	const url = new URL(server.url);
	return new Promise((resolve, reject) => {
		const request = http.request({host: url.hostname, port: url.port, path: pathText, method, headers}, response => {
			let body = '';
			response.on('data', chunk => (body += chunk));
			response.on('end', () => {
				resolve({status: response.statusCode!, body});
				request.destroy();
			});
		});
		request.on('error', reject);
		// A declared body is never sent: the server must answer from the headers alone.
		if (headers['content-length']) request.flushHeaders();
		else request.end();
	});
}

/**
 * Sends `body` in 64 KiB writes, each awaited, whatever the server answers meanwhile; resolves
 * with the answer, or rejects with the client's write error (a connection cut mid-upload).
 */
function uploadAll(pathText: string, headers: Record<string, string>, body: Buffer, options: {chunked?: boolean} = {}): Promise<{status: number; body: string}> {
	const url = new URL(server.url);
	return new Promise((resolve, reject) => {
		const length = options.chunked ? {} : {'content-length': String(body.length)};
		const request = http.request({host: url.hostname, port: url.port, path: pathText, method: 'POST', headers: {...headers, ...length}}, response => {
			let text = '';
			response.on('data', chunk => (text += chunk));
			response.on('end', () => resolve({status: response.statusCode!, body: text}));
		});
		request.on('error', reject);
		const write = async () => {
			for (let offset = 0; offset < body.length; offset += 64 * 1024) {
				await new Promise<void>((done, failed) => request.write(body.subarray(offset, offset + 64 * 1024), error => (error ? failed(error) : done())));
			}
			request.end();
		};
		write().catch(reject);
	});
}

/**
 * Sends `head`, then zeros up to `declared` bytes in all, until the server answers or closes the
 * connection: how much was written (each write's callback fired) by then, and what ended it.
 */
function sendUntilStopped(pathText: string, headers: Record<string, string>, head: Buffer, declared: number): Promise<{sent: number; status?: number; error?: string}> {
	const url = new URL(server.url);
	return new Promise(resolve => {
		let sent = 0;
		let stopped = false;
		const stop = (outcome: {status?: number; error?: string}) => {
			if (stopped) return;
			stopped = true;
			resolve({sent, ...outcome});
			request.destroy();
		};
		const request = http.request({host: url.hostname, port: url.port, path: pathText, method: 'POST', headers: {...headers, 'content-length': String(declared)}}, response => {
			response.resume();
			stop({status: response.statusCode});
		});
		request.on('error', error => stop({error: (error as NodeJS.ErrnoException).code ?? error.message}));
		const zeros = Buffer.alloc(64 * 1024);
		const write = async () => {
			await new Promise<void>((done, failed) => request.write(head, error => (error ? failed(error) : done())));
			sent += head.length;
			while (!stopped && sent < declared) {
				const chunk = zeros.subarray(0, Math.min(zeros.length, declared - sent));
				await new Promise<void>((done, failed) => request.write(chunk, error => (error ? failed(error) : done())));
				sent += chunk.length;
			}
			request.end();
		};
		write().catch((error: NodeJS.ErrnoException) => stop({error: error.code ?? error.message}));
	});
}

function multipart(file: Buffer, options?: unknown): FormData {
	const form = new FormData();
	form.append('file', new Blob([file]), 'backup.zip');
	if (options !== undefined) form.append('options', typeof options === 'string' ? options : JSON.stringify(options));
	return form;
}

beforeAll(async () => {
	const root = tempDir('lifeboat-serve-');
	dataDir = path.join(root, 'gateway');
	dest = path.join(root, 'backups');
	expect(runCli(['demo', 'init', '--dir', dataDir, '--tenants', '2', '--seed', '14', '--json']).code).toBe(0);
	[acme, globex] = query<Tenant>(dataDir, 'SELECT id, slug FROM tenants ORDER BY slug');
	const tokens = tokenFile(root, ['# test tokens', FULL, `${ACME_ONLY} tenants=${acme!.slug}`, `${READ_ONLY} tenants=${acme!.id} read-only`, `${GLOBEX_ONLY} tenants=${globex!.slug}`]);
	server = await startServe(['--data-dir', dataDir, '--dest', dest, '--token-file', tokens, '--upload-limit-mb', '2']);
});

afterAll(async () => {
	await server?.stop();
});

describe('health, OpenAPI, auth and tenant checks', () => {
	it('/healthz needs no token; /openapi.json needs one and lists every route', async () => {
		expect(await (await fetch(`${server.url}/healthz`)).json()).toMatchObject({ok: true});
		const denied = await expectError(await fetch(`${server.url}/openapi.json`), 401, 'Unauthorized');
		expect(denied['detail']).toMatch(/Bearer/);
		const document = (await (await api('/openapi.json', {tenant: null})).json()) as {openapi: string; paths: Record<string, unknown>};
		expect(document.openapi).toMatch(/^3\./);
		expect(Object.keys(document.paths).sort()).toEqual(['/backup/delete/{name}', '/backup/download/{name}', '/backup/export', '/backup/import', '/backup/list', '/backups/export', '/backups/import', '/healthz', '/openapi.json']);
	});

	it('401 without a token, with an unknown one, and without a tenant; 403 for an unknown tenant or one the token is not for', async () => {
		const missing = await api('/backup/list', {token: null});
		expect(missing.headers.get('www-authenticate')).toBe('Bearer');
		await expectError(missing, 401, 'Unauthorized');
		await expectError(await api('/backup/list', {token: 'not-a-token-0123456789abc'}), 401, 'Unauthorized');
		await expectError(await api('/backup/list', {headers: {authorization: `Basic ${FULL}`}, token: null}), 401, 'Unauthorized');
		await expectError(await api('/backup/list', {tenant: null}), 401, 'Unauthorized');
		await expectError(await api('/backup/list', {tenant: 'no-such-tenant'}), 403, 'Permission denied');
		await expectError(await api('/backup/list', {token: ACME_ONLY, tenant: globex.slug}), 403, 'Permission denied');
		await expectError(await api('/backup/list', {token: ACME_ONLY, tenant: globex.id}), 403, 'Permission denied');
		expect((await api('/backup/list', {token: ACME_ONLY, tenant: acme.id})).status).toBe(200);
		// Nor write it: export, import, delete for tenant B with a tenant-A token.
		const before = storeDigest(dataDir);
		await expectError(await api('/backup/export', {token: ACME_ONLY, tenant: globex.slug, json: {}}), 403, 'Permission denied');
		await expectError(await api('/backups/export', {token: ACME_ONLY, tenant: globex.slug, json: {}}), 403, 'Permission denied');
		await expectError(await api('/backup/import', {token: ACME_ONLY, tenant: globex.slug, body: multipart(Buffer.from('x'))}), 403, 'Permission denied');
		await expectError(await api('/backups/import', {token: ACME_ONLY, tenant: globex.slug, json: {bundle: 'AAAA'}}), 403, 'Permission denied');
		await expectError(await api('/backup/delete/x', {token: ACME_ONLY, tenant: globex.slug, method: 'DELETE'}), 403, 'Permission denied');
		expect(storeDigest(dataDir)).toEqual(before);
		// A read-only token limited by tenant id matches the slug too.
		expect((await api('/backup/list', {token: READ_ONLY})).status).toBe(200);
		// Never a token in the log.
		expect(server.stderr()).not.toContain(FULL);
		expect(server.stderr()).not.toContain('not-a-token');
	});

	it('a read-only token cannot export, import or delete (403, nothing written)', async () => {
		const before = storeDigest(dataDir);
		await expectError(await api('/backup/export', {token: READ_ONLY, json: {}}), 403, 'Permission denied');
		await expectError(await api('/backups/export', {token: READ_ONLY, json: {}}), 403, 'Permission denied');
		await expectError(await api('/backup/import', {token: READ_ONLY, body: multipart(Buffer.from('x'))}), 403, 'Permission denied');
		await expectError(await api('/backups/import', {token: READ_ONLY, json: {bundle: 'AAAA'}}), 403, 'Permission denied');
		await expectError(await api('/backup/delete/anything', {token: READ_ONLY, method: 'DELETE'}), 403, 'Permission denied');
		expect(fs.existsSync(dest) ? fs.readdirSync(dest) : []).toEqual([]);
		expect(storeDigest(dataDir)).toEqual(before);
	});

	it('the access log has one JSON line per request: method, route, status, ms, tenant; no token, no body', () => {
		const lines = server.log.filter(line => line['route'] === '/backup/list');
		expect(lines.length).toBeGreaterThan(5);
		for (const line of lines) {
			expect(Object.keys(line).sort()).toEqual(['log_id', 'method', 'ms', 'route', 'status', 'tenant', 'time', 'user']);
			expect(typeof line['ms']).toBe('number');
		}
		expect(lines.some(line => line['status'] === 200 && line['tenant'] === acme.id)).toBe(true);
	});
});

describe('agentic framework routes', () => {
	let exported: {name: string; file: string; size: number; sha256: string; counts: Record<string, number>; tenant: string};

	it('POST /backup/export writes a backup of the tenant and answers its name, size, sha256 and counts', async () => {
		const response = await api('/backup/export', {json: {backup_name: 'acme_1', include_memory: true, include_tools: true, include_scheduled_tasks: false}});
		expect(response.status).toBe(200);
		exported = (await response.json()) as typeof exported;
		expect(exported).toMatchObject({name: 'acme_1', file: 'acme_1.zip', tenant: acme.slug, categories: ['agents', 'workflows', 'memory', 'tools']});
		const bytes = fs.readFileSync(path.join(dest, 'acme_1.zip'));
		expect(exported.size).toBe(bytes.length);
		expect(exported.sha256).toBe(crypto.createHash('sha256').update(bytes).digest('hex'));
		expect(exported.counts['agents']).toBe(rowCount(acme, 'agents'));
		// The same name again is a conflict, not an overwrite.
		await expectError(await api('/backup/export', {json: {backup_name: 'acme_1'}}), 409, 'Conflict');
	});

	it('create_zip false writes a tar.gz; export_path is a sub-folder; include_config needs an unlimited token', async () => {
		const tar = (await (await api('/backup/export', {json: {backup_name: 'acme_tar', create_zip: false, export_path: 'nightly'}})).json()) as {file: string};
		expect(tar.file).toBe('acme_tar.tar.gz');
		expect(fs.existsSync(path.join(dest, 'nightly', 'acme_tar.tar.gz'))).toBe(true);
		const listed = (await (await api('/backup/list?export_path=nightly')).json()) as {backups: Array<{file: string}>};
		expect(listed.backups.map(backup => backup.file)).toEqual(['acme_tar.tar.gz']);
		await expectError(await api('/backup/export', {token: ACME_ONLY, json: {include_config: true}}), 403, 'Permission denied');
		for (const exportPath of ['../out', '/etc', '..', 'a/b', '%2e%2e', 'a\\b', 'C:x']) {
			await expectError(await api('/backup/export', {json: {export_path: exportPath}}), 400, 'Bad request');
		}
		for (const name of ['../x', '.hidden', 'a/b', '%2e%2e']) await expectError(await api('/backup/export', {json: {backup_name: name}}), 400, 'Bad request');
		await expectError(await api('/backup/export', {json: {include_memory: 'yes'}}), 400, 'Bad request');
		await expectError(await api('/backup/export', {json: {unknown_option: true}}), 400, 'Bad request');
		await expectError(await api('/backup/export', {body: '{"backup_name":', headers: {'content-type': 'application/json'}}), 400, 'Bad request');
		expect(fs.readdirSync(path.dirname(dest)).sort()).toEqual(['backups', 'gateway', 'tokens']);
	});

	it('GET /backup/list shows the tenant its own backups only; whole-gateway backups only to unlimited tokens', async () => {
		expect(runCli(['backup', 'create', '--data-dir', dataDir, '--dest', dest, '--name', 'whole', '--json']).code).toBe(0);
		const globexExport = await api('/backup/export', {token: GLOBEX_ONLY, tenant: globex.slug, json: {backup_name: 'globex_1'}});
		expect(globexExport.status).toBe(200);
		const names = async (token: string, tenant: string) => ((await (await api('/backup/list', {token, tenant})).json()) as {backups: Array<{file: string; tenant: string | null}>}).backups.map(backup => backup.file).sort();
		expect(await names(FULL, acme.slug)).toEqual(['acme_1.zip', 'whole.zip']);
		expect(await names(ACME_ONLY, acme.slug)).toEqual(['acme_1.zip']);
		expect(await names(GLOBEX_ONLY, globex.slug)).toEqual(['globex_1.zip']);
		expect(await names(FULL, globex.slug)).toEqual(['globex_1.zip', 'whole.zip']);
		const listed = (await (await api('/backup/list')).json()) as {ok: boolean; backups: Array<Record<string, unknown>>};
		expect(listed.ok).toBe(true);
		expect(listed.backups.every(backup => backup['path'] === undefined)).toBe(true);
	});

	it('GET /backup/download streams the backup with Content-Length; Range gives 206, out of range 416', async () => {
		const whole = await api('/backup/download/acme_1');
		expect(whole.status).toBe(200);
		expect(whole.headers.get('content-length')).toBe(String(exported.size));
		expect(whole.headers.get('accept-ranges')).toBe('bytes');
		const bytes = Buffer.from(await whole.arrayBuffer());
		expect(crypto.createHash('sha256').update(bytes).digest('hex')).toBe(exported.sha256);
		const part = await api('/backup/download/acme_1.zip', {headers: {range: 'bytes=100-199'}});
		expect(part.status).toBe(206);
		expect(part.headers.get('content-range')).toBe(`bytes 100-199/${exported.size}`);
		expect(Buffer.from(await part.arrayBuffer())).toEqual(bytes.subarray(100, 200));
		const tail = await api('/backup/download/acme_1.zip', {headers: {range: 'bytes=-10'}});
		expect(tail.status).toBe(206);
		expect(Buffer.from(await tail.arrayBuffer())).toEqual(bytes.subarray(bytes.length - 10));
		const open = await api('/backup/download/acme_1.zip', {headers: {range: `bytes=${exported.size - 5}-`}});
		expect(Buffer.from(await open.arrayBuffer())).toEqual(bytes.subarray(bytes.length - 5));
		const outside = await api('/backup/download/acme_1.zip', {headers: {range: `bytes=${exported.size}-`}});
		expect(outside.headers.get('content-range')).toBe(`bytes */${exported.size}`);
		await expectError(outside, 416, 'Range not satisfiable');
		// Read-only tokens may download.
		expect((await api('/backup/download/acme_1', {token: READ_ONLY})).status).toBe(200);
	});

	it('a tenant cannot read, download or delete another tenant\'s backup (404: its name does not leak)', async () => {
		await expectError(await api('/backup/download/globex_1', {token: ACME_ONLY}), 404, 'Backup not found');
		await expectError(await api('/backup/download/globex_1'), 404, 'Backup not found');
		await expectError(await api('/backup/delete/globex_1', {token: ACME_ONLY, method: 'DELETE'}), 404, 'Backup not found');
		await expectError(await api('/backup/download/whole', {token: ACME_ONLY}), 404, 'Backup not found');
		await expectError(await api('/backup/download/acme_1', {token: GLOBEX_ONLY, tenant: globex.slug}), 404, 'Backup not found');
		expect(fs.existsSync(path.join(dest, 'globex_1.zip'))).toBe(true);
	});

	it('names with traversal are refused with 400 before anything is read', async () => {
		const headers = {authorization: `Bearer ${FULL}`, 'x-tenant-id': acme.slug};
		for (const name of ['%2e%2e', '..', '..%2f..%2fetc%2fpasswd', '%2e%2e%2fwhole.zip', '..%5cwhole.zip', '..\\whole.zip', '%252e%252e', '%2fetc%2fpasswd', 'a%00b']) {
			for (const [route, method] of [['/backup/download/', 'GET'], ['/backup/delete/', 'DELETE']] as const) {
				const raw = await rawRequest(route + name, headers, method);
				expect(raw.status, `${method} ${route}${name}`).toBe(400);
				expect(JSON.parse(raw.body)).toMatchObject({error: 'Bad request'});
			}
		}
		// `../` segments: either a bad name or no such route, never a file outside the destination.
		const raw = await rawRequest('/backup/download/../../etc/passwd', headers);
		expect([400, 404]).toContain(raw.status);
		expect(JSON.parse(raw.body)).toHaveProperty('error');
		expect(fs.existsSync(path.join(dest, 'whole.zip'))).toBe(true);
		await expectError(await api('/backup/download/nope'), 404, 'Backup not found');
		expect((await api('/backup/list')).status).toBe(200);
	});

	it('DELETE /backup/delete removes the backup; then it is not found', async () => {
		await api('/backup/export', {json: {backup_name: 'acme_gone'}});
		const deleted = (await (await api('/backup/delete/acme_gone', {method: 'DELETE'})).json()) as {ok: boolean; deleted: string};
		expect(deleted).toMatchObject({ok: true, deleted: 'acme_gone.zip'});
		expect(fs.existsSync(path.join(dest, 'acme_gone.zip'))).toBe(false);
		await expectError(await api('/backup/delete/acme_gone', {method: 'DELETE'}), 404, 'Backup not found');
	});

	it('POST /backup/import: a dry run plans, an import restores into the request\'s tenant (ids remapped), the other tenant untouched', async () => {
		const backup = fs.readFileSync(path.join(dest, 'acme_1.zip'));
		const before = storeDigest(dataDir);
		const plan = (await (await api('/backup/import', {tenant: globex.slug, body: multipart(backup, {dry_run: true, import_memory: true})})).json()) as Record<string, any>;
		expect(plan).toMatchObject({ok: true, dryRun: true, chain: null});
		expect(plan['plan'].targetTenant).toMatchObject({id: globex.id, exists: true});
		expect(plan['plan'].categories.map((category: {category: string}) => category.category).sort()).toEqual(['agents', 'memory', 'tools', 'workflows']);
		expect(Array.isArray(plan['checklist'])).toBe(true);
		expect(storeDigest(dataDir)).toEqual(before);

		const acmeAgents = rowCount(acme, 'agents');
		const globexAgents = rowCount(globex, 'agents');
		const acmeDigest = query(dataDir, 'SELECT * FROM agents WHERE tenant_id = ? ORDER BY id', acme.id);
		const response = await api('/backup/import', {tenant: globex.slug, body: multipart(backup, {import_agents: true, import_workflows: true, overwrite_existing: false})});
		const result = (await response.json()) as Record<string, any>;
		expect(response.status, JSON.stringify(result).slice(0, 300)).toBe(200);
		expect(result).toMatchObject({ok: true, dryRun: false});
		expect(Object.keys(result)).toEqual(expect.arrayContaining(['plan', 'restoreId', 'applied', 'appliedCategories', 'secretsToReenter', 'warnings', 'chain', 'checklist']));
		expect(rowCount(globex, 'agents')).toBe(globexAgents + acmeAgents);
		expect(query(dataDir, 'SELECT * FROM agents WHERE tenant_id = ? ORDER BY id', acme.id)).toEqual(acmeDigest);
		// The same JSON as the CLI's backup restore --json (same keys).
		const cli = runCli(['backup', 'restore', '--in', path.join(dest, 'acme_1.zip'), '--data-dir', dataDir, '--into-tenant', globex.slug, '--only', 'agents,workflows,tools', '--dry-run', '--json']);
		expect(Object.keys(JSON.parse(cli.stdout) as object).sort()).toEqual(Object.keys(plan).sort());
	});

	it('bad uploads: not a backup (400), corrupt (422), oversized (413), malformed multipart or options (400), JSON instead of multipart (415): nothing written, the server keeps serving', async () => {
		const before = storeDigest(dataDir);
		const good = fs.readFileSync(path.join(dest, 'acme_1.zip'));
		await expectError(await api('/backup/import', {body: multipart(Buffer.from('hello, not a backup'))}), 400, 'Invalid backup format');
		const corrupt = Buffer.from(good);
		corrupt.fill(0x55, Math.floor(corrupt.length / 2), Math.floor(corrupt.length / 2) + 64);
		await expectError(await api('/backup/import', {body: multipart(corrupt)}), 422, 'Invalid backup format');
		await expectError(await api('/backup/import', {body: multipart(crypto.randomBytes(3 * 1024 * 1024))}), 413, 'Payload too large');
		await expectError(await api('/backup/import', {body: multipart(good, '{not json')}), 400, 'Bad request');
		await expectError(await api('/backup/import', {body: multipart(good, {import_agents: 'yes'})}), 400, 'Bad request');
		await expectError(await api('/backup/import', {body: multipart(good, {dry_run: true, surprise: 1})}), 400, 'Bad request');
		// A second options field would otherwise win: a dry run asked for first would become a real import.
		const twice = multipart(good, {dry_run: true});
		twice.append('options', JSON.stringify({import_agents: true}));
		await expectError(await api('/backup/import', {body: twice}), 400, 'Bad request');
		await expectError(await api('/backup/import', {body: '--x\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\nabc', headers: {'content-type': 'multipart/form-data; boundary=x'}}), 400, /Bad request|Invalid backup format/);
		await expectError(await api('/backup/import', {json: {file: 'x'}}), 415, 'Unsupported media type');
		const noFile = new FormData();
		noFile.append('options', '{}');
		await expectError(await api('/backup/import', {body: noFile}), 400, 'Bad request');
		// A whole-gateway backup is not imported into one tenant.
		await expectError(await api('/backup/import', {body: multipart(fs.readFileSync(path.join(dest, 'whole.zip')))}), 400, 'Bad request');
		expect(storeDigest(dataDir)).toEqual(before);
		expect((await api('/backup/list')).status).toBe(200);
	});
});

describe('ATLAS bundle routes', () => {
	it('POST /backups/export answers a base64 bundle that verifies; /backups/import plans and restores it', async () => {
		const response = await api('/backups/export', {token: GLOBEX_ONLY, tenant: globex.slug, json: {format: 'tar.gz', categories: ['agents', 'chats']}});
		expect(response.status).toBe(200);
		const answer = (await response.json()) as {bundle: string; name: string; size: number; sha256: string; tenant: string; format: string};
		const bytes = Buffer.from(answer.bundle, 'base64');
		expect(bytes.length).toBe(answer.size);
		expect(crypto.createHash('sha256').update(bytes).digest('hex')).toBe(answer.sha256);
		expect(answer).toMatchObject({tenant: globex.slug, format: 'tar.gz'});
		const file = path.join(tempDir(), 'bundle.tar.gz');
		fs.writeFileSync(file, bytes);
		expect(runCli(['backup', 'verify', file, '--json']).code).toBe(0);

		const plan = (await (await api('/backups/import', {json: {bundle: answer.bundle, options: {dry_run: true}}})).json()) as Record<string, any>;
		expect(plan).toMatchObject({ok: true, dryRun: true});
		expect(plan['plan'].targetTenant.id).toBe(acme.id);
		const before = rowCount(acme, 'conversations');
		const result = (await (await api('/backups/import', {json: {bundle: answer.bundle, options: {only: ['chats']}}})).json()) as Record<string, any>;
		expect(result).toMatchObject({ok: true, dryRun: false});
		expect(rowCount(acme, 'conversations')).toBe(before + rowCount(globex, 'conversations'));
	});

	it('format json: the bundle is a Lifeboat JSON bundle that verifies and imports; include_files puts the document files in', async () => {
		const response = await api('/backups/export', {token: GLOBEX_ONLY, tenant: globex.slug, json: {format: 'json', categories: ['chats', 'documents']}});
		expect(response.status).toBe(200);
		const answer = (await response.json()) as {bundle: string; name: string; format: string};
		expect(answer.format).toBe('json');
		const bytes = Buffer.from(answer.bundle, 'base64');
		expect(bytes.subarray(0, 40).toString()).toMatch(/^\{"kind":"lifeboat-bundle"/);
		const file = path.join(tempDir(), 'bundle.json');
		fs.writeFileSync(file, bytes);
		const verified = runCli(['backup', 'verify', file, '--json']);
		expect(verified.code).toBe(0);
		expect((JSON.parse(verified.stdout) as {metadata: {omittedDocumentFiles?: unknown}}).metadata.omittedDocumentFiles).toBeDefined();
		const plan = (await (await api('/backups/import', {json: {bundle: answer.bundle, options: {dry_run: true}}})).json()) as Record<string, any>;
		expect(plan).toMatchObject({ok: true, dryRun: true});
		expect(plan['plan'].targetTenant.id).toBe(acme.id);

		const withFiles = (await (await api('/backups/export', {token: GLOBEX_ONLY, tenant: globex.slug, json: {format: 'json', categories: ['documents'], include_files: true}})).json()) as {bundle: string};
		const full = path.join(tempDir(), 'full.json');
		fs.writeFileSync(full, Buffer.from(withFiles.bundle, 'base64'));
		const fullVerify = JSON.parse(runCli(['backup', 'verify', full, '--json']).stdout) as {ok: boolean; metadata: {omittedDocumentFiles?: unknown; counts: Record<string, {files: number}>}};
		expect(fullVerify.ok).toBe(true);
		expect(fullVerify.metadata.omittedDocumentFiles).toBeUndefined();
		expect(fullVerify.metadata.counts['documents']!.files).toBeGreaterThan(0);
	});

	it('a multipart upload over the limit: the client finishes sending and reads the 413', async () => {
		const before = storeDigest(dataDir);
		const boundary = 'lifeboat-test-boundary';
		const body = Buffer.concat([
			Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="options"\r\n\r\n{}\r\n--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="backup.zip"\r\nContent-Type: application/zip\r\n\r\n`),
			crypto.randomBytes(3 * 1024 * 1024),
			Buffer.from(`\r\n--${boundary}--\r\n`),
		]);
		const answer = await uploadAll('/backup/import', {authorization: `Bearer ${FULL}`, 'x-tenant-id': acme.slug, 'content-type': `multipart/form-data; boundary=${boundary}`}, body);
		expect(answer.status).toBe(413);
		expect(JSON.parse(answer.body)).toMatchObject({error: 'Payload too large'});
		expect(storeDigest(dataDir)).toEqual(before);
	});

	it('a multipart upload far over the limit is cut at the limit: the server reads at most 8 MiB more, and the tenant can import again at once', async () => {
		const before = storeDigest(dataDir);
		const boundary = 'lifeboat-test-boundary';
		const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="backup.zip"\r\nContent-Type: application/zip\r\n\r\n`);
		const declared = 96 * 1024 * 1024;
		const headers = {authorization: `Bearer ${FULL}`, 'x-tenant-id': acme.slug, 'content-type': `multipart/form-data; boundary=${boundary}`};
		const outcome = await sendUntilStopped('/backup/import', headers, head, declared);
		// Before, the part was read to its end (or to the request timeout), 96 MiB, then answered 413.
		expect(outcome.sent, JSON.stringify(outcome)).toBeLessThan(40 * 1024 * 1024);
		expect(outcome.status === 413 || outcome.error !== undefined, JSON.stringify(outcome)).toBe(true);
		const exported = (await (await api('/backups/export', {json: {categories: ['tools']}})).json()) as {bundle: string};
		const next = await api('/backups/import', {json: {bundle: exported.bundle, options: {dry_run: true}}});
		expect(next.status, await next.clone().text()).toBe(200);
		expect(storeDigest(dataDir)).toEqual(before);
	});

	it('a bundle refused part-way as too large still lets the client finish its upload and read the 413', async () => {
		const before = storeDigest(dataDir);
		const headers = {authorization: `Bearer ${FULL}`, 'x-tenant-id': acme.slug, 'content-type': 'application/json'};
		// Refused part-way, once what it decodes to passes 2 MiB (the body itself is under its limit).
		const partWay = await uploadAll('/backups/import', headers, Buffer.from(JSON.stringify({bundle: crypto.randomBytes(2 * 1024 * 1024 + 30_000).toString('base64')})));
		expect(partWay.status).toBe(413);
		expect(JSON.parse(partWay.body)).toMatchObject({error: 'Payload too large'});
		// Chunked (no Content-Length), 6 MiB decoded: refused at 2 MiB with megabytes still to send.
		const chunked = await uploadAll('/backups/import', headers, Buffer.from(JSON.stringify({bundle: crypto.randomBytes(6 * 1024 * 1024).toString('base64')})), {chunked: true});
		expect(chunked.status).toBe(413);
		expect(JSON.parse(chunked.body)).toMatchObject({error: 'Payload too large'});
		expect(storeDigest(dataDir)).toEqual(before);
		expect((await api('/backup/list')).status).toBe(200);
	});

	it('an encrypted bundle needs its passphrase; formats come from the CLI\'s list; bad input is 400/413', async () => {
		const encrypted = (await (await api('/backups/export', {json: {passphrase: 'correct horse battery staple', categories: ['tools']}})).json()) as {bundle: string; encrypted: boolean};
		expect(encrypted.encrypted).toBe(true);
		const before = storeDigest(dataDir);
		await expectError(await api('/backups/import', {json: {bundle: encrypted.bundle, options: {dry_run: true}}}), 400, 'Bad request');
		await expectError(await api('/backups/import', {json: {bundle: encrypted.bundle, options: {dry_run: true, passphrase: 'wrong passphrase here'}}}), 400, 'Bad request');
		const planned = await api('/backups/import', {json: {bundle: encrypted.bundle, options: {dry_run: true, passphrase: 'correct horse battery staple'}}});
		expect(planned.status).toBe(200);
		await expectError(await api('/backups/export', {json: {format: 'dir'}}), 400, 'Bad request');
		await expectError(await api('/backups/export', {json: {format: 'rar'}}), 400, 'Bad request');
		await expectError(await api('/backups/export', {token: ACME_ONLY, json: {categories: ['config']}}), 403, 'Permission denied');
		await expectError(await api('/backups/import', {json: {bundle: 'not base64!'}}), 400, 'Bad request');
		await expectError(await api('/backups/import', {json: {bundle: 'QUJD'}}), 400, 'Invalid backup format');
		await expectError(await api('/backups/import', {json: {nobundle: true}}), 400, 'Bad request');
		await expectError(await api('/backups/import', {json: {bundle: 'QUJD', options: {mode: 'merge'}}}), 400, 'Bad request');
		await expectError(await api('/backups/import', {body: '{"bundle": "QUJD"', headers: {'content-type': 'application/json'}}), 400, 'Bad request');
		// 2 MiB limit: a bundle decoding to more is refused part-way (its body is under the body limit),
		// and a larger body by the body limit, from its Content-Length.
		await expectError(await api('/backups/import', {json: {bundle: crypto.randomBytes(2 * 1024 * 1024 + 30_000).toString('base64')}}), 413, 'Payload too large');
		// Over the body limit: refused from Content-Length, before the body is read.
		const huge = await rawRequest('/backups/import', {authorization: `Bearer ${FULL}`, 'x-tenant-id': acme.slug, 'content-type': 'application/json', 'content-length': String(4 * 1024 * 1024)}, 'POST');
		expect(huge.status).toBe(413);
		expect(JSON.parse(huge.body)).toMatchObject({error: 'Payload too large'});
		expect(storeDigest(dataDir)).toEqual(before);
		expect((await api('/backup/list')).status).toBe(200);
	});
});
