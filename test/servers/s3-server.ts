/**
 * A real S3-compatible server for tests: s3rver 3.7.1 (npm; Debian has no MinIO) as a child
 * process on 127.0.0.1, on a free port, with its data in a fresh temporary folder (or `dir`).
 * A child process so a test can kill it mid-upload (`kill()`) and start it again on the same data
 * and port (`restart()`). Credentials are s3rver's fixed S3RVER/S3RVER, given in `env` with the
 * endpoint (LIFEBOAT_S3_ENDPOINT) for the destination or a CLI child to use.
 */
import type {ChildProcess} from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {spawnS3rver, waitUntilS3rverAnswers} from '../../source/bench/s3rver-process.js';

export type S3Server = {
	endpoint: string;
	port: number;
	/** AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION, LIFEBOAT_S3_ENDPOINT. */
	env: Record<string, string>;
	/** The data folder. */
	dir: string;
	/** Kills the server at once (SIGKILL), as a crash would. */
	kill(): Promise<void>;
	/** The server's process id (SIGSTOP it for a server that goes silent). */
	pid(): number;
	/** Starts it again (killing it first if it runs) on the same port and data folder. */
	restart(): Promise<void>;
	/** Stops it and removes the data folder if this starter made it. */
	stop(): Promise<void>;
};

// s3rver makes ListObjectsV2 continuation tokens with DES, which OpenSSL 3 keeps in its legacy
// provider: without it, listing more than 1,000 keys answers HTTP 500.
const childScript = path.join(path.dirname(fileURLToPath(import.meta.url)), 's3rver-child.cjs');

function exited(child: ChildProcess): Promise<void> {
	if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
	return new Promise(resolve => child.once('exit', () => resolve()));
}

export async function startS3Server(options: {buckets?: string[]; dir?: string} = {}): Promise<S3Server> {
	const buckets = options.buckets ?? ['lifeboat-test'];
	const ownDir = options.dir === undefined;
	const dir = options.dir ?? (await fs.mkdtemp(path.join(os.tmpdir(), 'lifeboat-s3rver-')));
	let {child, port} = await spawnS3rver(childScript, dir, 0, buckets);
	await waitUntilS3rverAnswers(port);
	const endpoint = `http://127.0.0.1:${port}`;
	const kill = async () => {
		child.kill('SIGKILL');
		await exited(child);
	};
	return {
		endpoint,
		port,
		dir,
		env: {AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1', LIFEBOAT_S3_ENDPOINT: endpoint},
		kill,
		pid: () => child.pid!,
		async restart() {
			await kill();
			({child} = await spawnS3rver(childScript, dir, port, buckets));
			await waitUntilS3rverAnswers(port);
		},
		async stop() {
			await kill();
			if (ownDir) await fs.rm(dir, {recursive: true, force: true});
		},
	};
}
