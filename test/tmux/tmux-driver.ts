import {spawnSync} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
// @ts-expect-error: a plain JavaScript script (it runs before anything is compiled), no types.
import {isBundled} from '../../scripts/bundle.mjs';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = path.join(ROOT, 'dist', 'cli.js');
const BUNDLE_SCRIPT = path.join(ROOT, 'scripts', 'bundle.mjs');

export function tmuxAvailable(): boolean {
	return spawnSync('tmux', ['-V'], {encoding: 'utf8'}).status === 0;
}

/**
 * Builds dist/ as `npm run build` does (tsc, then the bundle of dist/cli.js) when dist/cli.js is
 * missing, is not the bundle (a plain `tsc` overwrote it) or is older than any source file (npm
 * test builds it first anyway).
 */
export function ensureBuilt(): void {
	const newest = (dir: string): number =>
		fs.readdirSync(dir, {withFileTypes: true}).reduce((latest, entry) => {
			const full = path.join(dir, entry.name);
			return Math.max(latest, entry.isDirectory() ? newest(full) : fs.statSync(full).mtimeMs);
		}, 0);
	const built = fs.statSync(CLI, {throwIfNoEntry: false})?.mtimeMs ?? 0;
	if (isBundled(ROOT) && built >= Math.max(newest(path.join(ROOT, 'source')), fs.statSync(BUNDLE_SCRIPT).mtimeMs)) return;
	for (const args of [[path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', ROOT], [BUNDLE_SCRIPT]]) {
		const result = spawnSync(process.execPath, args, {encoding: 'utf8'});
		if (result.status !== 0) throw new Error(`Build failed:\n${result.stdout}${result.stderr}`);
	}
}

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

/** Spinner frames (ink-spinner "dots") all read as one, so a spinning wait counts as settled. */
const normalise = (screen: string) => screen.replace(/[\u2800-\u28FF]/g, '⠿');

/** How often the screen is captured while waiting on it. */
const POLL_MS = 25;
/** A screen unchanged for this long (several captures in a row) has settled. */
const QUIET_MS = 100;

/**
 * One program in a detached tmux session on its own server socket (so it never touches the
 * user's tmux), driven one key at a time: keys sent together race the render. Every key waits
 * on the screen, never on a fixed time: before it, until the screen has settled (its first frame
 * drawn and the effects that listen for keys run); after it, until the screen changed and settled.
 */
export class TmuxSession {
	readonly socket = `lifeboat-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
	readonly name = 'lifeboat';

	private tmux(args: string[]): string {
		const result = spawnSync('tmux', ['-L', this.socket, '-f', '/dev/null', ...args], {encoding: 'utf8'});
		if (result.status !== 0) throw new Error(`tmux ${args.join(' ')} failed: ${result.stderr}`);
		return result.stdout;
	}

	/** Starts `command` (a shell line) in an 80x24 (or given) window. */
	start(command: string, size: {columns: number; rows: number} = {columns: 80, rows: 24}): void {
		this.tmux(['new-session', '-d', '-s', this.name, '-x', String(size.columns), '-y', String(size.rows), command]);
		this.tmux(['set-option', '-t', this.name, 'status', 'off']);
		// tmux otherwise holds an Esc for 500 ms to see whether a sequence follows.
		this.tmux(['set-option', '-s', 'escape-time', '0']);
	}

	/**
	 * Waits until the screen differs from `before` (when given; a key that changes nothing gives
	 * up after `changeMs`), then until it stays the same for QUIET_MS (at most `maxMs`: a
	 * progress bar never stops moving). Returns the screen.
	 */
	async settle(before?: string, {changeMs = 2000, maxMs = 5000}: {changeMs?: number; maxMs?: number} = {}): Promise<string> {
		const started = Date.now();
		let screen = normalise(this.screen());
		while (before !== undefined && screen === normalise(before) && Date.now() - started < changeMs) {
			await sleep(POLL_MS);
			screen = normalise(this.screen());
		}
		let quietSince = Date.now();
		while (Date.now() - quietSince < QUIET_MS && Date.now() - started < maxMs) {
			await sleep(POLL_MS);
			const next = normalise(this.screen());
			if (next !== screen) quietSince = Date.now();
			screen = next;
		}
		return this.screen();
	}

	/** One key (tmux key name: Enter, Escape, Down, C-c, or a character), sent on a settled screen. */
	async key(key: string): Promise<void> {
		const before = await this.settle();
		this.tmux(['send-keys', '-t', this.name, key]);
		await this.settle(before);
	}

	/**
	 * Types text one character at a time, each after the previous one showed (a masked field
	 * adds a *). `echo: false` for a prompt that shows nothing: then each waits for a settled screen.
	 */
	async type(text: string, {echo = true}: {echo?: boolean} = {}): Promise<void> {
		let before = await this.settle();
		for (const char of text) {
			this.tmux(['send-keys', '-t', this.name, '-l', char]);
			before = await this.settle(echo ? before : undefined);
		}
	}

	/**
	 * Several keys (tmux key names, or text) in ONE send-keys, so they reach the program in one
	 * write, as fast typing or a paste does; sent on a settled screen, then waits for it to settle.
	 * `literal` sends the text as is (no key names).
	 */
	async keysAtOnce(keys: string[], {literal = false}: {literal?: boolean} = {}): Promise<void> {
		const before = await this.settle();
		this.tmux(['send-keys', '-t', this.name, ...(literal ? ['-l'] : []), ...keys]);
		await this.settle(before);
	}

	/** The visible screen as text (no-break spaces shown as spaces). */
	screen(): string {
		return this.tmux(['capture-pane', '-p', '-t', this.name]).replaceAll('\u00A0', ' ');
	}

	/** The visible screen with its colour and style escapes (for screenshots). */
	screenAnsi(): string {
		return this.tmux(['capture-pane', '-p', '-e', '-t', this.name]);
	}

	async waitFor(expected: string | RegExp | ((screen: string) => boolean), timeoutMs = 40_000): Promise<string> {
		const test = typeof expected === 'function' ? expected : typeof expected === 'string' ? (screen: string) => screen.includes(expected) : (screen: string) => expected.test(screen);
		const started = Date.now();
		let screen = this.screen();
		while (!test(screen)) {
			if (Date.now() - started > timeoutMs) throw new Error(`Timed out waiting for ${String(expected)}; screen:\n${screen}`);
			await sleep(POLL_MS);
			screen = this.screen();
		}
		return screen;
	}

	/** Waits until the program ended and the shell printed its whole report (see consoleCommand). */
	async waitForExit(timeoutMs = 40_000): Promise<string> {
		return this.waitFor(END_OF_RUN, timeoutMs);
	}

	resize(columns: number, rows: number): void {
		this.tmux(['resize-window', '-t', this.name, '-x', String(columns), '-y', String(rows)]);
	}

	/**
	 * Ends the session and waits (up to 10 s, then SIGKILL) until the programs it ran have exited:
	 * tmux's kill-server returns as soon as it has sent them SIGHUP, and a console still closing
	 * its gateway then wrote into a folder the test was removing (ENOTEMPTY).
	 */
	kill(): void {
		const listed = spawnSync('tmux', ['-L', this.socket, 'list-panes', '-a', '-F', '#{pane_pid}'], {encoding: 'utf8'});
		const pids = (listed.status === 0 ? listed.stdout.split('\n').filter(Boolean).map(Number) : []).flatMap(processTree);
		spawnSync('tmux', ['-L', this.socket, 'kill-server'], {encoding: 'utf8'});
		const waitGone = (ms: number) => {
			const until = Date.now() + ms;
			while (pids.some(running) && Date.now() < until) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
		};
		waitGone(10_000);
		// A program that ignored SIGHUP (the test's own): killed, so it writes nothing after the test.
		for (const pid of pids.filter(running)) {
			try {
				process.kill(pid, 'SIGKILL');
			} catch {
				// Gone meanwhile.
			}
		}
		waitGone(2000);
	}
}

/** `pid` and its descendants (read from /proc: every thread's children), as they are now. */
function processTree(pid: number): number[] {
	let children: number[] = [];
	try {
		for (const task of fs.readdirSync(`/proc/${pid}/task`)) {
			children = children.concat(fs.readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').split(' ').filter(Boolean).map(Number));
		}
	} catch {
		// Gone already, or no /proc: nothing to wait for below it.
	}
	return [pid, ...children.flatMap(processTree)];
}

/** Whether `pid` still runs (a zombie, exited and waiting to be reaped, does not). */
function running(pid: number): boolean {
	try {
		return !/^\d+ \(.*\) Z /s.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
	} catch {
		return false;
	}
}

/** Printed after the exit code and the terminal modes: the whole report is on screen. */
export const END_OF_RUN = 'END-OF-RUN';

/** A shell line that runs the console, then reports its exit code and the terminal modes. */
export function consoleCommand(args: string[], env: Record<string, string> = {}): string {
	const quote = (value: string) => `'${value.replaceAll("'", `'\\''`)}'`;
	const assignments = Object.entries(env).map(([key, value]) => `${key}=${quote(value)}`);
	return `env ${assignments.join(' ')} ${quote(process.execPath)} ${quote(CLI)} ${args.map(quote).join(' ')}; echo "EXIT=$?"; stty -a | tr '\\n' ' '; echo; echo ${END_OF_RUN}; sleep 600`;
}
