import {spawnSync} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = path.join(ROOT, 'dist', 'cli.js');

export function tmuxAvailable(): boolean {
	return spawnSync('tmux', ['-V'], {encoding: 'utf8'}).status === 0;
}

/** Builds dist/ when it is missing or older than any source file (npm test builds it first anyway). */
export function ensureBuilt(): void {
	const newest = (dir: string): number =>
		fs.readdirSync(dir, {withFileTypes: true}).reduce((latest, entry) => {
			const full = path.join(dir, entry.name);
			return Math.max(latest, entry.isDirectory() ? newest(full) : fs.statSync(full).mtimeMs);
		}, 0);
	const built = fs.statSync(CLI, {throwIfNoEntry: false})?.mtimeMs ?? 0;
	if (built >= newest(path.join(ROOT, 'source'))) return;
	const result = spawnSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', ROOT], {encoding: 'utf8'});
	if (result.status !== 0) throw new Error(`Build failed:\n${result.stdout}${result.stderr}`);
}

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

/**
 * One program in a detached tmux session on its own server socket (so it never touches the
 * user's tmux), driven one key at a time: keys sent together race the render.
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
	}

	/** One key (tmux key name: Enter, Escape, Down, C-c, or a character), then a short pause. */
	async key(key: string, pauseMs = 150): Promise<void> {
		// A screen listens for keys from an effect that runs just after its first frame is drawn.
		await sleep(60);
		this.tmux(['send-keys', '-t', this.name, key]);
		await sleep(pauseMs);
	}

	/** Types text one character at a time. */
	async type(text: string): Promise<void> {
		for (const char of text) {
			this.tmux(['send-keys', '-t', this.name, '-l', char]);
			await sleep(40);
		}
		await sleep(100);
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
			await sleep(100);
			screen = this.screen();
		}
		return screen;
	}

	resize(columns: number, rows: number): void {
		this.tmux(['resize-window', '-t', this.name, '-x', String(columns), '-y', String(rows)]);
	}

	kill(): void {
		spawnSync('tmux', ['-L', this.socket, 'kill-server'], {encoding: 'utf8'});
	}
}

/** A shell line that runs the console, then reports its exit code and the terminal modes. */
export function consoleCommand(args: string[], env: Record<string, string> = {}): string {
	const quote = (value: string) => `'${value.replaceAll("'", `'\\''`)}'`;
	const assignments = Object.entries(env).map(([key, value]) => `${key}=${quote(value)}`);
	return `env ${assignments.join(' ')} ${quote(process.execPath)} ${quote(CLI)} ${args.map(quote).join(' ')}; echo "EXIT=$?"; stty -a | tr '\\n' ' '; echo; sleep 600`;
}
