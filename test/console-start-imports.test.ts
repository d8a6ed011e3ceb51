import {spawnSync} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {pathToFileURL} from 'node:url';
import {afterAll, beforeAll, describe, expect, test} from 'vitest';
import {CLI, ensureBuilt, ROOT} from './tmux/tmux-driver.js';

/**
 * What the console loads before its first frame: the modules a `node --import` hook sees resolved
 * (every ESM import, and the entry of every CommonJS package imported from ESM) when the console's
 * entry modules are imported. The engine (archives, cloud SDKs, cron) must load only when used.
 */
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-start-imports-'));
const hooks = path.join(work, 'record-hooks.mjs');
const register = path.join(work, 'record.mjs');

beforeAll(() => {
	ensureBuilt();
	fs.writeFileSync(
		hooks,
		`import fs from 'node:fs';
export async function resolve(specifier, context, next) {
	const resolved = await next(specifier, context);
	fs.appendFileSync(process.env.LIFEBOAT_LOADED_FILE, resolved.url + '\\n');
	return resolved;
}
`,
	);
	fs.writeFileSync(register, `import {register} from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`);
});

afterAll(() => fs.rmSync(work, {recursive: true, force: true}));

/** The URLs resolved while node runs `args` (relative to the repository), with the recorder loaded. */
function loadedBy(args: string[]): string[] {
	const file = path.join(work, `loaded-${Math.random().toString(36).slice(2)}`);
	const result = spawnSync(process.execPath, ['--import', register, ...args], {cwd: ROOT, encoding: 'utf8', env: {...process.env, LIFEBOAT_LOADED_FILE: file}});
	expect(result.stderr).toBe('');
	expect(result.status).toBe(0);
	return [...new Set(fs.readFileSync(file, 'utf8').trim().split('\n'))];
}

/** Packages and engine modules that only a command or a screen other than Home needs. */
const NOT_AT_START = [
	/\/node_modules\/@aws-sdk\//,
	/\/node_modules\/@azure\//,
	/\/node_modules\/ssh2(-sftp-client)?\//,
	/\/node_modules\/archiver\//,
	/\/node_modules\/unzipper\//,
	/\/node_modules\/tar-stream\//,
	/\/node_modules\/croner\//,
	/\/dist\/core\/archive\/(?!archive-format\.js$)/,
	/\/dist\/core\/backup\/create-backup\.js$/,
	/\/dist\/core\/restore\//,
	/\/dist\/core\/drill\//,
	/\/dist\/core\/demo\//,
	/\/dist\/ui\/screens\/(?!HomeScreen)/,
];

describe('console start', () => {
	test('the console entry loads Ink and Home, and none of the engine or cloud SDKs', () => {
		const loaded = loadedBy(['--input-type=module', '-e', `await import(${JSON.stringify(pathToFileURL(path.join(ROOT, 'dist', 'ui', 'run-tui.js')).href)});`]);
		// The recorder works: what the first frame needs is there.
		expect(loaded.some(url => url.includes('/node_modules/ink/'))).toBe(true);
		expect(loaded.some(url => url.endsWith('/dist/ui/screens/HomeScreen.js'))).toBe(true);
		expect(loaded.filter(url => NOT_AT_START.some(pattern => pattern.test(url)))).toEqual([]);
	});

	test('the CLI entry loads no command, engine or SDK before it knows what to run', () => {
		const loaded = loadedBy([CLI, '--version']);
		expect(loaded.some(url => url.endsWith('/dist/cli.js'))).toBe(true);
		expect(loaded.filter(url => NOT_AT_START.some(pattern => pattern.test(url)) || /\/node_modules\/ink\//.test(url))).toEqual([]);
	});

	test('the screens other than Home load on demand, and bring the engine with them', async () => {
		const loaded = loadedBy(['--input-type=module', '-e', `const {loadScreens} = await import(${JSON.stringify(pathToFileURL(path.join(ROOT, 'dist', 'ui', 'screens-loader.js')).href)}); await loadScreens();`]);
		expect(loaded.some(url => url.endsWith('/dist/ui/screens/BrowseScreen.js'))).toBe(true);
		expect(loaded.some(url => /\/dist\/core\/archive\//.test(url))).toBe(true);
	});
});
