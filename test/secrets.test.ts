import {execFileSync} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import {beforeAll, describe, expect, it} from 'vitest';
import {createBackup} from '../source/core/backup/create-backup.js';
import {generateDemo} from '../source/core/demo/generate-demo.js';
import {REDACTED_MARKER, SECRET_LOOKING_COLUMN, TABLES} from '../source/core/store/schema.js';
import {gatewaySecrets} from './helpers/gateway-secrets.js';
import {CORPUS_SECRETS, SECRET_FORMS} from './helpers/secret-corpus.js';
import {tempDir} from './helpers/temp-dir.js';

/** Every byte a reader could get out of a backup: decompressed by the system tools, plus raw. */
function allArchiveBytes(location: string, format: string): Buffer {
	if (format === 'dir') {
		const parts: Buffer[] = [];
		const walk = (dir: string) => {
			for (const entry of fs.readdirSync(dir, {withFileTypes: true})) {
				const full = path.join(dir, entry.name);
				if (entry.isDirectory()) walk(full);
				else parts.push(fs.readFileSync(full));
			}
		};
		walk(location);
		return Buffer.concat(parts);
	}
	const decompressed =
		format === 'zip'
			? execFileSync('unzip', ['-p', location], {maxBuffer: 512 * 1024 * 1024})
			: execFileSync('tar', ['-xzOf', location], {maxBuffer: 512 * 1024 * 1024});
	return Buffer.concat([decompressed, fs.readFileSync(location)]);
}

describe('secrets never enter a backup', () => {
	let dataDir: string;
	let secrets: string[];
	beforeAll(async () => {
		dataDir = path.join(tempDir(), 'gateway');
		await generateDemo({dir: dataDir, tenants: 3, scale: 'small', seed: 7});
		secrets = gatewaySecrets(dataDir);
	});

	it('the gateway really holds secrets of every kind (the scan is not vacuous)', () => {
		expect(secrets.length).toBeGreaterThan(60);
		for (const prefix of ['whsec_', 'ya29.', '1//rt_', 'xoxb-', 'sgn_', 'pair_', 'TOTP', 'jwt_', 'smtp_', 'sk-', 'ghp_', 'mcp_']) {
			expect(secrets.some(secret => secret.startsWith(prefix)), prefix).toBe(true);
		}
	});

	for (const format of ['zip', 'tar.gz', 'dir'] as const) {
		it(`no secret value appears anywhere in a ${format} backup`, async () => {
			const result = await createBackup({dataDir, destDir: tempDir(), format});
			const bytes = allArchiveBytes(result.path, format);
			expect(bytes.length).toBeGreaterThan(100_000);
			const text = bytes.toString('latin1');
			expect(text).toContain(REDACTED_MARKER);
			const leaked = secrets.filter(secret => text.includes(secret));
			expect(leaked).toEqual([]);
			// The redactions are listed for the operator.
			const fields = result.metadata.redacted.map(note => note.field);
			expect(fields).toEqual(expect.arrayContaining(['webhooks.secret', 'connections.auth_token', 'channels.bot_token', 'node_pairings.pairing_secret']));
			expect(result.metadata.twoFactor?.users).toBeGreaterThan(0);
		});
	}

	it("the demo gateway's non-secret content comes through unchanged (no false positives)", async () => {
		const result = await createBackup({dataDir, destDir: tempDir(), format: 'dir'});
		const scrubColumns = TABLES.flatMap(table => table.columns.filter(column => column.scrub).map(column => `${table.name}.${column.name}`));
		const fields = result.metadata.redacted.map(note => note.field.split(':')[0]!);
		expect(fields.filter(field => scrubColumns.includes(field) || /\.(md|txt)$/.test(field))).toEqual([]);
		const agentsDir = path.join(dataDir, 'agents');
		let compared = 0;
		for (const agent of fs.readdirSync(agentsDir)) {
			for (const name of fs.readdirSync(path.join(agentsDir, agent)).filter(file => file.endsWith('.md'))) {
				expect(fs.readFileSync(path.join(result.path, 'agents', agent, name))).toEqual(fs.readFileSync(path.join(agentsDir, agent, name)));
				compared++;
			}
		}
		expect(compared).toBeGreaterThan(20);
		// Config files: only the values under secret keys changed.
		const mcp = JSON.parse(fs.readFileSync(path.join(result.path, 'mcp', 'mcp.json'), 'utf8'));
		expect(mcp.mcpServers.filesystem.args).toEqual(['-y', '@modelcontextprotocol/server-filesystem', '/srv/shared']);
		expect(result.metadata.redacted.find(note => note.field.startsWith('mcp/mcp.json:'))!.field).toBe('mcp/mcp.json:mcpServers.github.env.GITHUB_TOKEN');
	});

	it('every secret-looking column is marked secret in the schema', () => {
		const unmarked = TABLES.flatMap(table => table.columns.filter(column => SECRET_LOOKING_COLUMN.test(column.name) && !column.secret).map(column => `${table.name}.${column.name}`));
		expect(unmarked).toEqual([]);
	});
});

/**
 * Scrubbed columns the corpus is planted in, one cloned row per form: text, and JSON with an argv
 * array; and every other `scrub` column of the schema as plain text, so a column marked later is
 * planted too.
 */
const SHAPED_COLUMNS: Array<{table: string; column: string; value: (text: string, args: string[]) => string}> = [
	{table: 'cron_jobs', column: 'command', value: text => text},
	{table: 'connections', column: 'account', value: text => text},
	{table: 'channels', column: 'settings', value: text => JSON.stringify({mentionsOnly: true, welcome: text})},
	{table: 'workflows', column: 'definition', value: (_text, args) => JSON.stringify({steps: [{tool: 'shell', args}]})},
];
const CORPUS_COLUMNS = [
	...SHAPED_COLUMNS,
	...TABLES.flatMap(table =>
		table.columns
			.filter(column => column.scrub && !SHAPED_COLUMNS.some(shaped => shaped.table === table.name && shaped.column === column.name))
			.map(column => ({table: table.name, column: column.name, value: (text: string) => text})),
	),
];

/**
 * Text columns neither secret nor scrubbed, each with why: users' and agents' own content (kept as
 * written), identifiers, names, enumerations and times. A new text column fails the test below
 * until it is scrubbed, marked secret or listed here.
 */
const UNSCRUBBED_TEXT: Record<string, string> = Object.fromEntries(
	Object.entries({
		'user and agent content, kept as written': 'messages.content memory_entries.content memory_entries.tags memory_daily_logs.content discussions.summary insights.content conversations.title tasks.title approvals.reason documents.name documents.fts_hint',
		'names and labels': 'tenants.name users.display_name agents.name personas.name workflows.name tools.name cron_jobs.name webhooks.name connections.name channels.name skills.name node_pairings.node_name discussions.title',
		'identifiers, enumerations, versions and times': 'tenants.slug tenants.plan users.email users.role users.last_login_at agents.model agents.tool_allowlist agents.status messages.role memory_entries.kind memory_daily_logs.day documents.mime documents.ext documents.sha256 tools.kind cron_jobs.schedule cron_jobs.action cron_runs.started_at cron_runs.finished_at cron_runs.status webhooks.events connections.provider connections.scopes connections.expires_at channels.kind skills.version node_pairings.platform node_pairings.paired_at node_pairings.last_seen_at tasks.status tasks.due_at approvals.status approvals.decided_at audit_log.actor audit_log.action audit_log.target audit_log.ip',
		'a password hash, which logins after a restore need (not the password)': 'users.password_hash',
		'a public key': 'node_pairings.public_key',
	}).flatMap(([why, columns]) => columns.split(' ').map(column => [column, why])),
);

describe('every free-text column is scrubbed, secret, or kept as written for a stated reason', () => {
	it('no text column of the schema is left undecided', () => {
		const undecided = TABLES.flatMap(table => table.columns.filter(column => column.type === 'TEXT' && !column.secret && !column.scrub && !column.ref && !column.refList).map(column => `${table.name}.${column.name}`)).filter(column => !(column in UNSCRUBBED_TEXT));
		expect(undecided).toEqual([]);
		// Operator-written configuration and prose beside it is scrubbed.
		const scrubbed = new Set(TABLES.flatMap(table => table.columns.filter(column => column.scrub).map(column => `${table.name}.${column.name}`)));
		for (const column of ['agents.description', 'personas.system_prompt', 'personas.description', 'tools.input_schema', 'tools.description', 'skills.source', 'workflows.description', 'workflow_versions.note', 'audit_log.detail']) expect(scrubbed, column).toContain(column);
	});
});

/** Plants every corpus form in every kind of place a credential can live in a gateway. */
function plantCorpus(dataDir: string): string {
	const db = new Database(path.join(dataDir, 'data', 'gateway.db'));
	for (const {table, column, value} of CORPUS_COLUMNS) {
		const template = db.prepare(`SELECT * FROM ${table} ORDER BY id LIMIT 1`).get() as Record<string, unknown>;
		const names = Object.keys(template);
		const insert = db.prepare(`INSERT INTO ${table} (${names.join(', ')}) VALUES (${names.map(name => '@' + name).join(', ')})`);
		SECRET_FORMS.forEach((form, index) => insert.run({...template, id: `${String(template["id"])}-${column}-c${index}`, [column]: value(form.text, form.args ?? [form.text])}));
	}
	const agent = (db.prepare('SELECT id FROM agents ORDER BY id LIMIT 1').get() as {id: string}).id;
	db.close();
	SECRET_FORMS.forEach((form, index) => fs.writeFileSync(path.join(dataDir, 'agents', agent, `corpus-${index}.md`), `# Runbook ${index}\n\nRun this:\n\n    ${form.text.split('\n').join('\n    ')}\n\nThen check the dashboard.\n`));
	const mcpFile = path.join(dataDir, 'mcp.json');
	const mcp = JSON.parse(fs.readFileSync(mcpFile, 'utf8'));
	SECRET_FORMS.forEach((form, index) => (mcp.mcpServers[`corpus-${index}`] = {command: 'npx', args: form.args ?? [form.text]}));
	fs.writeFileSync(mcpFile, JSON.stringify(mcp, null, 2));
	const settingsFile = path.join(dataDir, 'appsettings.json');
	const settings = JSON.parse(fs.readFileSync(settingsFile, 'utf8'));
	settings.Runbooks = Object.fromEntries(SECRET_FORMS.map((form, index) => [`f${index}`, form.text]));
	fs.writeFileSync(settingsFile, JSON.stringify(settings, null, 2));
	return agent;
}

describe('a corpus of real-world credential formats, planted everywhere, never enters a backup', () => {
	let dataDir: string;
	let agent: string;
	beforeAll(async () => {
		dataDir = path.join(tempDir(), 'gateway');
		await generateDemo({dir: dataDir, tenants: 1, scale: 'small', seed: 17});
		agent = plantCorpus(dataDir);
	});

	it('the corpus really is in the gateway (the scan is not vacuous)', () => {
		const db = new Database(path.join(dataDir, 'data', 'gateway.db'), {readonly: true});
		const commands = (db.prepare('SELECT command FROM cron_jobs').all() as Array<{command: string}>).map(row => row.command).join('\n');
		db.close();
		for (const secret of CORPUS_SECRETS) expect(commands).toContain(secret);
		expect(fs.readFileSync(path.join(dataDir, 'mcp.json'), 'utf8')).toContain('LEAKcli07');
	});

	for (const format of ['zip', 'tar.gz', 'dir'] as const) {
		it(`no corpus secret appears in a ${format} backup, and the redaction notes name every place`, async () => {
			const result = await createBackup({dataDir, destDir: tempDir(), format});
			const text = allArchiveBytes(result.path, format).toString('latin1');
			expect(CORPUS_SECRETS.filter(secret => text.includes(secret))).toEqual([]);
			// Nothing planted is lost either: the harmless parts around the secrets are still there.
			expect(text).toContain('Then check the dashboard.');
			expect(text).toContain('@acme/mcp');

			const notes = result.metadata.redacted;
			for (const {table, column} of CORPUS_COLUMNS) {
				expect(notes.find(note => note.field === `${table}.${column}`)?.count, `${table}.${column}`).toBeGreaterThanOrEqual(SECRET_FORMS.length);
			}
			const mcpNote = notes.find(note => note.field.startsWith('mcp/mcp.json:'))!.field;
			const settingsNote = notes.find(note => note.field.startsWith('config/appsettings.backup.json:'))!.field;
			SECRET_FORMS.forEach((form, index) => {
				expect(notes.some(note => note.field.startsWith(`agents/${agent}/corpus-${index}.md:line `) && note.action === 're-enter on restore'), form.name).toBe(true);
				expect(mcpNote, form.name).toContain(`mcpServers.corpus-${index}.args[`);
				expect(settingsNote.split(/[:,]/), form.name).toContain(`Runbooks.f${index}`);
			});
		});
	}
});
