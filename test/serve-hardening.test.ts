import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {runCli} from './helpers/run-cli.js';
import {startServe, tokenFile, waitFor, type Served} from './helpers/serve.js';
import {tempDir} from './helpers/temp-dir.js';
import {encryptWithoutTenantId} from './helpers/legacy-encrypted.js';
import {exec, query} from './restore-support.js';

/**
 * `lifeboat serve` against clients that misbehave or probe: error details that would show the
 * server's folders, uploads cut off or never finished, a shutdown while one is still arriving.
 */
const FULL = 'hardening-full-0123456789';
const ACME_ONLY = 'hardening-acme-0123456789';
const ACME_BY_ID = 'hardening-acme-id-0123456789';

type Tenant = {id: string; slug: string};
let root: string;
let dataDir: string;
let dest: string;
let scratch: string;
let tokens: string;
let acme: Tenant;
let globex: Tenant;
let server: Served;

function headers(token: string, tenant: Tenant, extra: Record<string, string> = {}): Record<string, string> {
	return {authorization: `Bearer ${token}`, 'x-tenant-id': tenant.slug, ...extra};
}

async function post(url: string, route: string, token: string, tenant: Tenant, body: unknown): Promise<Response> {
	return fetch(url + route, {method: 'POST', headers: headers(token, tenant, {'content-type': 'application/json'}), body: JSON.stringify(body)});
}

/** A request whose body is sent in part and then held (or cut off): resolves with what the server answered, if anything. */
function partialUpload(url: string, route: string, tenant: Tenant, contentType: string, head: Buffer, declared: number) {
	const {hostname, port} = new URL(url);
	const request = http.request({host: hostname, port, path: route, method: 'POST', headers: headers(FULL, tenant, {'content-type': contentType, 'content-length': String(declared)})});
	const ended = new Promise<{status?: number; error?: string}>(resolve => {
		request.on('response', response => {
			response.resume();
			response.on('end', () => resolve({status: response.statusCode}));
			response.on('error', error => resolve({status: response.statusCode, error: error.message}));
		});
		request.on('error', error => resolve({error: (error as NodeJS.ErrnoException).code ?? error.message}));
	});
	request.write(head);
	return {request, ended};
}

const BOUNDARY = 'hardening-boundary';
const MULTIPART = `multipart/form-data; boundary=${BOUNDARY}`;
const FILE_HEAD = Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="b.zip"\r\nContent-Type: application/octet-stream\r\n\r\n`);

const uploadStarted = (): boolean => fs.readdirSync(scratch).some(name => fs.existsSync(path.join(scratch, name, 'upload')));

beforeAll(async () => {
	root = tempDir('lifeboat-serve-hard-');
	dataDir = path.join(root, 'gateway');
	dest = path.join(root, 'backups');
	scratch = path.join(root, 'scratch');
	fs.mkdirSync(scratch);
	expect(runCli(['demo', 'init', '--dir', dataDir, '--tenants', '2', '--seed', '16', '--json']).code).toBe(0);
	[acme, globex] = query<Tenant>(dataDir, 'SELECT id, slug FROM tenants ORDER BY slug') as [Tenant, Tenant];
	tokens = tokenFile(root, [FULL, `${ACME_ONLY} tenants=${acme.slug}`, `${ACME_BY_ID} tenants=${acme.id}`]);
	server = await startServe(['--data-dir', dataDir, '--dest', dest, '--token-file', tokens, '--request-timeout-s', '2'], {LIFEBOAT_TMPDIR: scratch});
});

afterAll(async () => {
	await server?.stop();
});

describe('error details', () => {
	it('never show the server\'s folders (a taken name, a sub-folder that is a file)', async () => {
		expect((await post(server.url, '/backup/export', FULL, globex, {backup_name: 'globex_plan'})).status).toBe(200);
		const taken = await post(server.url, '/backup/export', ACME_ONLY, acme, {backup_name: 'globex_plan'});
		const takenText = await taken.text();
		expect(taken.status).toBe(409);
		fs.writeFileSync(path.join(dest, 'operator-notes.txt'), 'not a folder');
		const notFolder = await fetch(`${server.url}/backup/list?export_path=operator-notes.txt`, {headers: headers(ACME_ONLY, acme)});
		const notFolderText = await notFolder.text();
		// The client's mistake, not the server's: 400, never a 500.
		expect(notFolder.status, notFolderText).toBe(400);
		const exportInto = await post(server.url, '/backup/export', ACME_ONLY, acme, {export_path: 'operator-notes.txt'});
		const exportText = await exportInto.text();
		for (const text of [takenText, notFolderText, exportText]) {
			expect(JSON.parse(text)).toHaveProperty('error');
			expect(text).not.toContain(root);
			expect(text).not.toContain(fs.realpathSync(root));
		}
		// Neither the CLI's --force nor whose backup holds the name.
		expect(JSON.parse(takenText)).toEqual({error: 'Conflict', code: 'exists', detail: "globex_plan.zip is taken at the destination (every tenant's backups share its names): choose another backup_name"});
	});
});

describe('answers', () => {
	it('name the server\'s folders by label: the gateway folder in the metadata of a backup made here; the quarantine folder is relative to the gateway', async () => {
		const made = path.join(tempDir(), 'made');
		expect(runCli(['backup', 'create', '--data-dir', dataDir, '--dest', made, '--tenant', acme.id, '--categories', 'agents', '--name', 'acme_agents', '--json']).code).toBe(0);
		const bundle = fs.readFileSync(path.join(made, 'acme_agents.zip')).toString('base64');
		// A live agent changed since: the additive import quarantines the backup's copy.
		const [agent] = query<{id: string}>(dataDir, 'SELECT id FROM agents WHERE tenant_id = ? ORDER BY id LIMIT 1', acme.id);
		expect(exec(dataDir, 'UPDATE agents SET name = ? WHERE id = ?', 'Changed since the backup', agent!.id)).toBe(1);
		for (const dryRun of [true, false]) {
			const response = await post(server.url, '/backups/import', FULL, acme, {bundle, options: {dry_run: dryRun}});
			const text = await response.text();
			expect(response.status, text).toBe(200);
			expect(text).not.toContain(root);
			expect(text).not.toContain(fs.realpathSync(root));
			const answer = JSON.parse(text) as {plan: {backup: {source: {dataDir: string}}}; quarantineDir?: string};
			expect(answer.plan.backup.source.dataDir).toBe('<gateway>');
			if (!dryRun) expect(answer.quarantineDir).toMatch(/^quarantine\/.+/);
		}
	});
});

describe('export_path', () => {
	it('never names a backup: another tenant\'s folder backup cannot be written into, nor listed', async () => {
		expect(runCli(['backup', 'create', '--data-dir', dataDir, '--dest', dest, '--tenant', globex.slug, '--format', 'dir', '--name', 'globex_dir', '--json']).code).toBe(0);
		const folder = path.join(dest, 'globex_dir');
		const before = fs.readdirSync(folder).sort();
		const into = await post(server.url, '/backup/export', ACME_ONLY, acme, {export_path: 'globex_dir', backup_name: 'intruder'});
		expect(into.status, await into.clone().text()).toBe(400);
		expect(await into.json()).toMatchObject({error: 'Bad request'});
		const listed = await fetch(`${server.url}/backup/list?export_path=globex_dir`, {headers: headers(ACME_ONLY, acme)});
		expect(listed.status).toBe(400);
		expect(fs.readdirSync(folder).sort()).toEqual(before);
		expect(runCli(['backup', 'verify', folder, '--json']).code).toBe(0);
		// A plain sub-folder is still one.
		expect((await post(server.url, '/backup/export', ACME_ONLY, acme, {export_path: 'acme_nightly', backup_name: 'acme_n1'})).status).toBe(200);
	});
});

/**
 * A backup of acme's `category` made from a copy of the gateway that `edit` changed first: its
 * file, and the same as an ATLAS bundle (base64).
 */
function acmeBackupOfEditedCopy(category: string, name: string, edit: (copy: string) => void): {file: string; bundle: string} {
	const copy = path.join(tempDir(), 'gateway');
	fs.cpSync(dataDir, copy, {recursive: true});
	edit(copy);
	const made = path.join(tempDir(), 'made');
	expect(runCli(['backup', 'create', '--data-dir', copy, '--dest', made, '--tenant', acme.id, '--categories', category, '--name', name, '--json']).code).toBe(0);
	const file = path.join(made, `${name}.zip`);
	return {file, bundle: fs.readFileSync(file).toString('base64')};
}

/** The bundle imported with the acme-only token: the answer's status and text. */
async function importAsAcme(bundle: string): Promise<{status: number; text: string}> {
	const answer = await post(server.url, '/backups/import', ACME_ONLY, acme, {bundle, options: {}});
	return {status: answer.status, text: await answer.text()};
}

describe('imports', () => {
	it('never change the tenant\'s own row: a backup giving it another tenant\'s slug does not open that tenant\'s backups', async () => {
		expect((await post(server.url, '/backup/export', FULL, globex, {backup_name: 'globex_private'})).status).toBe(200);
		// A backup of acme's users whose tenants row carries globex's slug (made from an edited copy).
		const copy = path.join(tempDir(), 'gateway');
		fs.cpSync(dataDir, copy, {recursive: true});
		expect(exec(copy, 'UPDATE tenants SET slug = ?, name = ? WHERE id = ?', globex.slug, 'Renamed', acme.id)).toBe(1);
		const made = path.join(tempDir(), 'made');
		expect(runCli(['backup', 'create', '--data-dir', copy, '--dest', made, '--tenant', acme.id, '--categories', 'users', '--name', 'renamed', '--json']).code).toBe(0);
		const bundle = fs.readFileSync(path.join(made, 'renamed.zip')).toString('base64');
		const tenantRow = query(dataDir, 'SELECT * FROM tenants ORDER BY id');
		// A token limited to acme does not import accounts (the users category holds the tenants row).
		const limited = await fetch(`${server.url}/backups/import`, {method: 'POST', headers: headers(ACME_BY_ID, {id: acme.id, slug: acme.id}, {'content-type': 'application/json'}), body: JSON.stringify({bundle, options: {mode: 'overwrite'}})});
		expect(limited.status).toBe(400);
		expect(query(dataDir, 'SELECT * FROM tenants ORDER BY id')).toEqual(tenantRow);
		// The operator's token imports the users, and still leaves the tenant's own row alone.
		for (const mode of ['overwrite', 'replace']) {
			const response = await fetch(`${server.url}/backups/import`, {method: 'POST', headers: headers(FULL, acme, {'content-type': 'application/json'}), body: JSON.stringify({bundle, options: {mode}})});
			expect(response.status, await response.clone().text()).toBe(200);
			expect(query(dataDir, 'SELECT * FROM tenants ORDER BY id')).toEqual(tenantRow);
		}
		const listed = (await (await fetch(`${server.url}/backup/list`, {headers: headers(ACME_BY_ID, {id: acme.id, slug: acme.id})})).json()) as {backups: Array<{file: string; tenant: string}>};
		expect(listed.backups.every(backup => backup.tenant === acme.slug)).toBe(true);
		expect((await fetch(`${server.url}/backup/download/globex_private`, {headers: headers(ACME_BY_ID, {id: acme.id, slug: acme.id})})).status).toBe(404);
	});

	it("refused for an id another tenant has (409) without naming that tenant's id; the CLI names it", async () => {
		// A backup of acme whose agent carries the id of a live globex agent (made from an edited copy).
		const agentOf = (tenant: Tenant) => query<{id: string}>(dataDir, 'SELECT id FROM agents WHERE tenant_id = ? ORDER BY id LIMIT 1', tenant.id)[0]!.id;
		const [ours, theirs] = [agentOf(acme), agentOf(globex)];
		const {file, bundle} = acmeBackupOfEditedCopy('agents', 'collides', copy => {
			expect(exec(copy, 'UPDATE agents SET id = ? WHERE id = ?', `${theirs}x`, theirs)).toBe(1);
			expect(exec(copy, 'UPDATE agents SET id = ? WHERE id = ?', theirs, ours)).toBe(1);
			fs.renameSync(path.join(copy, 'agents', theirs), path.join(copy, 'agents', `${theirs}x`));
			fs.renameSync(path.join(copy, 'agents', ours), path.join(copy, 'agents', theirs));
		});
		const before = query(dataDir, 'SELECT * FROM agents ORDER BY id');
		const {status, text} = await importAsAcme(bundle);
		expect(status, text).toBe(409);
		expect(JSON.parse(text)).toMatchObject({error: 'Conflict', detail: `agents ${theirs} already exists in another tenant (id collision); nothing was restored`});
		expect(text).not.toContain(globex.id);
		expect(query(dataDir, 'SELECT * FROM agents ORDER BY id')).toEqual(before);
		const cli = runCli(['backup', 'restore', '--in', file, '--data-dir', dataDir, '--yes']);
		expect(cli.code).toBe(7);
		expect(cli.stderr.trim()).toBe(`lifeboat: agents ${theirs} already exists in tenant ${globex.id}, not ${acme.id} (id collision); nothing was restored`);
	});

	it("refused for a reference to another tenant's live row (422) without naming that tenant's id", async () => {
		// A backup of acme's cron jobs, one pointing at an agent that is globex's here (deleted from the copy it was made from).
		const theirs = query<{id: string}>(dataDir, 'SELECT id FROM agents WHERE tenant_id = ? ORDER BY id LIMIT 1', globex.id)[0]!.id;
		const {file, bundle} = acmeBackupOfEditedCopy('cron', 'points-across', copy => {
			exec(copy, 'DELETE FROM cron_jobs WHERE agent_id = ?', theirs);
			expect(exec(copy, 'DELETE FROM agents WHERE id = ?', theirs)).toBe(1);
			expect(exec(copy, 'UPDATE cron_jobs SET agent_id = ? WHERE id = (SELECT id FROM cron_jobs WHERE tenant_id = ? ORDER BY id LIMIT 1)', theirs, acme.id)).toBe(1);
		});
		const before = query(dataDir, 'SELECT * FROM cron_jobs ORDER BY id');
		const {status, text} = await importAsAcme(bundle);
		expect(status, text).toBe(422);
		expect(JSON.parse(text)['detail']).toMatch(new RegExp(`agent_id points at agents ${theirs} of another tenant, not of its own tenant ${acme.id} \\(cross-tenant reference\\)`));
		expect(text).not.toContain(globex.id);
		expect(query(dataDir, 'SELECT * FROM cron_jobs ORDER BY id')).toEqual(before);
		const cli = runCli(['backup', 'restore', '--in', file, '--data-dir', dataDir, '--yes']);
		expect(cli.code).toBe(5);
		expect(cli.stderr).toContain(`of tenant ${globex.id}, not of its own tenant ${acme.id}`);
	});
});

describe('a tenant\'s backups, when slugs change hands', () => {
	it('stay its own: matched by the tenant\'s id, so a tenant given a renamed tenant\'s old slug neither lists, downloads nor deletes them', async () => {
		expect((await post(server.url, '/backup/export', ACME_ONLY, acme, {backup_name: 'acme_before_rename'})).status).toBe(200);
		const file = path.join(dest, 'acme_before_rename.zip');
		// acme is renamed, and globex takes acme's old slug: the slug-limited token now acts for globex.
		exec(dataDir, 'UPDATE tenants SET slug = ? WHERE id = ?', `${acme.slug}-renamed`, acme.id);
		exec(dataDir, 'UPDATE tenants SET slug = ? WHERE id = ?', acme.slug, globex.id);
		try {
			const listed = (await (await fetch(`${server.url}/backup/list`, {headers: headers(ACME_ONLY, acme)})).json()) as {backups: Array<{file: string}>};
			expect(listed.backups.map(backup => backup.file)).not.toContain('acme_before_rename.zip');
			for (const asked of ['acme_before_rename', 'acme_before_rename.zip']) {
				expect((await fetch(`${server.url}/backup/download/${asked}`, {headers: headers(ACME_ONLY, acme)})).status, asked).toBe(404);
				const deleted = await fetch(`${server.url}/backup/delete/${asked}`, {method: 'DELETE', headers: headers(ACME_ONLY, acme)});
				expect(deleted.status, asked).toBe(404);
			}
			expect(fs.existsSync(file)).toBe(true);
			// acme, by its id, still has it.
			const byId = {id: acme.id, slug: acme.id};
			const own = (await (await fetch(`${server.url}/backup/list`, {headers: headers(ACME_BY_ID, byId)})).json()) as {backups: Array<{file: string}>};
			expect(own.backups.map(backup => backup.file)).toContain('acme_before_rename.zip');
			expect((await fetch(`${server.url}/backup/download/acme_before_rename`, {headers: headers(ACME_BY_ID, byId)})).status).toBe(200);
		} finally {
			exec(dataDir, 'UPDATE tenants SET slug = ? WHERE id = ?', globex.slug, globex.id);
			exec(dataDir, 'UPDATE tenants SET slug = ? WHERE id = ?', acme.slug, acme.id);
		}
	});

	it('an encrypted backup whose header names the slug only (an older Lifeboat\'s) is seen by a token for every tenant only', async () => {
		const made = tempDir();
		expect(runCli(['backup', 'create', '--data-dir', dataDir, '--dest', made, '--tenant', acme.id, '--categories', 'agents', '--name', 'plain', '--json']).code).toBe(0);
		await encryptWithoutTenantId(path.join(made, 'plain.zip'), path.join(dest, 'acme_legacy.zip.enc'), 'a passphrase of an older backup');
		const files = async (token: string) => ((await (await fetch(`${server.url}/backup/list`, {headers: headers(token, acme)})).json()) as {backups: Array<{file: string}>}).backups.map(backup => backup.file);
		expect(await files(ACME_ONLY)).not.toContain('acme_legacy.zip.enc');
		expect((await fetch(`${server.url}/backup/delete/acme_legacy.zip.enc`, {method: 'DELETE', headers: headers(ACME_ONLY, acme)})).status).toBe(404);
		expect(fs.existsSync(path.join(dest, 'acme_legacy.zip.enc'))).toBe(true);
		expect(await files(FULL)).toContain('acme_legacy.zip.enc');
	});
});

describe('names and URLs at the router\'s edge', () => {
	it('a name that is another tenant\'s file and this tenant\'s backup name finds this tenant\'s backup; another tenant\'s file name is not found', async () => {
		// globex's folder backup is the file (folder) "shared_name"; acme's export named "shared_name" is shared_name.zip.
		expect(runCli(['backup', 'create', '--data-dir', dataDir, '--dest', dest, '--tenant', globex.slug, '--format', 'dir', '--name', 'shared_name', '--json']).code).toBe(0);
		expect((await post(server.url, '/backup/export', ACME_ONLY, acme, {backup_name: 'shared_name'})).status).toBe(200);
		const download = await fetch(`${server.url}/backup/download/shared_name`, {headers: headers(ACME_ONLY, acme)});
		expect(download.status).toBe(200);
		expect(Buffer.from(await download.arrayBuffer()).equals(fs.readFileSync(path.join(dest, 'shared_name.zip')))).toBe(true);
		expect((await post(server.url, '/backup/export', FULL, globex, {backup_name: 'globex_by_file'})).status).toBe(200);
		expect((await fetch(`${server.url}/backup/download/globex_by_file.zip`, {headers: headers(ACME_ONLY, acme)})).status).toBe(404);
		expect((await fetch(`${server.url}/backup/delete/globex_by_file.zip`, {method: 'DELETE', headers: headers(ACME_ONLY, acme)})).status).toBe(404);
		expect(fs.existsSync(path.join(dest, 'globex_by_file.zip'))).toBe(true);
	});

	it('a 200-character backup name is exported, downloaded and deleted', async () => {
		const name = `n${'x'.repeat(199)}`;
		expect((await post(server.url, '/backup/export', FULL, globex, {backup_name: name})).status).toBe(200);
		for (const asked of [name, `${name}.zip`]) {
			const download = await fetch(`${server.url}/backup/download/${asked}`, {headers: headers(FULL, globex)});
			expect(download.status, asked).toBe(200);
			await download.arrayBuffer();
		}
		expect((await fetch(`${server.url}/backup/delete/${name}`, {method: 'DELETE', headers: headers(FULL, globex)})).status).toBe(200);
		expect(fs.existsSync(path.join(dest, `${name}.zip`))).toBe(false);
	});

	it('a name past any backup\'s length, or a URL that is not valid percent-encoding, is a 400 in the API\'s JSON', async () => {
		const refused = {[`/backup/download/${'y'.repeat(600)}`]: 'a name in the URL is longer than 512 characters', '/backup/download/%E0%A4%A': 'the URL is not valid percent-encoding'};
		for (const [route, detail] of Object.entries(refused)) {
			const response = await fetch(server.url + route, {headers: headers(FULL, globex)});
			expect(response.status, route).toBe(400);
			expect(await response.json()).toEqual({error: 'Bad request', detail});
		}
	});

	it('HEAD of a download is not served (it would read the whole backup); HEAD /healthz is, without a token', async () => {
		expect((await post(server.url, '/backup/export', FULL, globex, {backup_name: 'globex_head'})).status).toBe(200);
		const response = await fetch(`${server.url}/backup/download/globex_head`, {method: 'HEAD', headers: headers(FULL, globex)});
		expect(response.status).toBe(404);
		expect((await fetch(`${server.url}/healthz`, {method: 'HEAD'})).status).toBe(200);
	});

	it('a bundle import that is not JSON is refused (415) before its body is read, not buffered', async () => {
		// Declares 50 MB (under the route's body limit) and sends 64 KiB: the answer comes while the rest is still owed.
		const {request, ended} = partialUpload(server.url, '/backups/import', globex, 'text/plain', Buffer.alloc(64 * 1024, 'a'), 50 * 1024 * 1024);
		try {
			expect(await ended).toMatchObject({status: 415});
		} finally {
			request.destroy();
		}
	});

	it('a body of another type than the route takes is refused (415) before it is read, and makes no backup: JSON or text to the multipart import, multipart or text to the exports', async () => {
		const before = fs.readdirSync(dest).sort();
		for (const [route, contentType] of [['/backup/import', 'application/json'], ['/backup/import', 'text/plain'], ['/backup/export', MULTIPART], ['/backups/export', MULTIPART], ['/backup/export', 'text/plain']] as const) {
			const {request, ended} = partialUpload(server.url, route, globex, contentType, Buffer.concat([FILE_HEAD, Buffer.alloc(1000)]), 50 * 1024 * 1024);
			try {
				expect(await ended, `${route} ${contentType}`).toMatchObject({status: 415});
			} finally {
				request.destroy();
			}
		}
		const response = await fetch(`${server.url}/backup/import`, {method: 'POST', headers: headers(FULL, globex, {'content-type': 'application/json'}), body: '{}'});
		expect(await response.json()).toEqual({error: 'Unsupported media type', detail: 'the body must be multipart/form-data, not application/json'});
		expect(fs.readdirSync(dest).sort()).toEqual(before);
		// No body at all (curl -X POST without -d) is an export with the defaults, as {} is.
		const bare = await fetch(`${server.url}/backups/export`, {method: 'POST', headers: headers(FULL, globex)});
		expect(bare.status).toBe(200);
		expect(await bare.json()).toMatchObject({tenant: globex.slug, format: 'zip', bundle: expect.any(String)});
	});

	it('a backup name ending like a backup file is refused (400): asked for by name it would be another backup\'s file name', async () => {
		expect((await post(server.url, '/backup/export', FULL, globex, {backup_name: 'globex_b1'})).status).toBe(200);
		const before = fs.readdirSync(dest).sort();
		for (const name of ['globex_b1.zip', 'globex_b1.tar.gz', 'globex_b1.JSON', 'globex_b1.enc']) {
			const response = await post(server.url, '/backup/export', FULL, globex, {backup_name: name});
			expect(response.status, name).toBe(400);
			expect(((await response.json()) as {detail: string}).detail, name).toMatch(/ends like a backup file/);
		}
		expect(fs.readdirSync(dest).sort()).toEqual(before);
	});

	it('an import with two files, or without its closing boundary, is a 400 Bad request (a malformed body, not a large or cut-off one)', async () => {
		const form = new FormData();
		form.append('file', new Blob([Buffer.from('first')]), 'a.zip');
		form.append('file', new Blob([Buffer.from('second')]), 'b.zip');
		const response = await fetch(`${server.url}/backup/import`, {method: 'POST', headers: headers(FULL, globex), body: form});
		expect(response.status).toBe(400);
		expect(await response.json()).toMatchObject({error: 'Bad request', detail: expect.stringContaining('more than one file')});
		// A body sent whole but without its closing boundary is malformed, not cut off.
		const unclosed = Buffer.concat([FILE_HEAD, Buffer.from('abc\r\n')]);
		const cut = await fetch(`${server.url}/backup/import`, {method: 'POST', headers: headers(FULL, globex, {'content-type': MULTIPART}), body: unclosed});
		expect(cut.status).toBe(400);
		expect(((await cut.json()) as {detail: string}).detail).toMatch(/^malformed multipart body/);
	});

	it('a multipart field refused before a 12 MiB file (within the limit) is a 400 the client reads, not a reset', async () => {
		const form = new FormData();
		form.append('bogus', 'x');
		form.append('file', new Blob([Buffer.alloc(12 * 1024 * 1024)]), 'b.zip');
		const response = await fetch(`${server.url}/backup/import`, {method: 'POST', headers: headers(FULL, globex), body: form});
		expect(response.status).toBe(400);
		expect(await response.json()).toMatchObject({error: 'Bad request', detail: 'unexpected field "bogus" (send "file" and "options")'});
	});

	it('an encrypted bundle imported without its passphrase is a 400 naming options.passphrase (not the CLI\'s flags)', async () => {
		const exported = (await (await post(server.url, '/backups/export', FULL, globex, {categories: ['tools'], passphrase: 'the bundle test passphrase'})).json()) as {bundle: string};
		const response = await post(server.url, '/backups/import', FULL, globex, {bundle: exported.bundle, options: {dry_run: true}});
		expect(response.status).toBe(400);
		const {detail} = (await response.json()) as {detail: string};
		// The scratch file the bundle was decoded into is "upload": no server folder reaches the client.
		expect(detail).toBe('upload is encrypted: give its passphrase as options.passphrase');
	});

	it('deleting the base of an incremental is a 409 naming it (no CLI flag, no path), and the base stays; its incremental first, then it, is fine', async () => {
		const create = (...extra: string[]) => expect(runCli(['backup', 'create', '--data-dir', dataDir, '--dest', dest, '--tenant', globex.slug, '--categories', 'tools', ...extra]).code).toBe(0);
		create('--name', 'chain-base');
		create('--incremental', '--since-last', '--name', 'chain-incr');
		const refused = await fetch(`${server.url}/backup/delete/chain-base`, {method: 'DELETE', headers: headers(FULL, globex)});
		expect(refused.status).toBe(409);
		expect(await refused.json()).toMatchObject({error: 'Conflict', detail: 'the backup is the base of an incremental backup (chain-incr.zip): deleting it would break its chain and it could not be restored; delete it first (newest first)'});
		expect(fs.existsSync(path.join(dest, 'chain-base.zip'))).toBe(true);
		for (const name of ['chain-incr', 'chain-base']) expect((await fetch(`${server.url}/backup/delete/${name}`, {method: 'DELETE', headers: headers(FULL, globex)})).status).toBe(200);
		expect(fs.existsSync(path.join(dest, 'chain-base.zip'))).toBe(false);
	});

	it('deleting a file that is no backup is a 400 Invalid backup format, and the file stays', async () => {
		fs.writeFileSync(path.join(dest, 'notes.zip'), 'not a backup at all\n');
		const response = await fetch(`${server.url}/backup/delete/notes.zip`, {method: 'DELETE', headers: headers(FULL, globex)});
		expect(response.status).toBe(400);
		expect(await response.json()).toMatchObject({error: 'Invalid backup format', detail: expect.stringContaining('is not a Lifeboat backup; it was not deleted')});
		expect(fs.readFileSync(path.join(dest, 'notes.zip'), 'utf8')).toBe('not a backup at all\n');
		fs.rmSync(path.join(dest, 'notes.zip'));
	});
});

describe('uploads cut off or never finished', () => {
	it('a bundle upload cut off mid-body leaves no scratch folder, and has its access line', async () => {
		const cut = partialUpload(server.url, '/backups/import', acme, 'application/json', Buffer.from(`{"bundle": "${'QUJD'.repeat(20_000)}`), 1024 * 1024);
		await waitFor(uploadStarted, 'the upload to start');
		cut.request.destroy();
		await cut.ended;
		await waitFor(() => fs.readdirSync(scratch).length === 0, 'the scratch folder removed');
		await waitFor(() => server.log.some(line => line['route'] === '/backups/import' && line['aborted'] === true && line['level'] === undefined), 'the access line of the cut-off request');
		const multipartCut = partialUpload(server.url, '/backup/import', acme, MULTIPART, Buffer.concat([FILE_HEAD, Buffer.alloc(1000)]), 1024 * 1024);
		await waitFor(uploadStarted, 'the multipart upload to start');
		multipartCut.request.destroy();
		await waitFor(() => server.log.some(line => line['route'] === '/backup/import' && line['aborted'] === true), 'the access line of the cut-off multipart request');
		await waitFor(() => fs.readdirSync(scratch).length === 0, 'the scratch folder removed');
		// A client that went away is not a failure of the server: no error line, no 500.
		expect(server.log.filter(line => line['level'] === 'error' && String(line['route']).endsWith('/import'))).toEqual([]);
	});

	it('an upload that never ends is cut off after --request-timeout-s: the tenant\'s import lock is freed', async () => {
		const exported = (await (await post(server.url, '/backups/export', FULL, acme, {categories: ['tools']})).json()) as {bundle: string};
		const stalled = partialUpload(server.url, '/backup/import', acme, MULTIPART, Buffer.concat([FILE_HEAD, Buffer.alloc(100)]), 10 * 1024 * 1024);
		await waitFor(uploadStarted, 'the upload to start');
		const started = Date.now();
		// While it is held, the tenant's imports are refused…
		expect((await post(server.url, '/backups/import', FULL, acme, {bundle: exported.bundle, options: {dry_run: true}})).status).toBe(409);
		// …until the server gives up on it (2 s, checked every second), never waiting on the client.
		const outcome = await stalled.ended;
		expect(Date.now() - started).toBeLessThan(15_000);
		expect(outcome.status === 408 || outcome.error !== undefined, JSON.stringify(outcome)).toBe(true);
		await waitFor(() => fs.readdirSync(scratch).length === 0, 'the scratch folder removed');
		const next = await post(server.url, '/backups/import', FULL, acme, {bundle: exported.bundle, options: {dry_run: true}});
		expect(next.status, await next.clone().text()).toBe(200);
	});

	it('a bundle upload holds its tenant\'s import lock from its first byte: a second bundle into the tenant is a 409 before its body is read', async () => {
		const exported = (await (await post(server.url, '/backups/export', FULL, acme, {categories: ['tools']})).json()) as {bundle: string};
		const held = partialUpload(server.url, '/backups/import', acme, 'application/json', Buffer.from(`{"bundle": "${'QUJD'.repeat(1000)}`), 1024 * 1024);
		await waitFor(uploadStarted, 'the first upload to start');
		// Not a whole bundle: read into scratch before the claim (as before), it was a 400 Bad request.
		// 12 MiB: read to its end before the 409 (a refusal's 8 MiB cap would reset the connection).
		const second = await fetch(`${server.url}/backups/import`, {method: 'POST', headers: headers(FULL, acme, {'content-type': 'application/json'}), body: `{"bundle": "${'QUJD'.repeat(3_200_000)}`});
		expect(second.status).toBe(409);
		expect(await second.json()).toMatchObject({error: 'Conflict', detail: 'an import into this tenant is already running; retry when it has finished'});
		// A body refused whatever the lock keeps its own answer.
		const text = await fetch(`${server.url}/backups/import`, {method: 'POST', headers: headers(FULL, acme, {'content-type': 'text/plain'}), body: 'hello'});
		expect(text.status).toBe(415);
		held.request.destroy();
		await held.ended;
		// The first's scratch folder goes, and its claim with it (in the same step).
		await waitFor(() => fs.readdirSync(scratch).length === 0, 'the scratch folder removed');
		const next = await post(server.url, '/backups/import', FULL, acme, {bundle: exported.bundle, options: {dry_run: true}});
		expect(next.status, await next.clone().text()).toBe(200);
	});

	it('SIGTERM while an upload is stalled: the server still stops after its grace period and exits 0', async () => {
		const served = await startServe(['--data-dir', dataDir, '--dest', dest, '--token-file', tokens], {LIFEBOAT_TMPDIR: scratch});
		const stalled = partialUpload(served.url, '/backup/import', globex, MULTIPART, Buffer.concat([FILE_HEAD, Buffer.alloc(100)]), 10 * 1024 * 1024);
		await waitFor(uploadStarted, 'the upload to start');
		const stopping = Date.now();
		const {code} = await served.stop('SIGTERM');
		expect(code).toBe(0);
		// The 30 s grace, never the 300 s request timeout.
		expect(Date.now() - stopping).toBeLessThan(50_000);
		expect(served.stdout()).toMatch(/lifeboat serve: stopped/);
		await stalled.ended;
		await waitFor(() => fs.readdirSync(scratch).length === 0, 'the scratch folder removed');
	}, 70_000);
});

describe('what a tenant token imports', () => {
	it('accounts and the audit log only with a token for every tenant: left out by default, 403 when asked', async () => {
		// A backup of acme holding users and audit (made by the operator's token).
		const exported = (await (await post(server.url, '/backups/export', FULL, acme, {categories: ['users', 'audit', 'tools']})).json()) as {bundle: string};
		const usersBefore = query<{n: number}>(dataDir, 'SELECT COUNT(*) AS n FROM users WHERE tenant_id = ?', acme.id)[0]!.n;
		exec(dataDir, 'DELETE FROM users WHERE tenant_id = ? AND id IN (SELECT id FROM users WHERE tenant_id = ? ORDER BY id LIMIT 1)', acme.id, acme.id);
		exec(dataDir, 'DELETE FROM audit_log WHERE tenant_id = ?', acme.id);

		const plan = (await (await post(server.url, '/backups/import', ACME_ONLY, acme, {bundle: exported.bundle, options: {dry_run: true}})).json()) as {plan: {categories: Array<{category: string}>}};
		expect(plan.plan.categories.map(category => category.category)).toEqual(['tools']);
		const asked = await post(server.url, '/backups/import', ACME_ONLY, acme, {bundle: exported.bundle, options: {only: ['users', 'tools']}});
		expect(asked.status).toBe(403);
		expect(await asked.json()).toMatchObject({error: 'Permission denied', detail: expect.stringContaining('users: a token limited to tenants cannot import accounts or the audit log')});
		const imported = await post(server.url, '/backups/import', ACME_ONLY, acme, {bundle: exported.bundle, options: {}});
		expect(imported.status).toBe(200);
		expect(query<{n: number}>(dataDir, 'SELECT COUNT(*) AS n FROM users WHERE tenant_id = ?', acme.id)[0]!.n).toBe(usersBefore - 1);
		// Only the restore's own record (actor lifeboat), none of the backup's entries.
		expect(query<{actor: string}>(dataDir, 'SELECT actor FROM audit_log WHERE tenant_id = ?', acme.id).map(row => row.actor)).toEqual(['lifeboat']);

		const operator = await post(server.url, '/backups/import', FULL, acme, {bundle: exported.bundle, options: {only: ['users', 'audit']}});
		expect(operator.status).toBe(200);
		expect(query<{n: number}>(dataDir, 'SELECT COUNT(*) AS n FROM users WHERE tenant_id = ?', acme.id)[0]!.n).toBe(usersBefore);
		expect(query<{n: number}>(dataDir, "SELECT COUNT(*) AS n FROM audit_log WHERE tenant_id = ? AND actor != 'lifeboat'", acme.id)[0]!.n).toBeGreaterThan(0);
	});
});
