import fs from 'node:fs';
import path from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {derivedId} from '../source/core/atlas/atlas-import.js';
import {expectOneLineError, runCli} from './helpers/run-cli.js';
import {startServe, tokenFile, type Served} from './helpers/serve.js';
import {tempDir} from './helpers/temp-dir.js';
import {query, storeDigest, type Row} from './restore-support.js';

/**
 * ATLAS's conversation and persona export (atlas-backup-YYYYMMDD-HHMMSS.json) imported into a demo
 * gateway's tenant, through the CLI and over real HTTP (`lifeboat serve`): rows as the readme's
 * mapping table says, a dry run first, idempotent, odd values intact, hostile files refused in one
 * line with nothing changed.
 */
type Tenant = {id: string; slug: string};

const TOKEN = 'atlas-token-0123456789abcdef';
const LONG = 'long content '.repeat(80_000); // ~1 MB
const ODD = 'ünïcödé 日本語 😀👩‍👩‍👧 \u0000 nul, "quotes", \\backslash\\, tab\t, newline\n, RTL \u202e';

let root: string;
let dataDir: string;
let acme: Tenant;
let globex: Tenant;
let user: {id: string; email: string};
let agent: {id: string; name: string};

/** The export the tests import: every accepted field name at least once. */
function atlasExport(): Record<string, unknown> {
	return {
		exported_at: '2025-12-21T10:15:00Z',
		version: 'ignored',
		personas: [
			{id: 'persona-helper-0001', name: 'Helper', description: 'kind', system_prompt: 'Be kind 😀', created_at: '2025-11-01T00:00:00Z'},
			{id: 7, name: 'Numbered', prompt: 'numeric id'},
			{name: ODD, content: ''},
			{title: 'Manifest', persona: {tone: 'dry', rules: ['a', 'b']}, createdAt: 1_700_000_000},
		],
		conversations: [
			{
				id: 'conv-0000-aaaa-0001',
				title: 'First',
				persona: 'Helper',
				created_at: '2025-12-01T00:00:00Z',
				messages: [
					{role: 'user', content: 'héllo', timestamp: '2025-12-01T00:00:01Z'},
					{role: 'assistant', content: '', tokens: 3, created_at: '2025-12-01T00:00:02Z'},
					{id: 'msg-given-id-0001', role: 'user', text: ODD},
				],
			},
			{title: 'Second', persona_id: 7, messages: [{role: 'tool', content: LONG, token_count: 123456}]},
			{persona_name: 'Nobody', messages: []},
			{id: 42, name: 'Object persona', persona: {name: 'Manifest'}, createdAt: 1_700_000_000_000, updated_at: '2025-12-02T00:00:00Z', messages: [{role: 'user', content: null}]},
			{title: '', messages: null},
		],
	};
}

function writeExport(name: string, content: unknown): string {
	const file = path.join(root, name);
	fs.writeFileSync(file, typeof content === 'string' || Buffer.isBuffer(content) ? content : JSON.stringify(content));
	return file;
}

function chats(tenant: Tenant): Record<string, Row[]> {
	return Object.fromEntries(['personas', 'conversations', 'messages'].map(table => [table, query(dataDir, `SELECT * FROM ${table} WHERE tenant_id = ? ORDER BY id`, tenant.id)]));
}

function restoreArgs(file: string, ...extra: string[]): string[] {
	return ['backup', 'restore', '--in', file, '--data-dir', dataDir, '--into-tenant', acme.slug, '--as-user', user.email, ...extra];
}

beforeAll(() => {
	root = tempDir('lifeboat-atlas-');
	dataDir = path.join(root, 'gateway');
	expect(runCli(['demo', 'init', '--dir', dataDir, '--tenants', '2', '--seed', '14', '--json']).code).toBe(0);
	[acme, globex] = query<Tenant>(dataDir, 'SELECT id, slug FROM tenants ORDER BY slug');
	user = query<{id: string; email: string}>(dataDir, 'SELECT id, email FROM users WHERE tenant_id = ? ORDER BY id LIMIT 1', acme!.id)[0]!;
	agent = query<{id: string; name: string}>(dataDir, 'SELECT id, name FROM agents WHERE tenant_id = ? ORDER BY created_at, id LIMIT 1', acme!.id)[0]!;
});

describe('backup restore of an ATLAS export (CLI)', () => {
	it('verify says what it holds; a dry run shows the counts and writes nothing; the restore lands the rows the mapping says; a second import finds them all identical', () => {
		const file = writeExport('atlas-backup-20251221-101500.json', atlasExport());
		const verified = runCli(['backup', 'verify', file]);
		expect(verified.code).toBe(0);
		expect(verified.stdout).toMatch(/an ATLAS export \(4 personas, 5 conversations, 5 messages\), not a Lifeboat backup/);

		const before = storeDigest(dataDir);
		const others = chats(globex);
		const plan = runCli(restoreArgs(file, '--dry-run'));
		expect(plan.code, plan.stderr).toBe(0);
		expect(plan.stdout).toMatch(/ATLAS export .*: 4 personas, 5 conversations, 5 messages, as the chats of tenant acme-corp/);
		expect(plan.stdout).toMatch(/Note: 1 conversation names a persona neither the export nor the tenant holds/);
		expect(plan.stdout).toMatch(/Total: 14 new, 0 identical, 0 conflicts/);
		expect(plan.stdout).toMatch(/Dry run: nothing was written/);
		expect(storeDigest(dataDir)).toEqual(before);

		const livePersonas = chats(acme)['personas']!.length;
		const restored = runCli(restoreArgs(file));
		expect(restored.code, restored.stderr).toBe(0);
		expect(restored.stdout).toMatch(/14 new, 0 identical/);
		const rows = chats(acme);
		expect(rows['personas']).toHaveLength(livePersonas + 4);
		expectMapped(rows);
		expect(chats(globex)).toEqual(others);

		const again = runCli(restoreArgs(file, '--json'));
		expect(again.code, again.stderr).toBe(0);
		const report = JSON.parse(again.stdout) as {plan: {categories: Array<{new: number; identical: number; conflicts: number}>}};
		expect(report.plan.categories[0]).toMatchObject({new: 0, identical: 14, conflicts: 0});
		expect(chats(acme)).toEqual(rows);
	});

	it('refuses in one line what it cannot place: no --into-tenant, no user, an unknown user or agent (exit 2); nothing is changed', () => {
		const file = writeExport('atlas-backup-20251221-101501.json', atlasExport());
		const before = storeDigest(dataDir);
		expectOneLineError(runCli(['backup', 'restore', '--in', file, '--data-dir', dataDir]), 2, /is an ATLAS export: it is imported into one tenant: add --into-tenant T/);
		expectOneLineError(runCli(['backup', 'restore', '--in', file, '--data-dir', dataDir, '--into-tenant', acme.slug]), 2, /holds 5 conversations: say whose they become \(CLI --as-user/);
		expectOneLineError(runCli(restoreArgs(file).map(arg => (arg === user.email ? 'nobody@example.com' : arg))), 2, /No user "nobody@example\.com" in tenant acme-corp/);
		const globexUser = query<{email: string}>(dataDir, 'SELECT email FROM users WHERE tenant_id = ? LIMIT 1', globex.id)[0]!.email;
		expectOneLineError(runCli(restoreArgs(file).map(arg => (arg === user.email ? globexUser : arg))), 2, /No user .* in tenant acme-corp/);
		expectOneLineError(runCli(restoreArgs(file, '--agent', 'no-such-agent')), 2, /No agent "no-such-agent" in tenant acme-corp/);
		expectOneLineError(runCli(restoreArgs(file).map(arg => (arg === acme.slug ? 'nope' : arg))), 3, /Unknown tenant "nope"/);
		expect(storeDigest(dataDir)).toEqual(before);
		// Personas alone need no user.
		const personasOnly = writeExport('personas-only.json', {personas: [{name: 'Solo persona'}]});
		const planned = runCli(['backup', 'restore', '--in', personasOnly, '--data-dir', dataDir, '--into-tenant', acme.slug, '--dry-run']);
		expect(planned.code, planned.stderr).toBe(0);
		expect(planned.stdout).toMatch(/Total: 1 new, 0 identical/);
	});

	it('a lone surrogate (valid JSON, not Unicode) is stored as U+FFFD, so a second import finds the rows identical', () => {
		const file = writeExport('lone.json', String.raw`{"personas":[{"id":"persona-lone-0001","name":"lone \ud800 here","system_prompt":"\udfff"}],"conversations":[{"id":"conv-lone-0000001","title":"x\ud83d","messages":[{"role":"user","content":"a\u0000b\ud800"}]}]}`);
		const first = runCli(restoreArgs(file));
		expect(first.code, first.stderr).toBe(0);
		expect(first.stdout).toMatch(/3 new, 0 identical/);
		expect(query(dataDir, 'SELECT name, system_prompt FROM personas WHERE id = ?', 'persona-lone-0001')).toEqual([{name: 'lone \ufffd here', system_prompt: '\ufffd'}]);
		expect(query(dataDir, 'SELECT content FROM messages WHERE conversation_id = ?', 'conv-lone-0000001')).toEqual([{content: 'a\u0000b\ufffd'}]);
		const second = runCli(restoreArgs(file));
		expect(second.code, second.stderr).toBe(0);
		expect(second.stdout).toMatch(/0 new, 3 identical \(left as they were\), 0 conflicts/);
	});

	it('hostile files: verify and restore each exit 5 with one clear line, in bounded time; nothing is changed', () => {
		const deep = '['.repeat(500_000) + ']'.repeat(500_000);
		const million = `{"conversations":[{"title":"many","messages":[${Array.from({length: 1_000_000}, () => '{"role":"u"}').join(',')}]}]}`;
		const cases: Array<[string, string | Buffer, RegExp]> = [
			['not-json.json', '{"conversations": [', /is not a Lifeboat backup \(a JSON file that does not begin like a Lifeboat bundle\), nor an ATLAS export \(not JSON/],
			['not-utf8.json', Buffer.concat([Buffer.from('{"personas":[{"name":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}]}')]), /nor an ATLAS export \(not UTF-8 text\)/],
			['neither.json', '{"Logging":{"Level":"Info"}}', /nor an ATLAS export \(it has no "conversations" or "personas" array\)/],
			['personas-string.json', '{"personas":"Helper"}', /"personas" is a string, not an array: not an ATLAS export/],
			['conversations-object.json', '{"conversations":{"a":1}}', /"conversations" is an object, not an array/],
			['persona-number.json', '{"personas":[5]}', /personas\[0\] is a number, not an object/],
			['persona-no-name.json', '{"personas":[{"description":"x"}]}', /personas\[0\] has neither a name nor an id/],
			['prompt-number.json', '{"personas":[{"name":"a","system_prompt":12}]}', /personas\[0\]\.system_prompt is a number, not text/],
			['messages-string.json', '{"conversations":[{"messages":"hi"}]}', /conversations\[0\]\.messages is a string, not an array/],
			['role-missing.json', '{"conversations":[{"messages":[{"content":"x"}]}]}', /conversations\[0\]\.messages\[0\] has no role/],
			['content-object.json', '{"conversations":[{"messages":[{"role":"user","content":{"text":"x"}}]}]}', /messages\[0\]\.content is an object, not text/],
			['tokens-negative.json', '{"conversations":[{"messages":[{"role":"user","tokens":-1}]}]}', /messages\[0\]\.tokens is a number, not a count/],
			['time-boolean.json', '{"conversations":[{"created_at":true}]}', /conversations\[0\]\.created_at is a boolean, not a time/],
			['id-object.json', '{"conversations":[{"id":{"x":1}}]}', /conversations\[0\]\.id is an object, not an id/],
			['repeated-id.json', '{"personas":[{"id":"persona-same-0001","name":"a"},{"id":"persona-same-0001","name":"b"}]}', /personas\[1\]: the id "persona-same-0001" repeats an earlier one's/],
			// A prompt given as JSON is kept as its text: JSON.stringify recursed into an internal error (500 over HTTP).
			['deep-prompt.json', `{"personas":[{"name":"a","system_prompt":${deep}}]}`, /personas\[0\]\.system_prompt nests deeper than 512 levels/],
			['deep-content.json', `{"conversations":[{"messages":[{"role":"user","content":${deep}}]}]}`, /messages\[0\]\.content is an array, not text/],
			// Not an object: the Lifeboat reader's refusal, as before.
			['deep-top.json', deep, /is not a Lifeboat backup/],
			['million-messages.json', million, /more than 250000 personas, conversations and messages together is not imported at once/],
			['too-large.json', `{"personas":[],"padding":"${'x'.repeat(17 * 1024 * 1024)}"}`, /larger than the 16777216 an ATLAS export may be/],
		];
		const before = storeDigest(dataDir);
		for (const [name, content, pattern] of cases) {
			const file = writeExport(name, content);
			for (const args of [['backup', 'verify', file], restoreArgs(file)]) {
				const started = Date.now();
				const result = runCli(args);
				expect(result.code, `${name} ${args[1]}: ${result.stdout}`).toBe(5);
				expectOneLineError(result, 5, pattern);
				expect(Date.now() - started, `${name} ${args[1]}`).toBeLessThan(20_000);
			}
		}
		expect(storeDigest(dataDir)).toEqual(before);
		// 512 levels, the bound of every gateway JSON document, are kept.
		const deepest = writeExport('deepest-prompt.json', `{"personas":[{"name":"a","system_prompt":${'['.repeat(512) + ']'.repeat(512)}}]}`);
		expect(runCli(['backup', 'verify', deepest]).code).toBe(0);
	}, 300_000);
});

/** The rows the readme's mapping table says the export becomes. */
function expectMapped(rows: Record<string, Row[]>): void {
	const persona = (name: string) => rows['personas']!.find(row => row['name'] === name)!;
	expect(persona('Helper')).toEqual({id: 'persona-helper-0001', tenant_id: acme.id, created_at: '2025-11-01T00:00:00Z', updated_at: '2025-11-01T00:00:00Z', name: 'Helper', description: 'kind', system_prompt: 'Be kind 😀'});
	expect(persona('Numbered')).toEqual({id: derivedId(acme.id, 'persona', 'id:7'), tenant_id: acme.id, created_at: '2025-12-21T10:15:00Z', updated_at: '2025-12-21T10:15:00Z', name: 'Numbered', description: '', system_prompt: 'numeric id'});
	expect(persona(ODD)).toMatchObject({id: derivedId(acme.id, 'persona', `name:${ODD}`, '0'), description: '', system_prompt: ''});
	expect(persona('Manifest')).toMatchObject({created_at: '2023-11-14T22:13:20.000Z', system_prompt: '{"tone":"dry","rules":["a","b"]}'});

	const conversation = (title: string) => rows['conversations']!.find(row => row['title'] === title)!;
	const common = {tenant_id: acme.id, user_id: user.id, agent_id: agent.id};
	expect(conversation('First')).toEqual({...common, id: 'conv-0000-aaaa-0001', created_at: '2025-12-01T00:00:00Z', updated_at: '2025-12-01T00:00:02Z', persona_id: 'persona-helper-0001', title: 'First'});
	expect(conversation('Second')).toMatchObject({...common, persona_id: persona('Numbered')['id'], created_at: '2025-12-21T10:15:00Z'});
	expect(conversation('Object persona')).toMatchObject({...common, id: derivedId(acme.id, 'conversation', 'id:42'), persona_id: persona('Manifest')['id'], created_at: '2023-11-14T22:13:20.000Z', updated_at: '2025-12-02T00:00:00Z'});
	const untitled = rows['conversations']!.filter(row => row['title'] === '' && row['user_id'] === user.id && row['created_at'] === '2025-12-21T10:15:00Z');
	expect(untitled.map(row => row['persona_id'])).toEqual([null, null]);

	const messagesOf = (id: unknown) => rows['messages']!.filter(row => row['conversation_id'] === id).sort((a, b) => String(a['created_at']).localeCompare(String(b['created_at'])));
	const first = messagesOf('conv-0000-aaaa-0001');
	expect(first.map(row => [row['role'], row['content'], row['token_count'], row['created_at']])).toEqual([
		['user', ODD, 0, '2025-12-01T00:00:00Z'],
		['user', 'héllo', 0, '2025-12-01T00:00:01Z'],
		['assistant', '', 3, '2025-12-01T00:00:02Z'],
	]);
	expect(first.find(row => row['content'] === ODD)!['id']).toBe('msg-given-id-0001');
	expect(first.find(row => row['content'] === 'héllo')!['id']).toBe(derivedId(acme.id, 'message', 'conv-0000-aaaa-0001\u0000#0', '0'));
	const second = messagesOf(conversation('Second')['id']);
	expect(second).toHaveLength(1);
	expect(second[0]).toMatchObject({role: 'tool', token_count: 123456});
	expect(second[0]!['content']).toBe(LONG);
	expect(messagesOf(conversation('Object persona')['id'])).toMatchObject([{role: 'user', content: ''}]);
}

describe('POST /backups/import of an ATLAS export (lifeboat serve, real HTTP)', () => {
	let server: Served;
	let serveData: string;
	let tenant: Tenant;

	beforeAll(async () => {
		const dir = tempDir('lifeboat-atlas-serve-');
		serveData = path.join(dir, 'gateway');
		expect(runCli(['demo', 'init', '--dir', serveData, '--tenants', '1', '--seed', '21', '--json']).code).toBe(0);
		tenant = query<Tenant>(serveData, 'SELECT id, slug FROM tenants')[0]!;
		server = await startServe(['--data-dir', serveData, '--dest', path.join(dir, 'backups'), '--token-file', tokenFile(dir, [TOKEN]), '--upload-limit-mb', '4']);
	});

	afterAll(async () => {
		await server?.stop();
	});

	const importBundle = (bundle: Buffer, options: Record<string, unknown> = {}, userId: string | null = null) =>
		fetch(`${server.url}/backups/import`, {
			method: 'POST',
			headers: {authorization: `Bearer ${TOKEN}`, 'x-tenant-id': tenant.slug, 'content-type': 'application/json', ...(userId ? {'x-user-id': userId} : {})},
			body: JSON.stringify({bundle: bundle.toString('base64'), options}),
		});

	it('plans, imports (the X-User-Id user, options.agent), and a second import finds every row identical; hostile bundles are 422 and change nothing', async () => {
		const owner = query<{id: string}>(serveData, 'SELECT id FROM users WHERE tenant_id = ? ORDER BY id DESC LIMIT 1', tenant.id)[0]!.id;
		const chosen = query<{id: string; name: string}>(serveData, 'SELECT id, name FROM agents WHERE tenant_id = ? ORDER BY created_at DESC, id DESC LIMIT 1', tenant.id)[0]!;
		const exported = {...atlasExport(), conversations: (atlasExport()['conversations'] as Array<Record<string, unknown>>).filter(item => item['title'] !== 'Second')};
		const bundle = Buffer.from(JSON.stringify(exported));
		const before = storeDigest(serveData);

		const missingUser = await importBundle(bundle, {dry_run: true});
		expect(missingUser.status).toBe(400);
		expect(((await missingUser.json()) as {detail: string}).detail).toMatch(/say whose they become \(the X-User-Id header:/);

		const planned = await importBundle(bundle, {dry_run: true, agent: chosen.name}, owner);
		const plan = (await planned.json()) as {plan: {categories: Array<Record<string, unknown>>; backup: {counts: Record<string, unknown>}}};
		expect(planned.status, JSON.stringify(plan)).toBe(200);
		expect(plan.plan.categories[0]).toMatchObject({category: 'chats', new: 12, identical: 0, conflicts: 0});
		expect(plan.plan.backup.counts['chats']).toMatchObject({tables: {personas: 4, conversations: 4, messages: 4}});
		expect(storeDigest(serveData)).toEqual(before);

		const imported = await importBundle(bundle, {agent: chosen.name}, owner);
		expect(imported.status).toBe(200);
		expect(await imported.json()).toMatchObject({ok: true, dryRun: false});
		const rows = query(serveData, 'SELECT user_id, agent_id, title FROM conversations WHERE id = ?', 'conv-0000-aaaa-0001');
		expect(rows).toEqual([{user_id: owner, agent_id: chosen.id, title: 'First'}]);
		const odd = query<{content: string}>(serveData, 'SELECT content FROM messages WHERE id = ?', 'msg-given-id-0001');
		expect(odd[0]!.content).toBe(ODD);

		const again = await importBundle(bundle, {agent: chosen.name}, owner);
		const second = (await again.json()) as {plan: {categories: Array<Record<string, unknown>>}};
		expect(second.plan.categories[0]).toMatchObject({new: 0, identical: 12, conflicts: 0});

		const after = storeDigest(serveData).tables;
		for (const hostile of ['{"personas":"x"}', '{"conversations":[{"messages":[{"role":5}]}]}', '{"not":"atlas"}', '{"conversations": [']) {
			const response = await importBundle(Buffer.from(hostile), {}, owner);
			const body = (await response.json()) as {error: string; detail: string};
			expect(response.status, hostile).toBe(422);
			expect(body.error).toBe('Invalid backup format');
			expect(body.detail).not.toContain('\n');
			expect(body.detail).not.toMatch(/lifeboat-serve-|atlas-converted/);
		}
		expect(storeDigest(serveData).tables).toEqual(after);
	}, 120_000);
});
