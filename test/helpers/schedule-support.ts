/**
 * Helpers for the schedule tests: a daemon as a real process whose stdout lines and stderr can
 * be awaited (conditions, never fixed sleeps), a loopback webhook receiver, and a process that
 * holds a lock while it lives.
 */
import {spawn, type ChildProcess} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import http from 'node:http';
import type {AddressInfo} from 'node:net';
import {CLI} from './run-cli.js';

export type DaemonProcess = {
	child: ChildProcess;
	lines: Array<Record<string, unknown>>;
	stderr(): string;
	/** Resolves with the first stdout JSON line (from index `from`) that `match` accepts. */
	waitForLine(match: (line: Record<string, unknown>) => boolean, from?: number, what?: string): Promise<Record<string, unknown>>;
	waitForStderr(pattern: RegExp, what?: string): Promise<void>;
	stop(signal?: NodeJS.Signals): Promise<number | null>;
};

/** Polls `check` every 20 ms until it is true; fails after `timeoutMs` saying what it waited for. */
export async function waitFor(check: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (!check()) {
		if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
		await new Promise(resolve => setTimeout(resolve, 20));
	}
}

export function startDaemon(env: NodeJS.ProcessEnv): DaemonProcess {
	const child = spawn(process.execPath, [CLI, 'schedule', 'daemon'], {env: {...process.env, ...env, FORCE_COLOR: '0'}, stdio: ['ignore', 'pipe', 'pipe']});
	const lines: Array<Record<string, unknown>> = [];
	let pending = '';
	let errors = '';
	let exit: number | null | undefined;
	child.stdout!.on('data', (chunk: Buffer) => {
		pending += chunk.toString('utf8');
		const parts = pending.split('\n');
		pending = parts.pop()!;
		for (const part of parts) if (part.trim()) lines.push(JSON.parse(part) as Record<string, unknown>);
	});
	child.stderr!.on('data', (chunk: Buffer) => (errors += chunk.toString('utf8')));
	const exited = new Promise<number | null>(resolve => child.on('close', code => resolve((exit = code))));
	return {
		child,
		lines,
		stderr: () => errors,
		async waitForLine(match, from = 0, what = 'a log line') {
			let found: Record<string, unknown> | undefined;
			await waitFor(() => {
				if (exit !== undefined) throw new Error(`the daemon exited (${exit}) while waiting for ${what}: ${errors}`);
				found = lines.slice(from).find(match);
				return found !== undefined;
			}, `${what} (lines so far: ${JSON.stringify(lines)}; stderr: ${errors})`);
			return found!;
		},
		async waitForStderr(pattern, what = String(pattern)) {
			await waitFor(() => pattern.test(errors), `${what} on stderr (got: ${errors})`);
		},
		async stop(signal = 'SIGTERM') {
			if (exit === undefined) child.kill(signal);
			return exited;
		},
	};
}

export type Webhook = {url: string; bodies: unknown[]; close(): Promise<void>};

/** A node:http server on 127.0.0.1, port 0, keeping every JSON body POSTed to it. */
export async function startWebhook(): Promise<Webhook> {
	const bodies: unknown[] = [];
	const server = http.createServer((request, response) => {
		let text = '';
		request.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
		request.on('end', () => {
			bodies.push({method: request.method, contentType: request.headers['content-type'], body: JSON.parse(text) as unknown});
			response.writeHead(204).end();
		});
	});
	await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
	const {port} = server.address() as AddressInfo;
	return {url: `http://127.0.0.1:${port}/hooks/lifeboat?token=t0k3n`, bodies, close: () => new Promise(resolve => server.close(() => resolve()))};
}

/** A live process (a sleeping node) to stand for a lock holder; kill() ends it. */
export async function liveProcess(): Promise<{pid: number; kill(): Promise<void>}> {
	const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], {stdio: 'ignore'});
	await new Promise(resolve => child.once('spawn', resolve));
	const closed = new Promise(resolve => child.once('close', resolve));
	return {pid: child.pid!, kill: async () => void (child.kill('SIGKILL'), await closed)};
}

/** Whether process `pid` has a thread blocked opening a FIFO for reading, waiting for a writer (Linux: its wchan). */
export function blockedOnFifo(pid: number): boolean {
	try {
		return fs.readdirSync(`/proc/${pid}/task`).some(task => /^(wait_for_partner|fifo_open)$/.test(fs.readFileSync(`/proc/${pid}/task/${task}/wchan`, 'utf8').trim()));
	} catch {
		return false;
	}
}

/** The backup child that schedule `name`'s lock names (config folder `config`), once there is one. */
export function lockedChild(config: string, name: string): number | undefined {
	try {
		const lock = JSON.parse(fs.readFileSync(path.join(config, 'schedule-locks', `${name}.lock`), 'utf8')) as {child?: number};
		return lock.child;
	} catch {
		return undefined;
	}
}
