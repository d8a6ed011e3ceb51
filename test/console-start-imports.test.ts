import {spawnSync} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {pathToFileURL} from 'node:url';
import {afterAll, afterEach, beforeAll, describe, expect, test} from 'vitest';
import {generateDemo} from '../source/core/demo/generate-demo.js';
// @ts-expect-error: a plain JavaScript script (it runs before anything is compiled), no types.
import {BUNDLE_MARKER, METAFILE} from '../scripts/bundle.mjs';
import {CLI, ensureBuilt, ROOT, tmuxAvailable, TmuxSession} from './tmux/tmux-driver.js';

/**
 * What the shipped binary (dist/cli.js, bundled by scripts/bundle.mjs) loads: the URLs a
 * `node --import` hook sees resolved (every chunk of the bundle, and every package left outside
 * it), read back as the source modules each chunk holds (esbuild's metafile, dist/bundle-meta.json).
 * The console must draw its first frame before the engine (archives, cloud SDKs, SQLite, cron)
 * and the screens other than Home are loaded.
 */
const HAVE_TMUX = tmuxAvailable();
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-start-imports-'));
const hooks = path.join(work, 'record-hooks.mjs');
const register = path.join(work, 'record.mjs');
/** Main thread: writes FIRST FRAME into the record when the console first writes its Home frame. */
const frameMark = path.join(work, 'frame-mark.mjs');
let session: TmuxSession | undefined;

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
	fs.writeFileSync(
		frameMark,
		`import fs from 'node:fs';
const write = process.stdout.write.bind(process.stdout);
let marked = false;
process.stdout.write = (chunk, ...rest) => {
	const written = write(chunk, ...rest);
	if (!marked && String(chunk).includes('Home')) {
		marked = true;
		fs.appendFileSync(process.env.LIFEBOAT_LOADED_FILE, 'FIRST FRAME\\n');
	}
	return written;
};
`,
	);
});

afterEach(() => {
	session?.kill();
	session = undefined;
});

afterAll(() => fs.rmSync(work, {recursive: true, force: true}));

type Meta = {outputs: Record<string, {inputs: Record<string, unknown>}>};

/**
 * The modules behind resolved URLs: a file of the bundle stands for the sources and packages
 * esbuild put in it (as `/source/…`, `/node_modules/…`); anything else is itself (a package left
 * outside the bundle: `file:///…/node_modules/…`; a built-in: `node:…`).
 */
function modulesOf(urls: string[]): string[] {
	const meta = JSON.parse(fs.readFileSync(path.join(ROOT, 'dist', METAFILE as string), 'utf8')) as Meta;
	const dist = pathToFileURL(path.join(ROOT, 'dist')).href + '/';
	return urls.flatMap(url => {
		if (!url.startsWith(dist)) return [url];
		const output = meta.outputs[`dist/${url.slice(dist.length)}`];
		if (!output) throw new Error(`${url} is not a file of the bundle (dist/${METAFILE as string} is stale?)`);
		return [url, ...Object.keys(output.inputs).map(input => `/${input}`)];
	});
}

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
	/\/node_modules\/better-sqlite3\//,
	/\/node_modules\/archiver\//,
	/\/node_modules\/unzipper\//,
	/\/node_modules\/tar-stream\//,
	/\/node_modules\/croner\//,
	/\/source\/core\/archive\/(?!archive-format\.ts$)/,
	/\/source\/core\/backup\/create-backup\.ts$/,
	/\/source\/core\/restore\//,
	/\/source\/core\/drill\//,
	/\/source\/core\/demo\//,
	/\/source\/ui\/screens\/(?!HomeScreen)/,
];

describe('the shipped binary', () => {
	test('dist/cli.js is the bundle, with the #! line (and its Node flags) of source/cli.tsx', () => {
		const [shebang, marker] = fs.readFileSync(CLI, 'utf8').split('\n', 2);
		expect(shebang).toBe(fs.readFileSync(path.join(ROOT, 'source', 'cli.tsx'), 'utf8').split('\n', 1)[0]);
		expect(shebang).toMatch(/^#!\/usr\/bin\/env -S (\w+=\S+ )*node --/);
		expect(marker).toBe(BUNDLE_MARKER);
	});

	test('the CLI entry loads no command, engine, SDK or Ink before it knows what to run', () => {
		const loaded = modulesOf(loadedBy([CLI, '--version']));
		// The recorder works: the entry and the command table are there.
		expect(loaded).toContain(pathToFileURL(CLI).href);
		expect(loaded).toContain('/source/commands/command-table.ts');
		expect(loaded).toContain('/source/command-line.ts');
		expect(loaded.filter(url => NOT_AT_START.some(pattern => pattern.test(url)) || /\/node_modules\/ink\/|\/source\/commands\/(backup|schedule|demo|drill|quarantine|destination)-/.test(url))).toEqual([]);
	});
});

describe.skipIf(!HAVE_TMUX)('console start (the binary in tmux, 80x24)', () => {
	test('before its first frame the console loads Ink and Home, and none of the engine, SQLite or cloud SDKs; the other screens load just after', async () => {
		const gateway = path.join(work, 'gateway');
		await generateDemo({dir: gateway, tenants: 1, scale: 'small', seed: 3});
		const file = path.join(work, 'loaded-console');
		const quote = (value: string) => `'${value.replaceAll("'", `'\\''`)}'`;
		const node = [process.execPath, '--import', register, '--import', frameMark, CLI, '--data-dir', gateway, '--dest', path.join(work, 'backups')];
		session = new TmuxSession();
		session.start(`env LIFEBOAT_LOADED_FILE=${quote(file)} ${node.map(quote).join(' ')}; sleep 600`);
		await session.waitFor('Home');
		// The screens load after the first frame, bringing the engine: wait until the record shows both.
		const record = () => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim().split('\n') : []);
		const split = () => {
			const lines = record();
			const frame = lines.indexOf('FIRST FRAME');
			return frame === -1 ? undefined : {before: modulesOf([...new Set(lines.slice(0, frame))]), after: modulesOf([...new Set(lines.slice(frame + 1))])};
		};
		const screensLoaded = (after: string[]) => after.includes('/source/ui/screens/BrowseScreen.tsx') && after.some(url => /\/source\/core\/archive\/(?!archive-format\.ts$)/.test(url));
		const started = Date.now();
		let seen = split();
		while (!seen || !screensLoaded(seen.after)) {
			if (Date.now() - started > 40_000) throw new Error(`the screens and the engine never loaded after the first frame:\n${record().join('\n')}`);
			await new Promise(resolve => setTimeout(resolve, 50));
			seen = split();
		}
		const {before} = seen;
		// The recorder works: what the first frame needs is there, and the screens come after it with the engine.
		expect(before).toContain(pathToFileURL(CLI).href);
		expect(before.some(url => url.startsWith('/node_modules/ink/'))).toBe(true);
		expect(before).toContain('/source/ui/screens/HomeScreen.tsx');
		expect(before.filter(url => NOT_AT_START.some(pattern => pattern.test(url)))).toEqual([]);
		// Its own command line (--data-dir, --dest) is read without meow or the command table.
		expect(before.filter(url => url.startsWith('/node_modules/meow/') || url === '/source/commands/command-table.ts' || url === '/source/command-line.ts')).toEqual([]);
	});
});
