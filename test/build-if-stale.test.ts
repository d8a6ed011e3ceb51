import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import {afterEach, describe, expect, test} from 'vitest';
// @ts-expect-error: a plain JavaScript script (it runs before anything is compiled), no types.
import {buildIfStale, STAMP, staleReason} from '../scripts/build-if-stale.mjs';
// @ts-expect-error: a plain JavaScript script, no types.
import {BUNDLE_MARKER} from '../scripts/bundle.mjs';

const made: string[] = [];
afterEach(() => {
	for (const dir of made.splice(0)) fs.rmSync(dir, {recursive: true, force: true});
});

const T0 = new Date('2026-01-01T00:00:00Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

/** The head of dist/cli.js as the bundle writes it, and as a plain `tsc` run writes it. */
const BUNDLED_CLI = `#!/usr/bin/env -S node --max-semi-space-size=4\n${BUNDLE_MARKER as string}\nexport {};\n`;
const TSC_CLI = "#!/usr/bin/env -S node --max-semi-space-size=4\nimport meow from 'meow';\n";

/** A project: source files (relative path → mtime in seconds), tsconfig/package.json, a bundled dist/cli.js. */
function project(sources: Record<string, number>, {built}: {built?: number} = {}): string {
	const root = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-prestart-'));
	made.push(root);
	for (const [file, seconds] of Object.entries(sources)) {
		const full = path.join(root, 'source', file);
		fs.mkdirSync(path.dirname(full), {recursive: true});
		fs.writeFileSync(full, 'export {};\n');
		fs.utimesSync(full, at(seconds), at(seconds));
	}
	const dirs = (dir: string): string[] => [dir, ...fs.readdirSync(dir, {withFileTypes: true}).filter(entry => entry.isDirectory()).flatMap(entry => dirs(path.join(dir, entry.name)))];
	for (const dir of dirs(path.join(root, 'source'))) fs.utimesSync(dir, at(0), at(0));
	for (const name of ['tsconfig.json', 'package.json']) {
		fs.writeFileSync(path.join(root, name), '{}\n');
		fs.utimesSync(path.join(root, name), at(0), at(0));
	}
	if (built !== undefined) {
		fs.mkdirSync(path.join(root, 'dist'));
		fs.writeFileSync(path.join(root, 'dist', 'cli.js'), BUNDLED_CLI);
		fs.writeFileSync(path.join(root, STAMP), '');
		fs.utimesSync(path.join(root, STAMP), at(built), at(built));
	}
	return root;
}

/** A build that succeeds (and counts itself), as tsc and the bundle would. */
function fakeBuild(root: string, ok = true) {
	const calls: number[] = [];
	return {
		calls,
		build: () => {
			calls.push(1);
			fs.mkdirSync(path.join(root, 'dist'), {recursive: true});
			fs.writeFileSync(path.join(root, 'dist', 'cli.js'), BUNDLED_CLI);
			return ok;
		},
	};
}

describe('npm start builds only when a source changed (scripts/build-if-stale.mjs)', () => {
	test('never built: builds, then the next start skips', () => {
		const root = project({'cli.tsx': 10, 'core/a.ts': 20});
		const {calls, build} = fakeBuild(root);
		expect(buildIfStale(root, build)).toBe('built (no build yet)');
		expect(calls).toHaveLength(1);
		expect(buildIfStale(root, build)).toBe('up to date');
		expect(calls).toHaveLength(1);
	});

	test('a failed build leaves no stamp: the next start builds again', () => {
		const root = project({'cli.tsx': 10}, {built: 100});
		fs.utimesSync(path.join(root, 'source', 'cli.tsx'), at(200), at(200));
		const failing = fakeBuild(root, false);
		expect(buildIfStale(root, failing.build)).toBe('failed');
		expect(staleReason(root)).toBe('no build yet');
	});

	test('a file newer than the last build rebuilds; older files do not (any tree, any file)', () => {
		const tree = fc.dictionary(fc.stringMatching(/^[a-z]{1,6}(\/[a-z]{1,6}){0,2}\.tsx?$/), fc.integer({min: 1, max: 1000}), {minKeys: 1, maxKeys: 8});
		fc.assert(
			fc.property(tree, fc.integer({min: 1, max: 1000}), (sources, built) => {
				// One name both a file and a folder is not a tree.
				const names = Object.keys(sources);
				fc.pre(!names.some(name => names.some(other => other.startsWith(name.replace(/\.tsx?$/, '') + '/') || other.startsWith(name + '/'))));
				const root = project(sources, {built});
				const newer = Object.values(sources).some(seconds => seconds > built);
				expect(staleReason(root)).toBe(newer ? 'sources changed since the last build' : undefined);
				fs.rmSync(root, {recursive: true, force: true});
			}),
			{numRuns: 40},
		);
	});

	test('an added or removed source file rebuilds (its folder changed), and so does tsconfig.json', () => {
		const root = project({'cli.tsx': 10, 'core/a.ts': 20}, {built: 100});
		expect(staleReason(root)).toBeUndefined();
		fs.rmSync(path.join(root, 'source', 'core', 'a.ts'));
		fs.utimesSync(path.join(root, 'source', 'core'), at(150), at(150));
		expect(staleReason(root)).toBe('sources changed since the last build');

		const other = project({'cli.tsx': 10}, {built: 100});
		fs.utimesSync(path.join(other, 'tsconfig.json'), at(150), at(150));
		expect(staleReason(other)).toBe('sources changed since the last build');
	});

	test('dist/cli.js removed: builds even with a fresh stamp', () => {
		const root = project({'cli.tsx': 10}, {built: 100});
		fs.rmSync(path.join(root, 'dist', 'cli.js'));
		expect(staleReason(root)).toBe('dist/cli.js is missing');
	});

	test('dist/cli.js overwritten by a plain tsc run (not the bundle): builds, and the build brings the bundle back', () => {
		const root = project({'cli.tsx': 10}, {built: 100});
		fs.writeFileSync(path.join(root, 'dist', 'cli.js'), TSC_CLI);
		expect(staleReason(root)).toBe('dist/cli.js is not the bundle');
		const {calls, build} = fakeBuild(root);
		expect(buildIfStale(root, build)).toBe('built (dist/cli.js is not the bundle)');
		expect(calls).toHaveLength(1);
		expect(staleReason(root)).toBeUndefined();
	});

	test('an edit to the bundle script rebuilds', () => {
		const root = project({'cli.tsx': 10}, {built: 100});
		fs.mkdirSync(path.join(root, 'scripts'));
		fs.writeFileSync(path.join(root, 'scripts', 'bundle.mjs'), '');
		fs.utimesSync(path.join(root, 'scripts', 'bundle.mjs'), at(50), at(50));
		expect(staleReason(root)).toBeUndefined();
		fs.utimesSync(path.join(root, 'scripts', 'bundle.mjs'), at(150), at(150));
		expect(staleReason(root)).toBe('sources changed since the last build');
	});

	test('the stamp carries the time the build started: a file saved during the build counts as changed', () => {
		const root = project({'cli.tsx': 10});
		const savedDuring = () => {
			fs.mkdirSync(path.join(root, 'dist'), {recursive: true});
			fs.writeFileSync(path.join(root, 'dist', 'cli.js'), BUNDLED_CLI);
			const now = new Date(Date.now() + 5000);
			fs.utimesSync(path.join(root, 'source', 'cli.tsx'), now, now);
			return true;
		};
		expect(buildIfStale(root, savedDuring)).toBe('built (no build yet)');
		expect(staleReason(root)).toBe('sources changed since the last build');
	});
});
