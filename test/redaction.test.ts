import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import {beforeAll, describe, expect, it} from 'vitest';
import {createBackup} from '../source/core/backup/create-backup.js';
import {generateDemo} from '../source/core/demo/generate-demo.js';
import {redactJson, scrubText} from '../source/core/redaction.js';
import {REDACTED_MARKER} from '../source/core/store/schema.js';
import {runCli} from './helpers/run-cli.js';
import {tempDir} from './helpers/temp-dir.js';

/** Every file of a folder backup, concatenated. */
function folderText(dir: string): string {
	const parts: string[] = [];
	const walk = (current: string) => {
		for (const entry of fs.readdirSync(current, {withFileTypes: true})) {
			const full = path.join(current, entry.name);
			if (entry.isDirectory()) walk(full);
			else parts.push(`=== ${path.relative(dir, full)}\n${fs.readFileSync(full, 'latin1')}`);
		}
	};
	walk(dir);
	return parts.join('\n');
}

describe('redaction of secrets in JSON and text', () => {
	it('redacts secret keys of every common spelling, numbers under secret keys, and credentials inside values', () => {
		const leaks = {
			accessKey: 'LEAK01', AccessKeyId: 'LEAK02', bearer: 'LEAK03', Cookie: 'LEAK04', pwd: 'LEAK05', pass: 'LEAK06', key: 'LEAK07',
			EncryptionKey: 'LEAK08', sas: 'LEAK09', Passphrase: 'LEAK10', SessionKey: 'LEAK11', clientSecret: 'LEAK12', PrivateKey: 'LEAK13',
			Password: 12345678, DATABASE_URL: 'LEAK14', 'X-Api-Key': 'LEAK15', OPENAI_KEY: 'LEAK16', nested: [{Password: 'LEAK17'}],
			url: 'postgres://app:LEAK18@db.example:5432/main', hook: 'https://in.example/x?token=LEAK19&ok=1',
			command: 'curl -H "Authorization: Bearer LEAK20abcdef" https://api.example', jwt: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJMRUFLMjEifQ.c2lnbmF0dXJlTEVBSzIx',
			args: ['--flag', 'sk-LEAK22aaaaaaaaaaaaaaaaaaaa', 'ghp_LEAK23aaaaaaaaaaaaaaaaaaaaaa'],
		};
		const text = JSON.stringify(redactJson(leaks).value);
		expect(text.match(/LEAK\d\d|12345678/g)).toBeNull();
		// Harmless settings stay as they are.
		const kept = redactJson({Gateway: {Url: 'https://gw.example', Port: 8443}, Logging: {Level: 'Warning'}, KeepDaily: 7}).value;
		expect(kept).toEqual({Gateway: {Url: 'https://gw.example', Port: 8443}, Logging: {Level: 'Warning'}, KeepDaily: 7});
		expect(scrubText('https://user:hunter2@example.com/path')).toBe(`https://user:${REDACTED_MARKER}@example.com/path`);
		expect(scrubText('plain words, no secrets: https://example.com/?page=2')).toBe('plain words, no secrets: https://example.com/?page=2');
	});

	it('keeps a secret name\'s value that only refers to the secret (a variable, a placeholder, a secret store), as the text scrubbers do', () => {
		const references = {GITHUB_TOKEN: '${input:github_token}', DB_PASSWORD: '${DB_PASSWORD}', API_KEY: '$API_KEY', apiToken: '{{ secrets.API_TOKEN }}', SMTP_PASSWORD: '%SMTP_PW%', X_TOKEN: 'env:X_TOKEN', password: 'op://ops/db/password', secret: 'file:/run/secrets/app', clientSecret: '<your client secret>', passphrase: '***'};
		expect(redactJson({env: references})).toEqual({value: {env: references}, redacted: []});
		// A literal beside them still goes; so does a value that only starts like a reference.
		expect(redactJson({env: {...references, REAL_TOKEN: 'abc123def456ghi', PASSWORD: 'env:x y', SECRET: '${X}tail'}}).redacted).toEqual(['env.REAL_TOKEN', 'env.PASSWORD', 'env.SECRET']);
		// Values that only look like references may be passwords.
		const lookalikes = {password: '$Summer2024', dbPassword: '%Secret1%', token: '<hunter2>', secret: '{{hunter2}}', apiKey: 'env:MyS3cret', passphrase: 'vault:MyS3cret', clientSecret: 'file:/hunter2', authToken: 'op://x'};
		expect(redactJson(lookalikes).redacted).toEqual(Object.keys(lookalikes));
	});

	it('redacts the value of a [name, value] pair named as a secret (headers and environments as lists), not a list of two names', () => {
		const step = {headers: [['Authorization', 'Basic UGxhbnRVc2VyOlBsYW50UGFzc3dvcmQ5'], ['X-Api-Key', 'f607a1b2c3d4e5f60718293a4b5c44aa'], ['Content-Type', 'application/json']], env: [['OPENAI_API_KEY', 'LEAKpair01abcdefghijklmnop'], ['MCP_TOKEN', 'Bearer abc123def456']]};
		expect(redactJson(step)).toEqual({
			value: {headers: [['Authorization', REDACTED_MARKER], ['X-Api-Key', REDACTED_MARKER], ['Content-Type', 'application/json']], env: [['OPENAI_API_KEY', REDACTED_MARKER], ['MCP_TOKEN', REDACTED_MARKER]]},
			redacted: ['headers[0][1]', 'headers[1][1]', 'env[0][1]', 'env[1][1]'],
		});
		const names = {allowedHeaders: ['Authorization', 'Content-Type'], fields: ['password', 'token'], required: ['api_key', 'model'], pair: ['GITHUB_TOKEN', '${GITHUB_TOKEN}'], tags: ['secret', 'ops'], row: ['Password', 'Must be 12+ chars'], map: ['secret', '/etc/app/config.yaml'], cmd: ['passwd', '--expire user'], order: ['token', 'created_at DESC']};
		expect(redactJson(names)).toEqual({value: names, redacted: []});
	});

	it('leaves settings that only mention tokens, authors or auth modes alone (no type change for numbers)', () => {
		const harmless = {
			maxTokens: 4096, max_tokens: 1024, MaxOutputTokens: 800, tokenizer: 'cl100k_base', token_count: 12, tokenType: 'Bearer', token_url: 'https://idp.example/token',
			tokenEndpoint: 'https://idp.example/oauth/token', author: 'Ada Lovelace', authors: ['Ada', 'Grace'], authority: 'https://login.example', authMode: 'oauth',
			auth_type: 'basic', authorizeUrl: 'https://idp.example/authorize', isAuthenticated: true, footprint: 'small', Otp_Length: 6,
			// A model's tokenizer settings.
			stop_tokens: ['</s>', '<|eot_id|>'], eos_token: '</s>', bos_token: '<s>', pad_token: '<pad>', special_tokens: {unk_token: '<unk>'}, added_tokens: ['<tool>'], stopTokens: ['###'],
		};
		expect(redactJson(harmless)).toEqual({value: harmless, redacted: []});
		const secret = {
			token: 'LEAK1', authToken: 'LEAK2', auth: {user: 'u', pass: 'LEAK3'}, oauth: {clientId: 'id', refresh: 'LEAK4'}, totp: 'LEAK5', otp: 'LEAK6',
			headers: {Authorization: 'Basic TEVBSzc='}, Proxy_Authorization: 'LEAK8', otp_code: 'LEAK9', access_token_value: 'LEAK10', tokenSecret: 'LEAK11',
		};
		expect(JSON.stringify(redactJson(secret).value)).not.toMatch(/LEAK|TEVBSz/);
	});

	describe('in a real backup', () => {
		let dataDir: string;
		let backupText: string;
		let warnings: string[];
		beforeAll(async () => {
			dataDir = path.join(tempDir(), 'gateway');
			await generateDemo({dir: dataDir, tenants: 1, scale: 'small', seed: 4});
			const settings = JSON.parse(fs.readFileSync(path.join(dataDir, 'appsettings.json'), 'utf8'));
			settings.Storage.S3 = {AccessKeyId: 'PLANT01', SecretAccessKey: 'PLANT02', Endpoint: 'https://ops:PLANT03@s3.example'};
			settings.Admins = [{Email: 'ops@example', Password: 'PLANT04'}];
			fs.writeFileSync(path.join(dataDir, 'appsettings.json'), JSON.stringify(settings));
			const mcp = JSON.parse(fs.readFileSync(path.join(dataDir, 'mcp.json'), 'utf8'));
			mcp.mcpServers.http = {url: 'https://mcp.example/sse', headers: {'X-Api-Key': 'PLANT05'}, env: {DATABASE_URL: 'postgres://u:PLANT06@db/x'}};
			fs.writeFileSync(path.join(dataDir, 'mcp.json'), JSON.stringify(mcp));
			const db = new Database(path.join(dataDir, 'data', 'gateway.db'), {readonly: true});
			const agentId = (db.prepare('SELECT id FROM agents LIMIT 1').get() as {id: string}).id;
			db.close();
			const agentFolder = path.join(dataDir, 'agents', agentId);
			fs.writeFileSync(path.join(agentFolder, 'config.json'), JSON.stringify({model: 'x', apiKey: 'PLANT07', provider: {token: 'PLANT08'}}));
			fs.writeFileSync(path.join(agentFolder, '.env'), 'OPENAI_API_KEY=PLANT09\n');
			fs.writeFileSync(path.join(agentFolder, 'id_ed25519'), 'PLANT10');
			const result = await createBackup({dataDir, destDir: tempDir(), format: 'dir'});
			backupText = folderText(result.path);
			warnings = result.metadata.warnings;
		});

		it('no planted value reaches the archive', () => {
			expect(backupText.match(/PLANT\d\d/g)).toBeNull();
			// The agent's JSON file is kept as written (compact here), only its secrets rewritten.
			expect(backupText).toContain('{"model":"x","apiKey":"[REDACTED: re-enter on restore]","provider":{"token":"[REDACTED: re-enter on restore]"}}');
		});

		it('agent files other than .md, .txt and .json are left out, with a warning naming them', () => {
			expect(warnings.some(warning => warning.includes('/.env: not backed up'))).toBe(true);
			expect(warnings.some(warning => warning.includes('/id_ed25519: not backed up'))).toBe(true);
			expect(backupText).toContain('SOUL.md');
		});
	});
});

describe('a poisoned gateway cannot steer paths', () => {
	it('rows whose ids are not file names are backed up without touching paths (a document is named in a warning)', async () => {
		const dataDir = path.join(tempDir(), 'gateway');
		await generateDemo({dir: dataDir, tenants: 1, scale: 'small', seed: 8});
		const db = new Database(path.join(dataDir, 'data', 'gateway.db'));
		const tenant = (db.prepare('SELECT id FROM tenants').get() as {id: string}).id;
		const now = new Date().toISOString();
		db.prepare(`INSERT INTO agents VALUES ('..', ?, ?, ?, 'evil', 'm', 'd', '[]', 'active')`).run(tenant, now, now);
		db.prepare(`INSERT INTO documents VALUES ('../../keys/backup', ?, ?, ?, 'k', 'text/plain', 'key', 1, 'x', NULL, 0, 'none')`).run(tenant, now, now);
		db.close();
		for (const format of ['zip', 'dir'] as const) {
			const result = await createBackup({dataDir, destDir: tempDir(), format});
			expect(result.metadata.warnings.filter(warning => warning.includes('do not make a usable file name'))).toHaveLength(1);
			const listing = format === 'zip' ? runCli(['backup', 'verify', result.path, '--json']) : undefined;
			if (listing) expect(JSON.parse(listing.stdout).ok).toBe(true);
		}
		const dir = await createBackup({dataDir, destDir: tempDir(), format: 'dir'});
		const text = folderText(dir.path);
		expect(text).not.toContain('=== data/');
		expect(text).not.toContain(fs.readFileSync(path.join(dataDir, 'keys', 'backup.key'), 'latin1').trim());
	});
});

describe('--force and the output path', () => {
	let dataDir: string;
	beforeAll(async () => {
		dataDir = path.join(tempDir(), 'gateway');
		await generateDemo({dir: dataDir, tenants: 1, scale: 'small', seed: 2});
	});

	it('--force never deletes a folder or file that is not a backup', () => {
		const folder = path.join(tempDir(), 'my-backups');
		fs.mkdirSync(folder);
		fs.writeFileSync(path.join(folder, 'notes.txt'), 'keep me');
		const result = runCli(['backup', 'create', '--data-dir', dataDir, '--out', folder, '--force']);
		expect(result.code).toBe(4);
		expect(result.stderr.trim()).toBe(`lifeboat: ${folder} exists and is not a Lifeboat backup; --force only replaces backups`);
		expect(fs.readFileSync(path.join(folder, 'notes.txt'), 'utf8')).toBe('keep me');
		const notes = path.join(tempDir(), 'notes.txt');
		fs.writeFileSync(notes, 'keep me too');
		expect(runCli(['backup', 'create', '--data-dir', dataDir, '--out', notes, '--force']).code).toBe(4);
		expect(fs.readFileSync(notes, 'utf8')).toBe('keep me too');
	});

	it('--force replaces an earlier folder backup', () => {
		const out = path.join(tempDir(), 'nightly');
		expect(runCli(['backup', 'create', '--data-dir', dataDir, '--out', out, '--format', 'dir']).code).toBe(0);
		expect(runCli(['backup', 'create', '--data-dir', dataDir, '--out', out, '--format', 'dir', '--force']).code).toBe(0);
		expect(fs.existsSync(path.join(out, 'metadata.json'))).toBe(true);
	});

	it('refuses to write over or inside the live gateway', () => {
		const before = fs.readdirSync(dataDir).sort();
		let result = runCli(['backup', 'create', '--data-dir', dataDir, '--out', dataDir, '--format', 'dir', '--force']);
		expect(result.code).toBe(4);
		expect(result.stderr).toContain('over the gateway data directory itself');
		result = runCli(['backup', 'create', '--data-dir', dataDir, '--dest', path.join(dataDir, 'documents')]);
		expect(result.code).toBe(4);
		expect(result.stderr).toContain("inside the gateway's documents/ folder");
		expect(fs.readdirSync(dataDir).sort()).toEqual(before);
	});
});

describe('credentials pasted into free-text and JSON columns', () => {
	it('are scrubbed from backups, compare as identical against the live gateway, and are listed when restored fresh', async () => {
		const dataDir = path.join(tempDir(), 'gateway');
		await generateDemo({dir: dataDir, tenants: 1, scale: 'small', seed: 12});
		const db = new Database(path.join(dataDir, 'data', 'gateway.db'));
		db.prepare(`UPDATE channels SET settings = ? WHERE rowid = (SELECT MIN(rowid) FROM channels)`).run(JSON.stringify({mentionsOnly: true, appToken: 'xapp-COLUMN01'}));
		db.prepare(`UPDATE workflows SET definition = ? WHERE rowid = (SELECT MIN(rowid) FROM workflows)`).run(JSON.stringify({steps: [{tool: 'http_fetch', headers: {Authorization: 'Bearer COLUMN02abcdef123456'}}]}));
		db.prepare(`UPDATE cron_jobs SET command = ? WHERE rowid = (SELECT MIN(rowid) FROM cron_jobs)`).run('curl -H "Authorization: Bearer COLUMN03abc" https://api.example/sync');
		db.prepare(`UPDATE webhooks SET url = ? WHERE rowid = (SELECT MIN(rowid) FROM webhooks)`).run('https://hooks.example/in?token=COLUMN04&team=ops');
		db.close();
		const backup = await createBackup({dataDir, destDir: tempDir(), format: 'dir'});
		expect(folderText(backup.path).match(/COLUMN0\d/g)).toBeNull();
		expect(backup.metadata.redacted.map(note => note.field)).toEqual(expect.arrayContaining(['channels.settings', 'workflows.definition', 'cron_jobs.command', 'webhooks.url']));

		const {openBackupSource} = await import('../source/core/backup/backup-source.js');
		const {applyRestore, planRestore} = await import('../source/core/restore/index.js');
		const source = await openBackupSource(backup.path);
		const plan = await planRestore({source, dataDir});
		expect(plan.totals.conflicts).toBe(0);
		expect(plan.totals.new).toBe(0);
		await applyRestore({source, dataDir, mode: 'replace', only: ['channels', 'workflows', 'cron', 'webhooks']});
		const after = new Database(path.join(dataDir, 'data', 'gateway.db'), {readonly: true});
		const live = [
			after.prepare('SELECT settings AS v FROM channels').all(),
			after.prepare('SELECT definition AS v FROM workflows').all(),
			after.prepare('SELECT command AS v FROM cron_jobs').all(),
			after.prepare('SELECT url AS v FROM webhooks').all(),
		]
			.flat()
			.map(row => (row as {v: string}).v)
			.join('\n');
		after.close();
		// Replace kept the live values whose only difference from the backup was the credential.
		for (const planted of ['COLUMN01', 'COLUMN02', 'COLUMN03', 'COLUMN04']) expect(live).toContain(planted);

		const {createGateway} = await import('../source/core/store/gateway-store.js');
		const fresh = path.join(tempDir(), 'fresh');
		createGateway(fresh).close();
		const restored = await applyRestore({source, dataDir: fresh});
		expect(restored.secretsToReenter.map(note => note.field)).toEqual(expect.arrayContaining(['channels.settings', 'cron_jobs.command', 'webhooks.url']));
	});
});
