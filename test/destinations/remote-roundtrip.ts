/**
 * The CLI round trip of issue 10 against one destination kind, run by each kind's test file with
 * its real server: create → list → verify → dry run → restore → download → delete, plain and
 * encrypted, zip and tar.gz (and a plain JSON bundle). What the remote restore wrote must equal what a restore of the
 * downloaded copy writes, and the copy's bytes must be the ones the backup reported.
 */
import {spawn} from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {CLI} from '../helpers/run-cli.js';
import {tempDir} from '../helpers/temp-dir.js';
import {demoGateway, freshGateway, storeDigest} from '../restore-support.js';

export type RemoteKind = {
	/** A URL (folder/prefix, ending in '/') no other test uses. */
	freshUrl(): string;
	/** Environment for the CLI (credentials, endpoints). */
	env: () => NodeJS.ProcessEnv;
	/** Extra flags (--known-hosts, --ssh-key, …). */
	flags?: () => string[];
	/** Exit code for a backup that is not there (4 remote; a local path is a usage error, 2). */
	missingCode?: number;
};

export type Run = {code: number | null; stdout: string; stderr: string};

export function runCliAsync(args: string[], env: NodeJS.ProcessEnv = {}, stdinText?: string, cwd?: string): Promise<Run> {
	return new Promise((resolve, reject) => {
		const child = spawn(process.execPath, [CLI, ...args], {cwd, env: {...process.env, ...env, FORCE_COLOR: '0'}, stdio: ['pipe', 'pipe', 'pipe']});
		let stdout = '';
		let stderr = '';
		child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
		child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
		child.on('error', reject);
		child.on('close', code => resolve({code, stdout, stderr}));
		child.stdin.end(stdinText ?? '');
	});
}

const PASSPHRASE = 'correct horse battery staple, remote';

const sha256 = (file: string) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');

/** What a restore leaves, minus its own audit trail (which records when it ran). */
function restoredState(dataDir: string): ReturnType<typeof storeDigest> {
	const digest = storeDigest(dataDir);
	delete digest.tables['audit_log'];
	return digest;
}

export function describeRemoteRoundTrip(title: string, kind: () => RemoteKind, options: {timeout?: number} = {}): void {
	// A bound, not a wait: seven CLI runs, each deriving the key of an encrypted backup, took up to
	// 180 s on a 2-core machine at load 15 (40–110 s idle).
	const timeout = options.timeout ?? 360_000;
	describe(`${title}: CLI round trip`, () => {
		for (const format of ['zip', 'tar.gz', 'json'] as const) {
			// The JSON bundle reads through the tar.gz paths (streamed, decrypted as a stream): plain only here.
			for (const encrypted of format === 'json' ? [false] : [false, true]) {
				it(`${format}${encrypted ? ', encrypted' : ''}: create → list → verify → dry run → restore → download → delete`, async () => {
					const remote = kind();
					const env = {...remote.env(), LIFEBOAT_BACKUP_PASSPHRASE: encrypted ? PASSPHRASE : undefined};
					const flags = remote.flags?.() ?? [];
					const url = remote.freshUrl();
					const source = await demoGateway({tenants: 2, seed: 7});
					const run = (...args: string[]) => runCliAsync([...args, ...flags], env);

					const created = await run('backup', 'create', '--data-dir', source, '--dest', url, '--format', format, '--json', ...(encrypted ? ['--encrypt'] : []));
					expect(created.stderr).toBe('');
					expect(created.code).toBe(0);
					const result = JSON.parse(created.stdout) as {path: string; sha256: string; size: number; name: string};
					expect(result.path.startsWith(url)).toBe(true);
					const objectUrl = result.path;

					const listed = await run('backup', 'list', '--dest', url, '--json');
					expect(listed.code).toBe(0);
					const backups = (JSON.parse(listed.stdout) as {backups: Array<{path: string; name: string; size: number; encrypted: boolean; format: string; error?: string}>}).backups;
					expect(backups).toHaveLength(1);
					expect(backups[0]).toMatchObject({path: objectUrl, name: result.name, size: result.size, encrypted, format});
					expect(backups[0]!.error).toBeUndefined();

					const verified = await run('backup', 'verify', objectUrl, '--json');
					expect(verified.code, verified.stderr).toBe(0);
					expect(JSON.parse(verified.stdout)).toMatchObject({ok: true});

					const target = freshGateway();
					const before = storeDigest(target);
					const dry = await run('backup', 'restore', '--in', objectUrl, '--data-dir', target, '--dry-run', '--json');
					expect(dry.code, dry.stderr).toBe(0);
					expect(storeDigest(target)).toEqual(before);
					const restored = await run('backup', 'restore', '--in', objectUrl, '--data-dir', target, '--json');
					expect(restored.code, restored.stderr).toBe(0);

					const copyDir = tempDir('lifeboat-remote-copy-');
					const downloaded = await run('backup', 'download', objectUrl, '--out', `${copyDir}/`, '--json');
					expect(downloaded.code, downloaded.stderr).toBe(0);
					const copy = (JSON.parse(downloaded.stdout) as {path: string}).path;
					expect(path.dirname(copy)).toBe(copyDir);
					expect(sha256(copy)).toBe(result.sha256);
					expect(fs.statSync(copy).mode & 0o777).toBe(0o600);

					const local = freshGateway();
					const localRestore = await runCliAsync(['backup', 'restore', '--in', copy, '--data-dir', local, '--json'], env);
					expect(localRestore.code, localRestore.stderr).toBe(0);
					expect(restoredState(target)).toEqual(restoredState(local));

					const deleted = await run('backup', 'delete', objectUrl, '--yes', '--json');
					expect(deleted.code, deleted.stderr).toBe(0);
					const after = await run('backup', 'list', '--dest', url, '--json');
					expect((JSON.parse(after.stdout) as {backups: unknown[]}).backups).toEqual([]);
					const gone = await run('backup', 'verify', objectUrl);
					expect(gone.code).toBe(remote.missingCode ?? 4);
					expect(gone.stderr.trim().split('\n')).toHaveLength(1);
				}, timeout);
			}
		}
	});
}
