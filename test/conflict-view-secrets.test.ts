/**
 * The side-by-side view of a gateway JSON file masks exactly what a backup of it would leave out:
 * the view and the backup ask one rule (redaction.ts). A view that masked less would put a live
 * secret on screen; one that masked more would hide settings the backup keeps (a tool's input
 * schema, a Jwt section's issuer), so the operator could not see what a restore changes.
 */
import fs from 'node:fs';
import path from 'node:path';
import {isDeepStrictEqual} from 'node:util';
import fc from 'fast-check';
import {describe, expect, it} from 'vitest';
import {flattenJson, getConflictDetail, LIVE_SECRET_MASK} from '../source/core/restore/conflict-detail.js';
import {applyRestore} from '../source/core/restore/index.js';
import {redactJson} from '../source/core/redaction.js';
import {REDACTED_MARKER} from '../source/core/store/schema.js';
import {runCli} from './helpers/run-cli.js';
import {backupOf, copyGateway, demoGateway, exec, query} from './restore-support.js';

const runs = Number(process.env['LIFEBOAT_PROPERTY_RUNS'] ?? 200);

/** flattenJson without masking: the document's leaves by the same dotted paths. */
function leaves(value: unknown, trail = '', out: Record<string, unknown> = {}): Record<string, unknown> {
	const label = trail || '(root)';
	if (Array.isArray(value)) {
		if (value.length === 0) out[label] = value;
		value.forEach((item, index) => leaves(item, `${trail}[${index}]`, out));
	} else if (value && typeof value === 'object') {
		if (Object.keys(value).length === 0) out[label] = value;
		for (const [key, child] of Object.entries(value)) leaves(child, trail ? `${trail}.${key}` : key, out);
	} else out[label] = value;
	return out;
}

const NAMES = ['password', 'apiKey', 'key', 'auth', 'tokens', 'maxTokens', 'Jwt', 'Issuer', 'SigningKey', 'properties', 'type', 'description', 'name', 'value', 'args', 'command', 'url', 'title', 'sort'];
const VALUES = ['sk-live-4f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c', 'postgres://app:Sup3rS3cret@db.example/gw', 'created_at', 'none', 'string', 'Authorization', '--token', 'ghp_0123456789abcdefghijABCDEFGHIJ012345', 'Bearer abcdefghijklmnop0123456789', 'hello', ''];
const doc = fc.letrec(tie => ({
	node: fc.oneof({depthSize: 'small', withCrossShrink: true}, tie('leaf'), tie('object'), tie('array')),
	leaf: fc.oneof(fc.constantFrom(...VALUES), fc.integer(), fc.boolean(), fc.constant(null)),
	object: fc.dictionary(fc.constantFrom(...NAMES), tie('node'), {maxKeys: 5, noNullPrototype: true}),
	array: fc.array(tie('node'), {maxLength: 4}),
})).node;

describe('the side-by-side view masks what a backup leaves out, and only that', () => {
	it('a leaf is masked exactly where redactJson changes it (property)', () => {
		fc.assert(
			fc.property(doc, value => {
				const shown = flattenJson(value);
				const backup = leaves(redactJson(value).value);
				const plain = leaves(value);
				expect(Object.keys(shown)).toEqual(Object.keys(plain));
				for (const [path, original] of Object.entries(plain)) {
					const redacted = backup[path];
					if (isDeepStrictEqual(redacted, original)) expect(shown[path]).toEqual(original);
					else expect(shown[path]).toBe(typeof redacted === 'string' ? redacted.replaceAll(REDACTED_MARKER, LIVE_SECRET_MASK) : redacted);
				}
			}),
			{numRuns: runs},
		);
	});

	it('keeps a tool schema\'s parameters and a Jwt section\'s issuer; masks keys, embedded passwords and argv tokens', () => {
		const shown = flattenJson({
			inputSchema: {type: 'object', properties: {password: {type: 'string', description: 'The account password', minLength: 8}}},
			Jwt: {Issuer: 'https://gw.example', Audience: 'gateway-api', SigningKey: 'LEAK-signing-key-0001'},
			database: 'postgres://app:LEAKpw0002@db.example/gw',
			mcp: {command: 'server', args: ['--token', 'LEAKtoken0003']},
			apiKey: 'LEAK-api-key-0004',
			sort: {key: 'created_at'},
			old: REDACTED_MARKER,
		});
		expect(JSON.stringify(shown)).not.toMatch(/LEAK/);
		expect(shown).toMatchObject({
			'inputSchema.properties.password.type': 'string',
			'inputSchema.properties.password.description': 'The account password',
			'inputSchema.properties.password.minLength': 8,
			'Jwt.Issuer': 'https://gw.example',
			'Jwt.Audience': 'gateway-api',
			'Jwt.SigningKey': LIVE_SECRET_MASK,
			'mcp.args[0]': '--token',
			'mcp.args[1]': LIVE_SECRET_MASK,
			apiKey: LIVE_SECRET_MASK,
			'sort.key': 'created_at',
			old: REDACTED_MARKER,
		});
		expect(shown['database']).toContain(LIVE_SECRET_MASK);
		expect(shown['database']).toContain('db.example');
	});
});

describe('the side-by-side view of a conflicting row', () => {
	it('shows a live description with its credentials masked, as the backup holds it, and the change itself', async () => {
		const original = await demoGateway({seed: 61});
		const backup = await backupOf(original);
		const dataDir = copyGateway(original);
		const agent = query<{id: string}>(dataDir, 'SELECT id FROM agents ORDER BY id LIMIT 1')[0]!.id;
		exec(dataDir, `UPDATE agents SET description = 'Calls the billing API with api_key=LEAKdescKey0123456789abcdef, edited live' WHERE id = ?`, agent);
		const detail = await getConflictDetail({source: backup.source, dataDir}, 'agents', 'agents', agent);
		expect(JSON.stringify(detail)).not.toMatch(/LEAK/);
		expect(detail.live['description']).toBe(`Calls the billing API with api_key=${LIVE_SECRET_MASK}, edited live`);
		expect(detail.changed).toContain('description');
	});
});

describe('the side-by-side view of a conflicting file', () => {
	it('previews live agent prose as the backup holds it (credentials masked), in the dry run and in quarantine show', async () => {
		const original = await demoGateway({seed: 62});
		const backup = await backupOf(original);
		const dataDir = copyGateway(original);
		const agent = query<{id: string}>(dataDir, 'SELECT id FROM agents ORDER BY id LIMIT 1')[0]!.id;
		const soul = path.join(dataDir, 'agents', agent, 'SOUL.md');
		fs.appendFileSync(soul, 'Edited live. OPENAI_API_KEY=sk-LEAKproseKey0123456789abcdef\n');
		const target = `agents/${agent}/SOUL.md`;
		const detail = await getConflictDetail({source: backup.source, dataDir}, 'agents', 'files', target);
		expect(JSON.stringify(detail)).not.toMatch(/LEAK/);
		expect(detail.live['preview']).toContain(`Edited live. OPENAI_API_KEY=${LIVE_SECRET_MASK}`);
		expect(detail.changed).toContain('preview');
		const {restoreId} = await applyRestore({source: backup.source, dataDir});
		const shown = runCli(['quarantine', 'show', restoreId, `files:${target}`, '--data-dir', dataDir, '--json']);
		expect(shown.code).toBe(0);
		expect(shown.stdout).not.toMatch(/LEAK/);
		expect(runCli(['quarantine', 'show', restoreId, `files:${target}`, '--data-dir', dataDir]).stdout).not.toMatch(/LEAK/);
	});

	it('shows no text of a live gateway JSON file that does not parse (a backup leaves such a file out)', async () => {
		const original = await demoGateway({seed: 63});
		const backup = await backupOf(original);
		const dataDir = copyGateway(original);
		const settings = path.join(dataDir, 'appsettings.json');
		// .NET reads appsettings.json with comments; JSON.parse does not.
		fs.writeFileSync(settings, `// edited live\n${fs.readFileSync(settings, 'utf8').replace(/^\{/, '{"OpenAi": {"ApiKey": "LEAKjsonKey0123456789"},')}`);
		const detail = await getConflictDetail({source: backup.source, dataDir}, 'config', 'files', 'appsettings.json');
		expect(JSON.stringify(detail)).not.toMatch(/LEAK/);
		expect(detail.live).toMatchObject({path: 'appsettings.json', sha256: expect.any(String)});
	});
});
