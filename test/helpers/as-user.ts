import {spawnSync} from 'node:child_process';
import os from 'node:os';
import {CLI, runCli} from './run-cli.js';

/** Runs the CLI as an unprivileged user (root ignores folder permissions): setpriv as root, else as is. */
export function runAsUser(args: string[]): ReturnType<typeof runCli> {
	if (process.getuid?.() !== 0) return runCli(args);
	const result = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, CLI, ...args], {
		encoding: 'utf8',
		env: {...process.env, HOME: os.tmpdir(), FORCE_COLOR: '0'},
		stdio: ['ignore', 'pipe', 'pipe'],
	});
	return {code: result.status, stdout: result.stdout, stderr: result.stderr};
}

/**
 * Root can drop to user 65534 with setpriv, and that user can run this checkout's CLI (a checkout
 * inside a folder only root can enter, as a CI clone in a 0700 temp folder is, cannot be run so).
 */
export const canDropPrivileges =
	process.getuid?.() !== 0 ||
	spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, CLI, '--version'], {stdio: 'ignore'}).status === 0;
