#!/usr/bin/env node
// `npm start`'s prestart: runs the build (tsc, then the bundle of dist/cli.js) only when a source
// changed since the last build made here (a full build takes seconds; this check takes
// milliseconds). Plain JavaScript: it runs before anything is compiled.
import {spawnSync} from 'node:child_process';
import fs from 'node:fs';
import {createRequire} from 'node:module';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {isBundled} from './bundle.mjs';

/** Written into dist/ after a successful build; its mtime is when that build started. */
export const STAMP = path.join('dist', '.build-stamp');

/** What the build reads besides source/: a change here rebuilds too. */
const INPUTS = ['tsconfig.json', 'package.json', path.join('scripts', 'bundle.mjs')];

/** The newest mtime (ms) of a folder, its sub-folders (an added or removed file) and its files. */
function newestIn(dir) {
	let newest = fs.statSync(dir).mtimeMs;
	for (const entry of fs.readdirSync(dir, {withFileTypes: true})) {
		const full = path.join(dir, entry.name);
		newest = Math.max(newest, entry.isDirectory() ? newestIn(full) : fs.statSync(full).mtimeMs);
	}
	return newest;
}

/**
 * Why `root` needs a build (a one-line reason), or undefined when dist/ is up to date: the stamp
 * is missing (never built here, or the last build failed), dist/cli.js is missing or is not the
 * bundle (a plain `tsc` run since overwrote it), or a file or folder under source/ (or
 * tsconfig.json, package.json, scripts/bundle.mjs) is newer than the stamp.
 */
export function staleReason(root) {
	const stamp = fs.statSync(path.join(root, STAMP), {throwIfNoEntry: false});
	if (!stamp) return 'no build yet';
	if (!fs.existsSync(path.join(root, 'dist', 'cli.js'))) return 'dist/cli.js is missing';
	if (!isBundled(root)) return 'dist/cli.js is not the bundle';
	const inputs = INPUTS.map(name => fs.statSync(path.join(root, name), {throwIfNoEntry: false})?.mtimeMs ?? 0);
	const newest = Math.max(newestIn(path.join(root, 'source')), ...inputs);
	return newest > stamp.mtimeMs ? 'sources changed since the last build' : undefined;
}

/**
 * Builds `root` with `build` (true on success) when it is stale; then stamps dist/ with the time
 * the build started, so a file saved during the build still counts as changed next time.
 * Returns what it did.
 */
export function buildIfStale(root, build) {
	const reason = staleReason(root);
	if (!reason) return 'up to date';
	const started = new Date();
	fs.rmSync(path.join(root, STAMP), {force: true});
	if (!build()) return 'failed';
	fs.writeFileSync(path.join(root, STAMP), '');
	fs.utimesSync(path.join(root, STAMP), started, started);
	return `built (${reason})`;
}

/** `npm run build`: the project's own TypeScript compiler on the project, then the bundle. */
function build(root) {
	const compiler = createRequire(path.join(root, 'package.json')).resolve('typescript/bin/tsc');
	const run = args => spawnSync(process.execPath, args, {stdio: 'inherit'}).status === 0;
	return run([compiler, '-p', root]) && run([path.join(root, 'scripts', 'bundle.mjs')]);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
	const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
	const outcome = buildIfStale(root, () => build(root));
	if (outcome === 'failed') process.exit(1);
	if (outcome !== 'up to date') process.stderr.write(`lifeboat: ${outcome}\n`);
}
