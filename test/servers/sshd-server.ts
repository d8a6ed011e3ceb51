/**
 * A second sshd (Debian's openssh-server) for SFTP tests: foreground, on a free loopback port,
 * with its own config, ed25519 host key and an authorized test key, in a fresh temp folder.
 * It logs in the current user (tests run as root here and in CI), whose files land under `root`.
 *
 *   const sshd = await startSshd();
 *   openSftpDestination({user: sshd.user, host: sshd.host, port: sshd.port, path: `${sshd.root}/x/`},
 *     {keyFile: sshd.keyFile, knownHostsFile: sshd.knownHostsFile});
 *   await sshd.stop();
 */
import {spawn, spawnSync, type ChildProcess} from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {setTimeout as delay} from 'node:timers/promises';

const SSHD = '/usr/sbin/sshd';

export type SshdServer = {
	host: '127.0.0.1';
	port: number;
	/** The login user (the current user). */
	user: string;
	/** A folder of its own the tests put their destinations under (absolute). */
	root: string;
	/** The authorized test key (ed25519, no passphrase). */
	keyFile: string;
	/** `[127.0.0.1]:PORT ssh-ed25519 …` */
	knownHostsFile: string;
	/** The authorized_keys file (tests may append keys). */
	authorizedKeysFile: string;
	/** The host key's public line (`ssh-ed25519 AAAA…`). */
	hostPublicKey: string;
	hostKeyFingerprint?: string;
	/** Files its sessions hold open now (Linux /proc): to check a client closes its handles. */
	openFiles(): string[];
	/** Freezes sshd and its sessions (SIGSTOP): connections stay open but nothing answers, as on a dead link. */
	pause(): void;
	/** Undoes pause() (SIGCONT). */
	resume(): void;
	/** Kills sshd and every session it forked at once (SIGKILL), as a crash or power cut would. */
	kill(): Promise<void>;
	/** True while sshd runs (not killed or stopped). */
	running(): boolean;
	/** Starts it again on the same port with the same keys (after kill or stop). */
	restart(): Promise<void>;
	stop(): Promise<void>;
};

/** `readOnly`: the SFTP server refuses every write (`internal-sftp -R`), as a read-only share would. */
export async function startSshd(options: {readOnly?: boolean} = {}): Promise<SshdServer> {
	if (!fs.existsSync(SSHD)) throw new Error(`${SSHD} is missing: install Debian's openssh-server (apt-get install -y openssh-server) to run the SFTP tests`);
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-sshd-'));
	const root = path.join(dir, 'root');
	fs.mkdirSync(root, {mode: 0o700});
	const hostKey = path.join(dir, 'host_ed25519');
	const keyFile = path.join(dir, 'client_ed25519');
	keygen(hostKey, 'lifeboat-test-host');
	keygen(keyFile, 'lifeboat-test-client');
	const authorizedKeysFile = path.join(dir, 'authorized_keys');
	fs.copyFileSync(`${keyFile}.pub`, authorizedKeysFile);
	const hostPublicKey = fs.readFileSync(`${hostKey}.pub`, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
	const user = os.userInfo().username;
	const config = path.join(dir, 'sshd_config');
	const knownHostsFile = path.join(dir, 'known_hosts');

	let port = 0;
	let child: ChildProcess | undefined;
	let log = '';
	const launch = async (): Promise<void> => {
		ensurePrivsepDir();
		fs.writeFileSync(config, configText(port, hostKey, authorizedKeysFile, dir, options.readOnly === true));
		const check = spawnSync(SSHD, ['-t', '-f', config], {encoding: 'utf8'});
		if (check.status !== 0) throw new Error(`sshd -t rejected the test config: ${(check.stderr || check.stdout).trim()}${missingPrivsepHint(check.stderr)}`);
		log = '';
		const started = spawn(SSHD, ['-D', '-e', '-f', config], {stdio: ['ignore', 'ignore', 'pipe']});
		child = started;
		started.stderr!.setEncoding('utf8').on('data', (text: string) => (log = (log + text).slice(-4000)));
		await waitForBanner(port, started, () => log);
	};

	for (let attempt = 1; ; attempt++) {
		port = await freePort();
		try {
			await launch();
			break;
		} catch (error) {
			// Another process may have taken the port between probing and binding: try another.
			if (attempt >= 3 || !/Address already in use|Cannot bind/i.test(log)) throw error;
		}
	}
	fs.writeFileSync(knownHostsFile, `[127.0.0.1]:${port} ${hostPublicKey}\n`, {mode: 0o600});

	const kill = async () => {
		const current = child;
		child = undefined;
		if (!current || current.exitCode !== null || current.signalCode !== null) return;
		const exited = new Promise(resolve => current.once('exit', resolve));
		signalTree(current, 'SIGKILL');
		await exited;
	};
	return {
		host: '127.0.0.1',
		port,
		user,
		root,
		keyFile,
		knownHostsFile,
		authorizedKeysFile,
		hostPublicKey,
		hostKeyFingerprint: fingerprint(hostPublicKey),
		kill,
		running: () => child !== undefined && child.exitCode === null && child.signalCode === null,
		pause: () => signalTree(child, 'SIGSTOP'),
		resume: () => signalTree(child, 'SIGCONT'),
		openFiles: () => (child ? descendants(child.pid!).flatMap(openFilesOf) : []),
		restart: async () => {
			await kill();
			await launch();
		},
		stop: async () => {
			await kill();
			fs.rmSync(dir, {recursive: true, force: true});
		},
	};
}

function configText(port: number, hostKey: string, authorizedKeysFile: string, dir: string, readOnly: boolean): string {
	return [
		`Port ${port}`,
		'ListenAddress 127.0.0.1',
		`HostKey ${hostKey}`,
		`PidFile ${path.join(dir, 'sshd.pid')}`,
		`AuthorizedKeysFile ${authorizedKeysFile}`,
		'PermitRootLogin prohibit-password',
		'PubkeyAuthentication yes',
		'PasswordAuthentication no',
		'KbdInteractiveAuthentication no',
		'UsePAM no',
		'StrictModes no',
		'X11Forwarding no',
		'AllowTcpForwarding no',
		'PrintMotd no',
		'LogLevel ERROR',
		`Subsystem sftp internal-sftp${readOnly ? ' -R' : ''}`,
		'',
	].join('\n');
}

/** sshd refuses to start without /run/sshd (a tmpfs: gone after a reboot); root can make it. */
function ensurePrivsepDir(): void {
	if (process.getuid?.() === 0 && !fs.existsSync('/run/sshd')) fs.mkdirSync('/run/sshd', {recursive: true, mode: 0o755});
}

function missingPrivsepHint(stderr: string): string {
	return /privilege separation directory/i.test(stderr) ? ' (create it: mkdir -p /run/sshd)' : '';
}

function keygen(file: string, comment: string): void {
	const made = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file], {encoding: 'utf8'});
	if (made.status !== 0) throw new Error(`ssh-keygen failed: ${(made.stderr || String(made.error)).trim()}`);
}

/** `SHA256:…` of a public key line, as ssh-keygen -l prints it. */
export function fingerprint(publicKeyLine: string): string {
	const blob = Buffer.from(publicKeyLine.trim().split(/\s+/)[1]!, 'base64');
	return `SHA256:${crypto.createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

async function freePort(): Promise<number> {
	const server = net.createServer();
	await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
	const {port} = server.address() as net.AddressInfo;
	await new Promise(resolve => server.close(resolve));
	return port;
}

/** Polls until the port accepts and sends an SSH banner; fails early if sshd exits. */
async function waitForBanner(port: number, child: ChildProcess, log: () => string): Promise<void> {
	const deadline = Date.now() + 20_000;
	while (Date.now() < deadline) {
		if (child.exitCode !== null || child.signalCode !== null) throw new Error(`sshd exited (${child.exitCode ?? child.signalCode}): ${log().trim()}`);
		if (await bannerAt(port)) return;
		await delay(50);
	}
	child.kill('SIGKILL');
	throw new Error(`sshd did not answer on 127.0.0.1:${port} within 20 s: ${log().trim()}`);
}

function bannerAt(port: number): Promise<boolean> {
	return new Promise(resolve => {
		const socket = net.connect(port, '127.0.0.1');
		let text = '';
		const done = (ok: boolean) => {
			socket.destroy();
			resolve(ok);
		};
		socket.setTimeout(2000, () => done(false));
		socket.on('error', () => done(false));
		socket.on('data', chunk => {
			text += chunk.toString('latin1');
			if (text.startsWith('SSH-2.0-')) done(true);
		});
		socket.on('close', () => done(false));
	});
}

function signalTree(child: ChildProcess | undefined, signal: NodeJS.Signals): void {
	if (!child?.pid) return;
	for (const pid of [child.pid, ...descendants(child.pid)]) {
		try {
			process.kill(pid, signal);
		} catch {}
	}
}

function openFilesOf(pid: number): string[] {
	try {
		return fs.readdirSync(`/proc/${pid}/fd`).flatMap(fd => {
			try {
				return [fs.readlinkSync(`/proc/${pid}/fd/${fd}`)];
			} catch {
				return [];
			}
		});
	} catch {
		return [];
	}
}

/** Every process forked (transitively) from `pid` (Linux /proc). */
function descendants(pid: number): number[] {
	const children = new Map<number, number[]>();
	for (const entry of fs.readdirSync('/proc')) {
		if (!/^\d+$/.test(entry)) continue;
		try {
			const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
			const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
			children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
		} catch {}
	}
	const found: number[] = [];
	const walk = (id: number) => {
		for (const child of children.get(id) ?? []) {
			found.push(child);
			walk(child);
		}
	};
	walk(pid);
	return found;
}
