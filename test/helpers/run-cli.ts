import {spawn, spawnSync, type ChildProcess} from 'node:child_process';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {expect} from 'vitest';

export const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/cli.js');

export type CliResult = {code: number | null; stdout: string; stderr: string};

/** Runs the built CLI with no TTY (stdin closed), as cron or CI would; `timeoutMs` kills a run that hangs (its code is then null). */
export function runCli(args: string[], options: {env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number} = {}): CliResult {
	const result = spawnSync(process.execPath, [CLI, ...args], {
		encoding: 'utf8',
		cwd: options.cwd,
		timeout: options.timeoutMs,
		killSignal: 'SIGKILL',
		env: {...process.env, ...options.env, FORCE_COLOR: '0'},
		stdio: ['ignore', 'pipe', 'pipe'],
		maxBuffer: 64 * 1024 * 1024,
	});
	return {code: result.status, stdout: result.stdout, stderr: result.stderr};
}

export function spawnCli(args: string[], options: {env?: NodeJS.ProcessEnv} = {}): ChildProcess {
	return spawn(process.execPath, [CLI, ...args], {env: {...process.env, ...options.env, FORCE_COLOR: '0'}, stdio: ['ignore', 'pipe', 'pipe']});
}

/** A usage-style failure: the exit code, exactly one `lifeboat: …` line on stderr matching `pattern`. */
export function expectOneLineError(result: CliResult, code: number, pattern: RegExp): void {
	expect(result.code).toBe(code);
	const lines = result.stderr.trim().split('\n');
	expect(lines).toHaveLength(1);
	expect(lines[0]).toMatch(/^lifeboat: /);
	expect(lines[0]).toMatch(pattern);
}
