/**
 * Gateway JSON files (config, MCP, agent JSON) whose keys are odd but legal — `__proto__`,
 * `constructor`, `prototype`, the empty key, keys with NUL — round-trip: backup → restore into a
 * fresh gateway gives back the same bytes (secrets aside, where the redaction marker stands).
 */
import fs from 'node:fs';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {applyRestore} from '../source/core/restore/index.js';
import {createGateway} from '../source/core/store/gateway-store.js';
import {backupOf, freshGateway} from './restore-support.js';
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
});
