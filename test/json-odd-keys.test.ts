/**
 * Gateway JSON files (config, MCP, agent JSON) whose keys are odd but legal — `__proto__`,
 * `constructor`, `prototype`, the empty key, keys with NUL — round-trip: backup → restore into a
 * fresh gateway gives back the same bytes (secrets aside, where the redaction marker stands).
 */
import fs from 'node:fs';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {plainFileSource} from '../source/core/archive/archive-reader.js';
import {verifyBackup} from '../source/core/backup/verify-backup.js';
import {diffSides} from '../source/core/diff/diff-sides.js';
import {scrubColumnValue} from '../source/core/redaction.js';
import {flattenJson, fileChanges} from '../source/core/restore/conflict-detail.js';
import {applyRestore} from '../source/core/restore/index.js';
import {changedPaths, mergeRedacted} from '../source/core/restore/json-merge.js';
import {REDACTED_MARKER} from '../source/core/store/schema.js';
import {createGateway} from '../source/core/store/gateway-store.js';
import {backupOf, demoGateway, editedBackup, freshGateway, query} from './restore-support.js';
import {tempDir} from './helpers/temp-dir.js';

function gatewayWith(files: Record<string, string>): string {
	const dir = path.join(tempDir('lifeboat-oddkeys-'), 'gateway');
	createGateway(dir).close();
	for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
	return dir;
}

async function roundTrip(files: Record<string, string>, format: 'zip' | 'dir' = 'zip'): Promise<Record<string, string>> {
	const source = gatewayWith(files);
	const {source: archive} = await backupOf(source, {format, categories: ['config', 'mcp']});
	// `backup verify` reads the files as restore does: what restores, verifies.
	expect((await verifyBackup(archive)).problems).toEqual([]);
	const target = freshGateway();
	await applyRestore({source: archive, dataDir: target});
	return Object.fromEntries(Object.keys(files).map(name => [name, fs.readFileSync(path.join(target, name), 'utf8')]));
}

describe('gateway JSON files with odd keys', () => {
	it('keeps a __proto__ key (and constructor, prototype) through backup and restore', async () => {
		const config = '{"Logging":{"__proto__":{"LogLevel":"Debug"},"constructor":"c","prototype":{"a":1}},"__proto__":[1,2]}';
		const restored = await roundTrip({'appsettings.json': config, 'mcp.json': '{"servers":{"__proto__":{"command":"node"}}}'});
		expect(restored['appsettings.json']).toBe(config);
		expect(restored['mcp.json']).toBe('{"servers":{"__proto__":{"command":"node"}}}');
	});

	it('keeps the spelling of everything but the secrets: numbers, escapes, duplicated keys, blanks, a byte order mark', async () => {
		const config = '\uFEFF{ "A": 1.10, "B": 12345678901234567891, "C": "\\u0041", "D": 1, "D": 2,\r\n "Password": "hunter2" }';
		const restored = await roundTrip({'appsettings.json': config});
		expect(restored['appsettings.json']).toBe(config.replace('"hunter2"', JSON.stringify(REDACTED_MARKER)));
	});

	it('redacts a secret under every copy of a duplicated key (the first copy is no less a secret)', async () => {
		const restored = await roundTrip({'mcp.json': '{"env":{"API_KEY":"first-secret","API_KEY":"second-secret"}}'});
		expect(restored['mcp.json']).toBe(`{"env":{"API_KEY":${JSON.stringify(REDACTED_MARKER)},"API_KEY":${JSON.stringify(REDACTED_MARKER)}}}`);
	});

	it('restoring over the live file puts each copy of a duplicated secret back from its own copy', async () => {
		const original = '{"env":{"API_KEY":"first-secret","API_KEY":"second-secret"}}';
		const dataDir = gatewayWith({'mcp.json': original});
		const {source} = await backupOf(dataDir, {format: 'zip', categories: ['mcp']});
		fs.writeFileSync(path.join(dataDir, 'mcp.json'), original.replace('{"env"', '{"added":1,"env"'));
		await applyRestore({source, dataDir, mode: 'replace'});
		expect(fs.readFileSync(path.join(dataDir, 'mcp.json'), 'utf8')).toBe(original);
	});

	it('a JSON value in a scrubbed column keeps its odd keys and spelling, only its secret rewritten', () => {
		const value = '{"__proto__": {"token": "abc123"}, "constructor": 1.10}';
		expect(scrubColumnValue(value)).toBe(`{"__proto__": {"token": ${JSON.stringify(REDACTED_MARKER)}}, "constructor": 1.10}`);
	});

	it('merging live secrets into parsed documents keeps __proto__ keys and never takes inherited values (constructor)', () => {
		const backup = JSON.parse(`{"__proto__":{"apiKey":${JSON.stringify(REDACTED_MARKER)}},"apiKey":{"constructor":${JSON.stringify(REDACTED_MARKER)}}}`) as unknown;
		const live = JSON.parse('{"__proto__":{"apiKey":"live-key"},"apiKey":{}}') as unknown;
		const merged = mergeRedacted(backup, live);
		expect(JSON.stringify(merged.value)).toBe(`{"__proto__":{"apiKey":"live-key"},"apiKey":{"constructor":${JSON.stringify(REDACTED_MARKER)}}}`);
		expect(merged.unresolved).toEqual(['apiKey.constructor']);
		expect(changedPaths(JSON.parse('{"__proto__":{"a":1}}'), JSON.parse('{"__proto__":{"a":2}}'))).toEqual(['__proto__.a']);
		expect(changedPaths(JSON.parse('{"a":1}'), JSON.parse('{"a":1,"constructor":2}'))).toEqual(['constructor']);
	});

	it('the conflict view shows __proto__ keys as keys', () => {
		expect(flattenJson(JSON.parse('{"__proto__":"x","b":{"__proto__":1}}'))).toEqual(Object.fromEntries([['__proto__', 'x'], ['b.__proto__', 1]]));
		expect(Object.keys(flattenJson(JSON.parse('{"__proto__":"x"}')))).toEqual(['__proto__']);
		expect(fileChanges(Buffer.from('{"__proto__":{"a":1}}'), Buffer.from('{"__proto__":{"a":2}}'), {path: 'appsettings.json', archivePath: 'config/appsettings.backup.json', kind: 'json'})).toEqual(['__proto__.a']);
	});

	it('backup diff: a live config with odd keys equals its backup, and a change under __proto__ is seen', async () => {
		const config = '{"__proto__":{"Level":"Debug"},"Jwt":{"SigningKey":"s3cret"},"N":1.10}';
		const dataDir = gatewayWith({'appsettings.json': config});
		const {path: file} = await backupOf(dataDir, {format: 'zip', categories: ['config']});
		const backupSide = {kind: 'backup', source: plainFileSource(file)} as const;
		const configChanges = async () => (await diffSides(backupSide, {kind: 'live', dataDir})).categories.find(entry => entry.category === 'config')!.changed;
		expect(await configChanges()).toBe(0);
		fs.writeFileSync(path.join(dataDir, 'appsettings.json'), config.replace('Debug', 'Trace'));
		expect(await configChanges()).toBe(1);
	});

	it('an agent folder\'s JSON file keeps its odd keys and spelling too; its markdown (front matter and all) stays byte for byte', async () => {
		const dataDir = await demoGateway({tenants: 1});
		const agent = query<{id: string}>(dataDir, 'SELECT id FROM agents ORDER BY id LIMIT 1')[0]!.id;
		const folder = path.join(dataDir, 'agents', agent);
		const json = '{"__proto__": {"model": "x"}, "constructor": [1.0, 2e400], "apiKey": "sk-live", "apiKey": "again"}';
		const markdown = '---\n__proto__: yes\nconstructor: 1.10\ntags: [a, a]\n---\n# Soul\n';
		fs.writeFileSync(path.join(folder, 'odd.json'), json);
		fs.writeFileSync(path.join(folder, 'SOUL.md'), markdown);
		const {source} = await backupOf(dataDir, {format: 'zip', categories: ['users', 'agents']});
		expect((await verifyBackup(source)).problems).toEqual([]);
		const target = freshGateway();
		await applyRestore({source, dataDir: target});
		const restored = path.join(target, 'agents', agent);
		expect(fs.readFileSync(path.join(restored, 'odd.json'), 'utf8')).toBe(json.replace('"sk-live"', JSON.stringify(REDACTED_MARKER)).replace('"again"', JSON.stringify(REDACTED_MARKER)));
		expect(fs.readFileSync(path.join(restored, 'SOUL.md'), 'utf8')).toBe(markdown);
	});

	it('a config nested deeper than 512 levels is refused with one line at backup, by verify and by restore (never a stack overflow)', async () => {
		const deep = (depth: number) => `{"a":${'['.repeat(depth)}${']'.repeat(depth)}}`;
		const dataDir = gatewayWith({'appsettings.json': deep(100_000)});
		await expect(backupOf(dataDir, {format: 'dir', categories: ['config']})).rejects.toThrow('appsettings.json is not valid JSON in UTF-8 (or over 32 MiB, or nested over 512 levels); fix it or leave the config category out (--categories)');
		fs.writeFileSync(path.join(dataDir, 'appsettings.json'), deep(500));
		const source = await editedBackup(dataDir, {categories: ['config']}, dir => fs.writeFileSync(path.join(dir, 'config', 'appsettings.backup.json'), deep(100_000)));
		expect((await verifyBackup(source)).problems).toEqual(['config/appsettings.backup.json: not valid JSON']);
		await expect(applyRestore({source, dataDir: freshGateway()})).rejects.toThrow('config/appsettings.backup.json: not valid JSON; nothing was restored');
	});
});

