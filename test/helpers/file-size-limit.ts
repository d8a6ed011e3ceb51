import {spawnSync} from 'node:child_process';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {CLI, type CliResult} from './run-cli.js';

/** A module of the built core (npm test builds first), as a child process imports it. */
export function builtCore(file: string): string {
	return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/core', file);
}

/**
 * Runs an ES module `script` in a child whose files may not pass `limit` bytes (prlimit --fsize).
 * A write(2) that crosses the limit writes what fits and returns its count without an error (Node
 * ignores SIGXFSZ); only the next write fails, with EFBIG: the short write a full disk also makes.
 */
export function moduleUnderLimit(script: string, limit: number) {
	return spawnSync('prlimit', [`--fsize=${limit}`, process.execPath, '--input-type=module', '-e', script], {encoding: 'utf8'});
}

/** The built CLI (no TTY, as runCli runs it) in a child whose files may not pass `limit` bytes. */
export function cliUnderLimit(limit: number, args: string[], env: NodeJS.ProcessEnv = {}): CliResult {
	const result = spawnSync('prlimit', [`--fsize=${limit}`, process.execPath, CLI, ...args], {encoding: 'utf8', env: {...process.env, ...env, FORCE_COLOR: '0'}, stdio: ['ignore', 'pipe', 'pipe']});
	return {code: result.status, stdout: result.stdout, stderr: result.stderr};
}
