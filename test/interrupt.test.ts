import fs from 'node:fs';
import path from 'node:path';
import {beforeAll, describe, expect, it} from 'vitest';
import {createBackup} from '../source/core/backup/create-backup.js';
import {generateDemo} from '../source/core/demo/generate-demo.js';
import {runCli, spawnCli} from './helpers/run-cli.js';
import {tempDir} from './helpers/temp-dir.js';

/** Waits until the backup's scratch output has grown past `bytes`, so the kill lands mid-write. */
async function waitForPartialOutput(dest: string, bytes: number): Promise<void> {
	const deadline = Date.now() + 60_000;
	while (Date.now() < deadline) {
		for (const name of fs.existsSync(dest) ? fs.readdirSync(dest) : []) {
			const output = path.join(dest, name, 'output');
			if (name.startsWith('.lifeboat-partial-') && fs.existsSync(output) && fs.statSync(output).size > bytes) return;
		}
		await new Promise(resolve => setTimeout(resolve, 20));
	}
	throw new Error('backup never started writing');
}

function exited(child: ReturnType<typeof spawnCli>): Promise<{code: number | null; signal: NodeJS.Signals | null; stderr: string}> {
	let stderr = '';
	child.stderr!.on('data', chunk => (stderr += chunk));
	child.stdout!.resume();
	return new Promise(resolve => child.on('exit', (code, signal) => resolve({code, signal, stderr})));
}

describe('an interrupted backup leaves nothing behind', () => {
	let dataDir: string;
	beforeAll(async () => {
		dataDir = path.join(tempDir(), 'gateway');
		// ~160 MiB of incompressible documents: gzip takes seconds, long enough to interrupt.
		await generateDemo({dir: dataDir, tenants: 2, scale: 'small', seed: 5, extraDocumentBytes: 160 * 1024 * 1024});
	});

	for (const signal of ['SIGTERM', 'SIGINT'] as const) {
		it(`${signal} mid-write removes the partial archive and exits 130`, async () => {
			const dest = tempDir();
			const child = spawnCli(['backup', 'create', '--data-dir', dataDir, '--dest', dest, '--format', 'tar.gz']);
			const done = exited(child);
			await waitForPartialOutput(dest, 1024 * 1024);
			child.kill(signal);
			const result = await done;
			expect(result.code).toBe(130);
			expect(result.stderr.trim()).toBe(`lifeboat: Interrupted by ${signal}; nothing partial was left behind`);
			expect(fs.readdirSync(dest)).toEqual([]);
		});
	}

	/**
	 * `backup create --out -` of `gateway`, stdout read no more after its first bytes, then SIGTERM:
	 * once this side's buffer is full ('buffer-full'), or once the process has stopped writing
	 * ('stopped-writing', /proc/PID/io), when it holds more for stdout than the pipe takes, which,
	 * once interrupted, it used to wait on for ever.
	 */
	async function interruptOnStdout(gateway: string, when: 'buffer-full' | 'stopped-writing'): Promise<{code: number | null; stderr: string}> {
		const child = spawnCli(['backup', 'create', '--data-dir', gateway, '--out', '-', '--format', 'zip']);
		let stderr = '';
		child.stderr!.on('data', chunk => (stderr += chunk));
		const done = new Promise<number | null>(resolve => child.on('exit', code => resolve(code)));
		await new Promise(resolve => child.stdout!.once('data', resolve));
		const stdout = child.stdout!;
		stdout.pause();
		if (when === 'buffer-full') {
			while (stdout.readableLength < stdout.readableHighWaterMark && !stdout.readableEnded) await new Promise(resolve => setImmediate(resolve));
		} else {
			const written = () => /^wchar: (\d+)$/m.exec(fs.readFileSync(`/proc/${child.pid}/io`, 'utf8'))?.[1];
			for (let last = written(); ; ) {
				await new Promise(resolve => setTimeout(resolve, 250));
				const now = written();
				if (now === last) break;
				last = now;
			}
		}
		child.kill('SIGTERM');
		const code = await done;
		stdout.destroy();
		return {code, stderr};
	}

	it('SIGTERM while streaming to a stdout nobody reads stops the backup (exit 130), never waits on the pipe forever', async () => {
		// A guard of the whole path; archive-writer.test.ts has the writer's own stream closed under it.
		expect(await interruptOnStdout(dataDir, 'buffer-full')).toEqual({code: 130, stderr: 'lifeboat: Interrupted by SIGTERM; nothing partial was left behind\n'});
	}, 60_000);

	it('SIGTERM once the backup has long been stuck on a full stdout: exit 130, not a wait for bytes nobody reads', async () => {
		expect(await interruptOnStdout(dataDir, 'stopped-writing')).toEqual({code: 130, stderr: 'lifeboat: Interrupted by SIGTERM; nothing partial was left behind\n'});
	}, 60_000);

	it('the same once the whole (small) archive is made and only its last bytes wait for the reader', async () => {
		const small = path.join(tempDir(), 'small');
		await generateDemo({dir: small, tenants: 1, scale: 'small', seed: 5});
		expect(await interruptOnStdout(small, 'stopped-writing')).toEqual({code: 130, stderr: 'lifeboat: Interrupted by SIGTERM; nothing partial was left behind\n'});
	}, 60_000);

	it('--out - --json refused before the archive starts: the JSON answer goes to stderr too', () => {
		const result = runCli(['backup', 'create', '--data-dir', dataDir, '--out', '-', '--json', '--format', 'bogus']);
		expect(result.code).toBe(2);
		expect(result.stdout).toBe('');
		expect(JSON.parse(result.stderr.trim().split('\n')[0]!)).toMatchObject({ok: false, error: {code: 'usage'}});
	});

	it('--out - --json that fails: stdout (the archive) gets nothing, the JSON answer goes to stderr with the line', () => {
		const result = runCli(['backup', 'create', '--data-dir', path.join(tempDir(), 'absent'), '--out', '-', '--json']);
		expect(result.code).toBe(3);
		expect(result.stdout).toBe('');
		const [answer, line, ...rest] = result.stderr.trim().split('\n');
		expect(JSON.parse(answer!)).toMatchObject({ok: false, error: {code: 'not-a-gateway'}});
		expect(line).toMatch(/^lifeboat: Data directory .* does not exist/);
		expect(rest).toEqual([]);
	});

	it('SIGKILL leaves no file under the final name; the scratch folder is invisible and swept next time', async () => {
		const dest = tempDir();
		const child = spawnCli(['backup', 'create', '--data-dir', dataDir, '--dest', dest, '--format', 'zip', '--name', 'nightly']);
		const done = exited(child);
		await waitForPartialOutput(dest, 1024 * 1024);
		child.kill('SIGKILL');
		expect((await done).signal).toBe('SIGKILL');
		const left = fs.readdirSync(dest);
		expect(left.every(name => name.startsWith('.lifeboat-partial-'))).toBe(true);
		expect(fs.existsSync(path.join(dest, 'nightly.zip'))).toBe(false);
		expect(JSON.parse(runCli(['backup', 'list', '--dest', dest, '--json']).stdout)).toEqual({ok: true, backups: []});
		// The next backup into the same folder removes the dead process's scratch folder.
		const next = await createBackup({dataDir, destDir: dest, format: 'zip', categories: ['tools'], name: 'after'});
		expect(fs.readdirSync(dest)).toEqual([path.basename(next.path)]);
	});

	it('a failure mid-write (disk full) leaves nothing and says so in one line', async () => {
		const mount = path.join(tempDir(), 'small');
		fs.mkdirSync(mount);
		const {spawnSync} = await import('node:child_process');
		const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mount]);
		if (mounted.status !== 0) {
			console.warn(`skipping ENOSPC test: cannot mount a tmpfs here (${mounted.stderr.toString().trim()})`);
			return;
		}
		try {
			const result = runCli(['backup', 'create', '--data-dir', dataDir, '--dest', mount, '--format', 'zip']);
			expect(result.code).toBe(4);
			expect(result.stderr.trim()).toMatch(/^lifeboat: .*no space left on device$/);
			expect(fs.readdirSync(mount)).toEqual([]);
		} finally {
			spawnSync('umount', [mount]);
		}
	});
});
