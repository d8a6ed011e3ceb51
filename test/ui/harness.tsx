import fs from 'node:fs';
import {createRequire} from 'node:module';
import os from 'node:os';
import path from 'node:path';
import {stripVTControlCharacters} from 'node:util';
import {render} from 'ink-testing-library';
import {afterAll, expect} from 'vitest';
import {createBackup, type CreateBackupOptions} from '../../source/core/backup/create-backup.js';
import {generateDemo} from '../../source/core/demo/generate-demo.js';
import {App, type AppProps, type Route} from '../../source/ui/App.js';
import type {GatewayChoice} from '../../source/ui/prepare-gateway.js';
import {loadScreens} from '../../source/ui/screens-loader.js';

// The console loads its screens after Home's first frame: here they are loaded before any test
// renders, so every screen draws in the same turn as the key that opens it.
await loadScreens();

export const KEY = {
	up: '\u001B[A',
	down: '\u001B[B',
	enter: '\r',
	escape: '\u001B',
	backspace: '\u007F',
	space: ' ',
	pageDown: '\u001B[6~',
	ctrlC: '\u0003',
	ctrlU: '\u0015',
} as const;

/**
 * React's scheduler, the very instance Ink's renderer queues its work on (resolved from Ink, then
 * from react-reconciler, so a second copy elsewhere in node_modules cannot be picked up).
 */
const Scheduler = (() => {
	const fromInk = createRequire(createRequire(import.meta.url).resolve('ink'));
	const fromReconciler = createRequire(fromInk.resolve('react-reconciler'));
	return fromReconciler('scheduler') as {unstable_IdlePriority: number; unstable_scheduleCallback(priority: number, callback: () => void): unknown};
})();

/**
 * Resolves once React has nothing left to do: every pending render and effect has run (a
 * screen's key subscription, a reload started by a key). Ink hands a lone Esc over on the next
 * turn of the event loop, so that turn comes first; then an idle-priority task, which the
 * scheduler runs only after every task of a higher priority, including those queued meanwhile.
 * Work that waits on I/O (a list being read) is not covered: wait for its frame.
 */
export async function settled(): Promise<void> {
	await new Promise(resolve => setImmediate(resolve));
	await new Promise<void>(resolve => {
		Scheduler.unstable_scheduleCallback(Scheduler.unstable_IdlePriority, () => resolve());
	});
}

/** Polls `check` until it holds (a file removed, a row written). Fails with `what` on timeout. */
export async function waitUntil(check: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
	const started = Date.now();
	while (!check()) {
		if (Date.now() - started > timeoutMs) throw new Error(`Timed out waiting until ${what}`);
		await new Promise(resolve => setTimeout(resolve, 20));
	}
}

const made: string[] = [];

export function tempDir(prefix = 'lifeboat-ui-'): string {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
	made.push(dir);
	return dir;
}

afterAll(() => {
	for (const dir of made.splice(0)) fs.rmSync(dir, {recursive: true, force: true});
});

/** A real demo gateway (2 tenants, small) and an empty backups folder, in a temp dir. */
export async function demoGateway(seed = 7): Promise<GatewayChoice> {
	const root = tempDir();
	const dataDir = path.join(root, 'gateway');
	const backupDir = path.join(root, 'backups');
	await generateDemo({dir: dataDir, tenants: 2, scale: 'small', seed});
	fs.mkdirSync(backupDir);
	return {dataDir, backupDir, isDemo: false};
}

/** A real backup made by the engine (fast: lower KDF cost when encrypted). */
export async function makeBackup(gateway: GatewayChoice, options: Partial<CreateBackupOptions> = {}) {
	return createBackup({dataDir: gateway.dataDir, destDir: gateway.backupDir, kdfIterations: 1000, ...options});
}

export type Rendered = ReturnType<typeof render> & {
	/** The last frame without ANSI codes. */
	frame(): string;
	/** How many frames were drawn so far: a mark for `framesSince`. */
	frameCount(): number;
	/** Every frame drawn after `mark` (ANSI codes removed), not only the ones a poll happened to see. */
	framesSince(mark: number): string[];
	/** Sends keys, one write per element (a string is one paste). */
	press(...keys: string[]): Promise<void>;
	/** Polls until the frame contains `text` (or the predicate holds). Fails with the last frame. */
	waitFor(text: string | RegExp | ((frame: string) => boolean), timeoutMs?: number): Promise<string>;
	resize(columns: number, rows: number): void;
	exits: number[];
	fatals: unknown[];
};

/** Waits until no new frame is drawn between two settled polls (data read in the background has been shown). */
export async function quiet(rendered: Rendered): Promise<void> {
	let mark;
	do {
		mark = rendered.frameCount();
		await settled();
		await new Promise(resolve => setTimeout(resolve, 30));
	} while (rendered.frameCount() !== mark);
}

/** Renders the whole console on a fake terminal of the given size. */
export function renderApp(gateway: GatewayChoice, options: {columns?: number; rows?: number; route?: Route; props?: Partial<AppProps>} = {}): Rendered {
	const exits: number[] = [];
	const fatals: unknown[] = [];
	// No named destinations unless a test configures some: the operator's own config is never read.
	const env = {...process.env, LIFEBOAT_CONFIG_DIR: path.join(tempDir('lifeboat-ui-config-'), 'none')};
	const instance = render(
		<App gateway={gateway} initialRoute={options.route} onExit={code => exits.push(code)} onFatal={error => fatals.push(error)} env={env} {...options.props} />,
	);
	const rendered = instance as Rendered;
	rendered.exits = exits;
	rendered.fatals = fatals;
	// The help line joins each key to its meaning with no-break spaces; a terminal shows spaces.
	const clean = (frame: string) => stripVTControlCharacters(frame).replaceAll('\u00A0', ' ');
	rendered.frame = () => clean(instance.lastFrame() ?? '');
	rendered.frameCount = () => instance.frames.length;
	rendered.framesSince = mark => instance.frames.slice(mark).map(clean);
	rendered.resize = (columns, rows) => {
		Object.defineProperty(instance.stdout, 'columns', {value: columns, configurable: true});
		Object.defineProperty(instance.stdout, 'rows', {value: rows, configurable: true});
		instance.stdout.emit('resize');
	};
	rendered.press = async (...keys) => {
		for (const key of keys) {
			// A screen subscribes to keys in an effect that runs just after its first frame is
			// drawn, and each key's update must be committed before the next key: wait for both.
			await settled();
			instance.stdin.write(key);
		}
		await settled();
	};
	rendered.waitFor = (expected, timeoutMs = 30_000) => waitForFrame(rendered.frame, expected, timeoutMs);
	rendered.resize(options.columns ?? 80, options.rows ?? 24);
	return rendered;
}

export async function waitForFrame(read: () => string, expected: string | RegExp | ((frame: string) => boolean), timeoutMs = 30_000): Promise<string> {
	const test = typeof expected === 'function' ? expected : typeof expected === 'string' ? (frame: string) => frame.includes(expected) : (frame: string) => expected.test(frame);
	const started = Date.now();
	let frame = read();
	while (!test(frame)) {
		if (Date.now() - started > timeoutMs) {
			throw new Error(`Timed out waiting for ${String(expected)}; last frame:\n${frame}`);
		}
		await new Promise(resolve => setTimeout(resolve, 20));
		frame = read();
	}
	return frame;
}

/**
 * Work a screen runs, on a terminal too small for the console (40x12): the line says the work runs
 * on rather than offering q, and Esc y and q neither cancel it nor quit; `finish` lets it end and
 * waits for its outcome; then q is offered again.
 */
export async function runsOnWhileTooSmall(app: Rendered, finish: () => Promise<void>): Promise<void> {
	app.resize(40, 12);
	await app.waitFor(frame => frame.includes('40x12') && frame.includes('50x16') && frame.includes('work run'));
	// q, which quits on the too-small line, would stop the work: it waits while the work runs.
	await app.press(KEY.escape, 'y', 'q');
	expect(app.frame()).toContain('work run');
	expect(app.exits).toEqual([]);
	await finish();
	// Done: q may quit again.
	await app.waitFor('q quits');
}
