#!/usr/bin/env node
// The second step of `npm run build` (after tsc, which type-checks and writes dist/ for the tests
// and benchmarks): bundles the CLI from its sources into the shipped dist/cli.js (the package's
// "bin"), so Node parses a few files instead of resolving some 600 modules (Ink alone brings
// ~450) before the console's first frame (issue 13: < 300 ms). Every `import()` stays lazy: its
// modules go to dist/chunks/ and load only when a command or a screen needs them. Plain
// JavaScript, like build-if-stale.mjs.
import fs from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

/** The first comment of a bundled dist/cli.js (after the #! line): tsc's own cli.js lacks it. */
export const BUNDLE_MARKER = '// lifeboat bundle (scripts/bundle.mjs)';

/** Where the lazy chunks go, under dist/. */
export const CHUNKS = 'chunks';

/** esbuild's record of the last bundle (which source went into which output), under dist/. */
export const METAFILE = 'bundle-meta.json';

/**
 * Packages left to Node's own resolution at run time (each loads only where it is imported, all
 * behind lazy imports):
 * - better-sqlite3, cpu-features: native addons (.node files found through `bindings`);
 * - ssh2, ssh2-sftp-client: ssh2 loads its optional native crypto binding and cpu-features;
 * - @aws-sdk/*, @azure/*: large SDKs with their own conditional exports; bundling them would
 *   only make the build slow and the chunks large;
 * - react-devtools-core: Ink imports it only when DEV=true, and it is not installed: left out, Ink
 *   says so exactly as it does unbundled.
 */
export const EXTERNAL = ['better-sqlite3', 'cpu-features', 'ssh2', 'ssh2-sftp-client', '@aws-sdk/*', '@azure/*', 'react-devtools-core'];

/**
 * The ES module output gives bundled CommonJS packages (archiver, unzipper, React…) no `require`
 * for the Node built-ins they load: every output file gets one, made for its own URL.
 */
const REQUIRE_SHIM = "import {createRequire as lifeboatCreateRequire} from 'node:module';\nconst require = lifeboatCreateRequire(import.meta.url);";

/**
 * Edits to three packages' code as it goes into the bundle, each for what it costs before the
 * console's first frame (files relative to the project; each edit's text must be found exactly
 * `count` times, and every file must have been bundled, else the build fails: the package
 * changed, look again).
 * - yoga-layout (Ink's layout engine) loads its WebAssembly from a base64 data: URL through
 *   fetch() when fetch exists: that loads Node's whole HTTP client (undici, http, tls, http2,
 *   zlib) just to decode it. Its own fallback decodes the same bytes without fetch, in a
 *   JavaScript loop over atob()'s output (~100 KB): Buffer decodes them natively instead.
 * - string-width (Ink measures every line with it) builds /^\p{RGI_Emoji}$/v when loaded: V8
 *   takes ~50 ms to build that set of emoji sequences. Built on first need instead, and needed
 *   only for a segment holding an Emoji_Presentation character, or an Emoji character among
 *   other characters: every RGI emoji does (a single character one is Emoji_Presentation, which
 *   test/bundle-patches.test.ts checks for every code point; a sequence holds an emoji character
 *   by its definition, UTS #51), so the answer is the same for every segment.
 * - meow's bundled dependencies build normalize-package-data (semver, SPDX license tables, half
 *   of meow's code) when loaded, only to normalise `cli.pkg`, which Lifeboat never reads: left
 *   out (cli.pkg is package.json as read; meow itself reads only its name, bin and description).
 */
export const PATCHES = [
	{
		file: 'node_modules/yoga-layout/dist/binaries/yoga-wasm-base64-esm.js',
		edits: [
			{from: '"function"!=typeof fetch', to: 'true', count: 2},
			{
				from: 'var b=xa(a.slice(37)),c=new Uint8Array(b.length);for(a=0;a<b.length;++a)c[a]=b.charCodeAt(a);var d=c',
				to: 'var d=new Uint8Array(Buffer.from(a.slice(37),"base64"))',
				count: 1,
			},
		],
	},
	{
		file: 'node_modules/string-width/index.js',
		edits: [
			{
				from: 'const rgiEmojiRegex = /^\\p{RGI_Emoji}$/v;',
				to: [
					'const emojiPresentationRegex = /\\p{Emoji_Presentation}/u;',
					'const emojiCharacterRegex = /\\p{Emoji}/u;',
					'let rgiEmojiRegexBuilt;',
					'const rgiEmojiRegex = {test: segment => (emojiPresentationRegex.test(segment) || (emojiCharacterRegex.test(segment) && [...segment].length > 1)) && (rgiEmojiRegexBuilt ??= /^\\p{RGI_Emoji}$/v).test(segment)};',
				].join('\n'),
				count: 1,
			},
		],
	},
	{
		file: 'node_modules/meow/build/dependencies.js',
		edits: [
			{
				from: 'var normalizeExports = requireNormalize();\nconst normalizePackageData = getDefaultExportFromCjs(normalizeExports);',
				to: 'const normalizePackageData = () => {};',
				count: 1,
			},
		],
	},
];

/**
 * The esbuild plugin that applies PATCHES to `root`'s packages; `applied` collects the files it
 * patched (bundle() fails when one is missing).
 */
export function patchPackages(root, applied = new Set()) {
	const escape = text => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
	// esbuild hands over real paths (node_modules may be a link).
	const files = new Map(PATCHES.map(patch => [fs.realpathSync(path.join(root, patch.file)), patch]));
	return {
		name: 'lifeboat-patches',
		setup(build) {
			build.onLoad({filter: new RegExp(PATCHES.map(patch => `${escape(path.basename(patch.file))}$`).join('|'))}, args => {
				const patch = files.get(args.path);
				if (!patch) return undefined;
				let text = fs.readFileSync(args.path, 'utf8');
				for (const edit of patch.edits) {
					const found = text.split(edit.from).length - 1;
					if (found !== edit.count) throw new Error(`${patch.file}: expected ${edit.count} × ${JSON.stringify(edit.from)}, found ${found}: see PATCHES in scripts/bundle.mjs`);
					text = text.replaceAll(edit.from, () => edit.to);
				}
				applied.add(patch.file);
				return {contents: text, loader: 'js'};
			});
		},
	};
}

/** Bundles `root`'s source/cli.tsx into dist/cli.js and dist/chunks/; removes the previous chunks. */
export async function bundle(root) {
	// Loaded here, not at the top: build-if-stale.mjs imports isBundled() on every `npm start`.
	const esbuild = await import('esbuild');
	const dist = path.join(root, 'dist');
	fs.rmSync(path.join(dist, CHUNKS), {recursive: true, force: true});
	const applied = new Set();
	const result = await esbuild.build({
		absWorkingDir: root,
		entryPoints: {cli: 'source/cli.tsx'},
		outdir: 'dist',
		chunkNames: `${CHUNKS}/[name]-[hash]`,
		bundle: true,
		splitting: true,
		format: 'esm',
		platform: 'node',
		target: 'node20',
		tsconfig: 'tsconfig.json',
		external: EXTERNAL,
		plugins: [patchPackages(root, applied)],
		// React and its reconciler pick their production build by NODE_ENV, read at run time: the
		// shipped console is a production build, so only that one is bundled.
		define: {'process.env.NODE_ENV': '"production"'},
		banner: {js: `${BUNDLE_MARKER}\n${REQUIRE_SHIM}`},
		// Less to parse before the first frame (~3 % fewer instructions); names are kept, so a
		// LIFEBOAT_DEBUG stack still names its functions (and dist/*.map maps it to the sources).
		minifyWhitespace: true,
		minifySyntax: true,
		sourcemap: true,
		metafile: true,
		logLevel: 'warning',
	});
	const missed = PATCHES.filter(patch => !applied.has(patch.file)).map(patch => patch.file);
	if (missed.length > 0) throw new Error(`not bundled, so not patched: ${missed.join(', ')} (see PATCHES in scripts/bundle.mjs)`);
	fs.writeFileSync(path.join(dist, METAFILE), JSON.stringify(result.metafile));
	// Runnable as ./dist/cli.js (its #! line), as npm makes an installed bin.
	fs.chmodSync(path.join(dist, 'cli.js'), 0o755);
	return result;
}

/** True when dist/cli.js is this script's bundle (a plain `tsc` run overwrites it with its own). */
export function isBundled(root) {
	let head = '';
	try {
		const fd = fs.openSync(path.join(root, 'dist', 'cli.js'), 'r');
		try {
			const buffer = Buffer.alloc(512);
			head = buffer.subarray(0, fs.readSync(fd, buffer, 0, buffer.length, 0)).toString('utf8');
		} finally {
			fs.closeSync(fd);
		}
	} catch {
		return false;
	}
	return head.split('\n').slice(0, 3).includes(BUNDLE_MARKER);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
	await bundle(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..'));
}
