/**
 * s3rver (the local S3-compatible server of the tests and the remote bench) as a child process:
 * test/servers/s3rver-child.cjs, started with `--openssl-legacy-provider` (s3rver makes its
 * ListObjectsV2 continuation tokens with DES, which OpenSSL 3 keeps in its legacy provider).
 */
import {spawn, type ChildProcess} from 'node:child_process';
import http from 'node:http';
import {setTimeout as delay} from 'node:timers/promises';

/** Starts the child and resolves with its port once it printed it (port 0: any free port). */
export function spawnS3rver(childScript: string, dir: string, port: number, buckets: readonly string[]): Promise<{child: ChildProcess; port: number}> {
	return new Promise((resolve, reject) => {
		const child = spawn(process.execPath, ['--openssl-legacy-provider', childScript, dir, String(port), ...buckets], {stdio: ['ignore', 'pipe', 'pipe']});
		let out = '';
		let errors = '';
		child.stderr!.on('data', (chunk: Buffer) => (errors += chunk.toString()));
		child.stdout!.on('data', (chunk: Buffer) => {
			out += chunk.toString();
			const line = /^(\{.*\})\n/m.exec(out);
			if (line) resolve({child, port: (JSON.parse(line[1]!) as {port: number}).port});
		});
		child.once('exit', code => reject(new Error(`s3rver exited (${code}) before listening: ${errors.slice(0, 2000)}`)));
		child.once('error', reject);
	});
}

/** Polls until the server answers an HTTP request (any status). */
export async function waitUntilS3rverAnswers(port: number): Promise<void> {
	const deadline = Date.now() + 30_000;
	for (;;) {
		const answered = await new Promise<boolean>(resolve => {
			const request = http.get({host: '127.0.0.1', port, path: '/'}, response => {
				response.resume();
				resolve(true);
			});
			request.on('error', () => resolve(false));
		});
		if (answered) return;
		if (Date.now() > deadline) throw new Error(`s3rver on port ${port} did not answer within 30 s`);
		await delay(20); // poll interval, not a wait for the result
	}
}
