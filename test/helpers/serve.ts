import {spawn, type ChildProcess} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {CLI} from './run-cli.js';

export type Served = {
	url: string;
	process: ChildProcess;
	/** Access and error log lines (stderr), parsed. */
	log: Array<Record<string, unknown>>;
	stderr: () => string;
	stdout: () => string;
	/** Sends the signal and waits for the exit. */
	stop(signal?: NodeJS.Signals): Promise<{code: number | null}>;
};

/**
 * Starts `lifeboat serve ARGS --port 0` from the built CLI and waits for its startup line. `wrap`
 * runs it under another command (`['prlimit', '--fsize=N']`).
 */
export async function startServe(args: string[], env: NodeJS.ProcessEnv = {}, wrap: string[] = []): Promise<Served> {
	const command = [...wrap, process.execPath, CLI, 'serve', '--port', '0', ...args];
	const child = spawn(command[0]!, command.slice(1), {env: {...process.env, ...env, FORCE_COLOR: '0'}, stdio: ['ignore', 'pipe', 'pipe']});
	let stdout = '';
	let stderr = '';
	const log: Array<Record<string, unknown>> = [];
	let partial = '';
	child.stderr!.on('data', (chunk: Buffer) => {
		stderr += chunk.toString();
		partial += chunk.toString();
		const lines = partial.split('\n');
		partial = lines.pop()!;
		for (const line of lines) if (line.startsWith('{')) log.push(JSON.parse(line) as Record<string, unknown>);
	});
	const exited = new Promise<{code: number | null}>(resolve => child.once('exit', code => resolve({code})));
	const url = await new Promise<string>((resolve, reject) => {
		child.stdout!.on('data', (chunk: Buffer) => {
			stdout += chunk.toString();
			const match = /listening on (https?:\/\/\S+)/.exec(stdout);
			if (match) resolve(match[1]!);
		});
		void exited.then(({code}) => reject(new Error(`serve exited ${code} before listening: ${stderr}`)));
	});
	return {
		url,
		process: child,
		log,
		stderr: () => stderr,
		stdout: () => stdout,
		async stop(signal: NodeJS.Signals = 'SIGTERM') {
			if (child.exitCode === null) child.kill(signal);
			return exited;
		},
	};
}

/** A token file (0600) with these lines. */
export function tokenFile(dir: string, lines: string[]): string {
	const file = path.join(dir, 'tokens');
	fs.writeFileSync(file, lines.join('\n') + '\n', {mode: 0o600});
	return file;
}

/** Waits for `condition` (polled), failing after `timeoutMs`. */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (!condition()) {
		if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
		await new Promise(resolve => setTimeout(resolve, 10));
	}
}
