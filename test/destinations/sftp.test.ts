import {spawnSync} from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import {Readable} from 'node:stream';
import SftpClient from 'ssh2-sftp-client';
import {afterAll, afterEach, beforeAll, describe, expect, it, vi} from 'vitest';
import {TEMP_PREFIX} from '../../source/core/destinations/destination.js';
import {openSftpDestination, type SftpOptions} from '../../source/core/destinations/sftp.js';
import {LifeboatError} from '../../source/core/errors.js';
import {tempDir} from '../helpers/temp-dir.js';
import {startSshd, type SshdServer} from '../servers/sshd-server.js';
import {describeDestination} from './conformance.js';

let sshd: SshdServer;
let folders = 0;

beforeAll(async () => {
	sshd = await startSshd();
});

afterAll(async () => {
	await sshd?.stop();
});

// A test that kills or freezes the server leaves it running for the next, pass or fail.
afterEach(async () => {
	sshd.resume();
	if (!sshd.running()) await sshd.restart();
});

/** A destination on a new folder under the sshd's root (not created yet). */
function fresh(options: SftpOptions = {}, folder = `case-${++folders}`) {
	return openSftpDestination({user: sshd.user, host: sshd.host, port: sshd.port, path: `${sshd.root}/${folder}/`}, {keyFile: sshd.keyFile, knownHostsFile: sshd.knownHostsFile, env: {}, ...options});
}

describeDestination('sftp', () => ({open: async () => fresh()}));
describeDestination('sftp, one request at a time', () => ({open: async () => fresh({sequential: true})}));

const sha256 = (bytes: Buffer) => crypto.createHash('sha256').update(bytes).digest('hex');

async function failureOf(promise: Promise<unknown>): Promise<LifeboatError> {
	const error = await promise.then(() => undefined, (caught: unknown) => caught);
	expect(error).toBeInstanceOf(LifeboatError);
	const failure = error as LifeboatError;
	expect(failure.message).not.toMatch(/\n|\s at /);
	return failure;
}

function newKey(dir: string, passphrase = ''): string {
	const file = path.join(dir, `key-${crypto.randomBytes(4).toString('hex')}`);
	const made = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', passphrase, '-C', 'test', '-f', file], {encoding: 'utf8'});
	expect(made.status, made.stderr).toBe(0);
	return file;
}

describe('sftp destination', () => {
	it('names the folder as an sftp:// URL, relative folders under /~/', () => {
		const at = (folder: string) => openSftpDestination({user: 'backup', host: 'nas.example', port: 2222, path: folder}).label;
		expect(at('/srv/backups/')).toBe('sftp://backup@nas.example:2222/srv/backups/');
		expect(at('backups/lifeboat/')).toBe('sftp://backup@nas.example:2222/~/backups/lifeboat/');
		expect(at('')).toBe('sftp://backup@nas.example:2222/~/');
		expect(at('/with space/')).toBe('sftp://backup@nas.example:2222/with%20space/');
		expect(openSftpDestination({user: 'u', host: '::1', port: 22, path: '/x/'}).locate('a b.zip')).toBe('sftp://u@[::1]:22/x/a%20b.zip');
	});

	it('makes the folder 0700 and files 0600 (seen over sftp and on disk), and leaves no temporary file', async () => {
		const destination = fresh({}, 'modes/nested');
		try {
			const bytes = crypto.randomBytes(100_000);
			expect(await destination.put('private.zip', Readable.from([bytes]))).toEqual({size: bytes.length, sha256: sha256(bytes)});
		} finally {
			await destination.close();
		}
		const folder = path.join(sshd.root, 'modes/nested');
		expect(fs.statSync(folder).mode & 0o777).toBe(0o700);
		expect(fs.statSync(path.join(sshd.root, 'modes')).mode & 0o777).toBe(0o700);
		expect(fs.statSync(path.join(folder, 'private.zip')).mode & 0o777).toBe(0o600);
		expect(fs.readdirSync(folder)).toEqual(['private.zip']);
		const client = new SftpClient('check', {error() {}, end() {}, close() {}});
		await client.connect({host: sshd.host, port: sshd.port, username: sshd.user, privateKey: fs.readFileSync(sshd.keyFile)});
		try {
			expect((await client.stat(path.join(folder, 'private.zip'))).mode & 0o777).toBe(0o600);
		} finally {
			await client.end();
		}
	});

	it('makes the folder again when it was removed between puts', async () => {
		const destination = fresh({}, 'removed/inner');
		try {
			await destination.put('a.zip', Readable.from([Buffer.from('a')]));
			fs.rmSync(path.join(sshd.root, 'removed'), {recursive: true});
			await destination.put('b.zip', Readable.from([Buffer.from('b')]));
			expect((await destination.list()).map(object => object.name)).toEqual(['b.zip']);
		} finally {
			await destination.close();
		}
	});

	it('lists 1,200 files, leaving out temporary files, dot files and folders', async () => {
		const folder = path.join(sshd.root, 'many');
		fs.mkdirSync(folder);
		for (let index = 0; index < 1200; index++) fs.writeFileSync(path.join(folder, `backup-${String(index).padStart(4, '0')}.zip`), String(index));
		fs.writeFileSync(path.join(folder, `${TEMP_PREFIX}123-abc`), 'partial');
		fs.writeFileSync(path.join(folder, '.hidden'), 'x');
		fs.mkdirSync(path.join(folder, 'sub.zip'));
		const destination = fresh({}, 'many');
		try {
			const listed = await destination.list();
			expect(listed).toHaveLength(1200);
			expect(listed.map(object => object.name).sort()[1199]).toBe('backup-1199.zip');
			expect(listed.find(object => object.name === 'backup-0042.zip')?.size).toBe(2);
			expect(await destination.stat('sub.zip')).toBeUndefined();
		} finally {
			await destination.close();
		}
	});

	it('refuses a key the server does not accept: one line, exit 4, nothing written', async () => {
		const destination = fresh({keyFile: newKey(tempDir())}, 'wrong-key');
		try {
			const failure = await failureOf(destination.put('x.zip', Readable.from([Buffer.from('x')])));
			expect(failure.exitCode).toBe(4);
			expect(failure.message).toBe(`${destination.label}: authentication failed for ${sshd.user} (check the key: --ssh-key or LIFEBOAT_SSH_KEY, or the ssh agent)`);
		} finally {
			await destination.close();
		}
		expect(fs.existsSync(path.join(sshd.root, 'wrong-key'))).toBe(false);
	});

	it('reads the key from LIFEBOAT_SSH_KEY, asks for LIFEBOAT_SSH_KEY_PASSPHRASE when it is protected', async () => {
		const dir = tempDir();
		const protectedKey = newKey(dir, 'correct horse');
		fs.appendFileSync(sshd.authorizedKeysFile, fs.readFileSync(`${protectedKey}.pub`));
		const open = (env: NodeJS.ProcessEnv) => fresh({keyFile: undefined, env}, 'env-key');
		for (const [env, fragment] of [
			[{LIFEBOAT_SSH_KEY: protectedKey}, `the ssh key ${protectedKey} is protected by a passphrase: set LIFEBOAT_SSH_KEY_PASSPHRASE`],
			[{LIFEBOAT_SSH_KEY: protectedKey, LIFEBOAT_SSH_KEY_PASSPHRASE: 'wrong'}, `cannot decrypt the ssh key ${protectedKey}: check LIFEBOAT_SSH_KEY_PASSPHRASE`],
			[{LIFEBOAT_SSH_KEY: path.join(dir, 'nope')}, `cannot read the ssh key ${path.join(dir, 'nope')} (no such file)`],
			[{HOME: dir}, 'no ssh key to log in with: pass --ssh-key, set LIFEBOAT_SSH_KEY or start an ssh agent'],
		] as const) {
			const destination = open(env);
			const failure = await failureOf(destination.list());
			expect(failure.exitCode).toBe(4);
			expect(failure.message).toBe(`${destination.label}: ${fragment}`);
			await destination.close();
		}
		const destination = open({LIFEBOAT_SSH_KEY: protectedKey, LIFEBOAT_SSH_KEY_PASSPHRASE: 'correct horse'});
		try {
			expect(await destination.list()).toEqual([]);
		} finally {
			await destination.close();
		}
	});

	it('refuses a host key that differs from known_hosts, even with trustNewHostKey, and writes nothing', async () => {
		const knownHostsFile = path.join(tempDir(), 'known_hosts');
		const other = fs.readFileSync(`${newKey(tempDir())}.pub`, 'utf8').split(' ').slice(0, 2).join(' ');
		fs.writeFileSync(knownHostsFile, `# comment\nother.example ${sshd.hostPublicKey}\n[127.0.0.1]:${sshd.port} ${other}\n`);
		const before = fs.readFileSync(knownHostsFile, 'utf8');
		for (const trustNewHostKey of [false, true]) {
			const destination = fresh({knownHostsFile, trustNewHostKey}, 'mitm');
			try {
				const failure = await failureOf(destination.put('x.zip', Readable.from([Buffer.from('x')])));
				expect(failure.exitCode).toBe(4);
				expect(failure.message).toContain(`${destination.label}: host key of 127.0.0.1:${sshd.port} does not match known_hosts (possible man-in-the-middle)`);
				expect(failure.message).toContain(`line 3`);
			} finally {
				await destination.close();
			}
		}
		expect(fs.readFileSync(knownHostsFile, 'utf8')).toBe(before);
		expect(fs.existsSync(path.join(sshd.root, 'mitm'))).toBe(false);
	});

	it('refuses an unknown host with its fingerprint, and adds it with trustNewHostKey', async () => {
		const knownHostsFile = path.join(tempDir(), 'new-dir', 'known_hosts');
		const refused = fresh({knownHostsFile}, 'trust');
		const failure = await failureOf(refused.list());
		await refused.close();
		expect(failure.exitCode).toBe(4);
		expect(failure.message).toBe(`${refused.label}: host key of 127.0.0.1:${sshd.port} is not in ${knownHostsFile} (its SHA256 fingerprint is ${sshd.hostKeyFingerprint}); check it, then pass --trust-host-key to add it`);
		expect(fs.existsSync(knownHostsFile)).toBe(false);

		const trusting = fresh({knownHostsFile, trustNewHostKey: true}, 'trust');
		try {
			await trusting.put('x.zip', Readable.from([Buffer.from('x')]));
		} finally {
			await trusting.close();
		}
		expect(fs.readFileSync(knownHostsFile, 'utf8')).toBe(`[127.0.0.1]:${sshd.port} ${sshd.hostPublicKey}\n`);
		expect(fs.statSync(knownHostsFile).mode & 0o777).toBe(0o600);
		const later = fresh({knownHostsFile}, 'trust');
		try {
			expect((await later.list()).map(object => object.name)).toEqual(['x.zip']);
		} finally {
			await later.close();
		}
	});

	it('accepts a hashed known_hosts entry (ssh-keygen -H) and LIFEBOAT_KNOWN_HOSTS', async () => {
		const knownHostsFile = path.join(tempDir(), 'known_hosts');
		fs.copyFileSync(sshd.knownHostsFile, knownHostsFile);
		const hashed = spawnSync('ssh-keygen', ['-H', '-f', knownHostsFile], {encoding: 'utf8'});
		expect(hashed.status, hashed.stderr).toBe(0);
		expect(fs.readFileSync(knownHostsFile, 'utf8')).toMatch(/^\|1\|/);
		const destination = fresh({knownHostsFile: undefined, env: {LIFEBOAT_KNOWN_HOSTS: knownHostsFile}}, 'hashed');
		try {
			expect(await destination.list()).toEqual([]);
		} finally {
			await destination.close();
		}
	});

	it('says permission denied in one line on a read-only server, lists and reads still work', async () => {
		const readOnly = await startSshd({readOnly: true});
		try {
			const folder = path.join(readOnly.root, 'shelf');
			fs.mkdirSync(folder);
			fs.writeFileSync(path.join(folder, 'old.zip'), 'old backup');
			const destination = openSftpDestination({user: readOnly.user, host: readOnly.host, port: readOnly.port, path: `${folder}/`}, {keyFile: readOnly.keyFile, knownHostsFile: readOnly.knownHostsFile, env: {}});
			try {
				for (const attempt of [() => destination.put('new.zip', Readable.from([Buffer.from('x')])), () => destination.delete('old.zip')]) {
					const failure = await failureOf(attempt());
					expect(failure.exitCode).toBe(4);
					expect(failure.message).toMatch(new RegExp(`^${escape(destination.label)}: (uploading new\\.zip|deleting old\\.zip): permission denied \\(check the folder's owner and mode on the server\\)$`));
				}
				expect((await destination.list()).map(object => object.name)).toEqual(['old.zip']);
				expect((await destination.readRange('old.zip', 4, 100)).toString()).toBe('backup');
				expect(fs.readdirSync(folder)).toEqual(['old.zip']);
			} finally {
				await destination.close();
			}
		} finally {
			await readOnly.stop();
		}
	});

	it('refuses a folder under a file in one line', async () => {
		fs.writeFileSync(path.join(sshd.root, 'plain-file'), 'x');
		const destination = fresh({}, 'plain-file/backups');
		try {
			const failure = await failureOf(destination.put('x.zip', Readable.from([Buffer.from('x')])));
			expect(failure.message).toBe(`${destination.label}: ${path.join(sshd.root, 'plain-file')} on the server is not a folder`);
			expect(await destination.list()).toEqual([]);
		} finally {
			await destination.close();
		}
	});

	it('closes every handle: 600 ranged reads and abandoned streams on one connection', async () => {
		const destination = fresh({}, 'handles');
		try {
			const bytes = crypto.randomBytes(3 * 1024 * 1024 + 7);
			await destination.put('x.zip', Readable.from([bytes]));
			for (let index = 0; index < 600; index++) {
				const offset = (index * 7919) % bytes.length;
				expect((await destination.readRange('x.zip', offset, 100)).equals(bytes.subarray(offset, offset + 100))).toBe(true);
			}
			for (let index = 0; index < 20; index++) {
				const stream = await destination.read('x.zip', {offset: index});
				const first = (await stream[Symbol.asyncIterator]().next()).value as Buffer;
				expect(first.equals(bytes.subarray(index, index + first.length))).toBe(true);
				stream.destroy();
			}
			const whole: Buffer[] = [];
			for await (const chunk of await destination.read('x.zip', {offset: 1})) whole.push(chunk as Buffer);
			expect(Buffer.concat(whole).equals(bytes.subarray(1))).toBe(true);
			const file = path.join(sshd.root, 'handles', 'x.zip');
			await vi.waitFor(() => expect(sshd.openFiles().filter(open => open === file)).toEqual([]), {timeout: 10_000, interval: 50});
		} finally {
			await destination.close();
		}
	});

	it('fails within seconds, in one line, when nothing listens on the port', async () => {
		const server = net.createServer();
		await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
		const {port} = server.address() as net.AddressInfo;
		await new Promise(resolve => server.close(resolve));
		const destination = openSftpDestination({user: sshd.user, host: '127.0.0.1', port, path: '/tmp/x/'}, {keyFile: sshd.keyFile, knownHostsFile: sshd.knownHostsFile, env: {}});
		const retries: string[] = [];
		const failure = await failureOf(destination.list({onRetry: note => retries.push(`${note.attempt}/${note.of} ${note.reason}`)}));
		expect(failure.message).toBe(`${destination.label}: listing: connection refused by 127.0.0.1:${port} (is its SSH server running?) (gave up after 3 attempts)`);
		expect(retries).toHaveLength(2);
		await destination.close();
	});
});

/** 24 MiB that stop after `pauseAt` bytes until `resume` settles (so a kill lands mid-upload). */
function gatedStream(total: number, pauseAt: number, resume: Promise<void>): Readable {
	let sent = 0;
	const chunk = crypto.randomBytes(64 * 1024);
	return new Readable({
		read() {
			if (sent >= total) return void this.push(null);
			const push = () => {
				sent += chunk.length;
				this.push(chunk);
			};
			if (sent >= pauseAt) void resume.then(push);
			else push();
		},
	});
}

describe('sftp destination when the server dies mid-upload', () => {
	it('rejects in one line within bounded time; after a restart nothing is listed and cleanup removes the partial file', async () => {
		const folder = path.join(sshd.root, 'killed');
		const destination = fresh({}, 'killed');
		let resume!: () => void;
		const resumed = new Promise<void>(resolve => (resume = resolve));
		let killing: Promise<void> | undefined;
		let killedAt = 0;
		const failure = failureOf(destination.put('big.zip', gatedStream(24 * 1024 * 1024, 8 * 1024 * 1024, resumed), {
			onBytes: sent => {
				if (sent < 8 * 1024 * 1024 || killing) return;
				// The first 8 MiB went out (and, once the temporary file exists on disk, reached it): kill.
				killedAt = Date.now();
				killing = sshd.kill().then(resume);
			},
		}));
		const error = await failure;
		const sinceKill = Date.now() - killedAt;
		expect(killing).toBeDefined();
		expect(error.code).toBe("destination");
		expect(error.message).toMatch(new RegExp(`^${escape(destination.label)}: uploading big\\.zip: connection to 127\\.0\\.0\\.1:${sshd.port} lost \\((connection reset|the server closed it|no response from the server)\\)$`));
		// Bounded: the keepalive (3 × 5 s) gives up on a silent server; a killed one is noticed at once.
		expect(sinceKill).toBeLessThan(30_000);
		const partial = fs.readdirSync(folder);
		expect(partial).toHaveLength(1);
		expect(partial[0]).toMatch(new RegExp(`^${escape(TEMP_PREFIX)}${process.pid}-`));

		await sshd.restart();
		// The same destination reconnects on its next use.
		expect(await destination.list()).toEqual([]);
		expect(await destination.stat('big.zip')).toBeUndefined();
		expect(await destination.cleanup()).toEqual([]);
		await destination.close();
		const sweeper = fresh({staleTempAfterMs: 0}, 'killed');
		try {
			const lines = await sweeper.cleanup();
			expect(lines).toHaveLength(1);
			expect(lines[0]).toContain(`removed the partial upload ${sweeper.locate(partial[0]!)}`);
			expect(fs.readdirSync(folder)).toEqual([]);
			expect(await sweeper.cleanup()).toEqual([]);
		} finally {
			await sweeper.close();
		}
	});
});

describe('sftp destination when the server stops answering mid-upload', () => {
	it('gives up within about 20 s (keepalive) in one line, and works again once it answers', async () => {
		const destination = fresh({}, 'frozen');
		let resume!: () => void;
		const resumed = new Promise<void>(resolve => (resume = resolve));
		let pausedAt = 0;
		const error = await failureOf(destination.put('big.zip', gatedStream(24 * 1024 * 1024, 8 * 1024 * 1024, resumed), {
			onBytes: sent => {
				if (sent < 8 * 1024 * 1024 || pausedAt) return;
				pausedAt = Date.now();
				sshd.pause();
				resume();
			},
		}));
		const waited = Date.now() - pausedAt;
		sshd.resume();
		try {
			expect(pausedAt).toBeGreaterThan(0);
			expect(error.message).toMatch(new RegExp(`^${escape(destination.label)}: uploading big\\.zip: connection to 127\\.0\\.0\\.1:${sshd.port} lost \\([a-z ]+\\)$`));
			expect(waited).toBeLessThan(30_000);
			expect(await destination.list()).toEqual([]);
		} finally {
			await destination.close();
		}
	}, 90_000);
});

describe('sftp destination when the server dies mid-read', () => {
	it('fails the stream with one line, and reconnects afterwards', async () => {
		const destination = fresh({}, 'read-killed');
		try {
			const bytes = crypto.randomBytes(16 * 1024 * 1024);
			await destination.put('x.zip', Readable.from([bytes]));
			const stream = await destination.read('x.zip');
			const iterator = stream[Symbol.asyncIterator]();
			await iterator.next();
			await sshd.kill();
			const error = await (async () => {
				for (;;) if ((await iterator.next()).done) return undefined;
			})().catch((caught: unknown) => caught);
			expect(error).toBeInstanceOf(LifeboatError);
			expect((error as LifeboatError).message).toMatch(new RegExp(`^${escape(destination.label)}: reading x\\.zip: connection to 127\\.0\\.0\\.1:${sshd.port} lost \\([a-z ]+\\)$`));
			await sshd.restart();
			expect((await destination.readRange('x.zip', 5, 5)).equals(bytes.subarray(5, 10))).toBe(true);
		} finally {
			await destination.close();
		}
	});
});

function escape(text: string): string {
	return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Peak RSS and throughput of a streamed put, in a child process of its own (so the figures are
 * the upload's, not vitest's). A measurement, not a check: LIFEBOAT_SFTP_BENCH_MIB=200 to run it
 * (after npx tsc; LIFEBOAT_SFTP_SEQUENTIAL=1 for one request at a time).
 */
describe.runIf(process.env.LIFEBOAT_SFTP_BENCH_MIB)('sftp destination throughput', () => {
	it('puts LIFEBOAT_SFTP_BENCH_MIB MiB and reports peak RSS and MiB/s', async () => {
		const mib = Number(process.env.LIFEBOAT_SFTP_BENCH_MIB);
		const script = `
			import {Readable} from 'node:stream';
			const {openSftpDestination} = await import(process.env.MODULE);
			const destination = openSftpDestination(JSON.parse(process.env.LOCATION), {...JSON.parse(process.env.OPTIONS), env: {}});
			const chunk = Buffer.alloc(1024 * 1024, 7);
			let left = Number(process.env.MIB);
			const source = new Readable({read() { this.push(left-- > 0 ? chunk : null); }});
			const started = process.hrtime.bigint();
			const result = await destination.put('bench.zip', source);
			const seconds = Number(process.hrtime.bigint() - started) / 1e9;
			const putRss = process.resourceUsage().maxRSS / 1024;
			const readStarted = process.hrtime.bigint();
			let read = 0;
			for await (const chunk of await destination.read('bench.zip')) read += chunk.length;
			const readSeconds = Number(process.hrtime.bigint() - readStarted) / 1e9;
			await destination.close();
			console.log(JSON.stringify({mib: result.size / 1048576, putSeconds: +seconds.toFixed(2), putMiBPerSecond: +(result.size / 1048576 / seconds).toFixed(1), putPeakRssMiB: +putRss.toFixed(1), readMiBPerSecond: +(read / 1048576 / readSeconds).toFixed(1), peakRssMiB: +(process.resourceUsage().maxRSS / 1024).toFixed(1)}));
		`;
		const module = new URL('../../source/core/destinations/sftp.ts', import.meta.url).pathname.replace('/source/', '/dist/').replace(/\.ts$/, '.js');
		expect(fs.existsSync(module), 'run npx tsc first').toBe(true);
		const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
			encoding: 'utf8',
			env: {...process.env, MODULE: module, MIB: String(mib), LOCATION: JSON.stringify({user: sshd.user, host: sshd.host, port: sshd.port, path: `${sshd.root}/bench/`}), OPTIONS: JSON.stringify({keyFile: sshd.keyFile, knownHostsFile: sshd.knownHostsFile, sequential: process.env.LIFEBOAT_SFTP_SEQUENTIAL === '1'})},
		});
		expect(run.status, run.stderr).toBe(0);
		console.log(`sftp put: ${run.stdout.trim()}`);
		expect(fs.statSync(path.join(sshd.root, 'bench', 'bench.zip')).size).toBe(mib * 1024 * 1024);
	}, 600_000);
});
