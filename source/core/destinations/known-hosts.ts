/**
 * OpenSSH known_hosts, as far as checking a server's host key needs: plain (`host`,
 * `[host]:port`, comma lists, `*`/`?` wildcards, `!` negation) and hashed (`|1|salt|hash`) host
 * fields, `@revoked` lines (`@cert-authority` lines are skipped: no certificates here).
 */
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

export type KnownHostLine = {marker?: string; hosts: string; keyType: string; key: Buffer; line: number};

export type HostKeyVerdict =
	| {status: 'known'}
	| {status: 'unknown'}
	| {status: 'mismatch'; line: number}
	| {status: 'revoked'; line: number};

/** How known_hosts names a host: `host` on port 22, `[host]:port` otherwise. */
export function knownHostName(host: string, port: number): string {
	const name = host.toLowerCase();
	return port === 22 ? name : `[${name}]:${port}`;
}

/** The lines of a known_hosts file; a missing file has none. Unparsable lines are skipped, as ssh does. */
export async function readKnownHosts(file: string): Promise<KnownHostLine[]> {
	let text: string;
	try {
		text = await fs.readFile(file, 'utf8');
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
		throw error;
	}
	return parseKnownHosts(text);
}

export function parseKnownHosts(text: string): KnownHostLine[] {
	const lines: KnownHostLine[] = [];
	text.split(/\r?\n/).forEach((raw, index) => {
		const fields = raw.trim().split(/\s+/);
		if (fields[0] === '' || fields[0]!.startsWith('#')) return;
		const marker = fields[0]!.startsWith('@') ? fields.shift() : undefined;
		const [hosts, keyType, base64] = fields;
		if (!hosts || !keyType || !base64 || !/^[A-Za-z0-9+/]+=*$/.test(base64)) return;
		const key = Buffer.from(base64, 'base64');
		if (keyTypeOf(key) !== keyType) return;
		lines.push({marker, hosts, keyType, key, line: index + 1});
	});
	return lines;
}

/** True when the comma-separated host field `hosts` names `name` (a knownHostName). */
export function hostsFieldMatches(hosts: string, name: string): boolean {
	if (hosts.startsWith('|1|')) return hashedMatches(hosts, name);
	let matched = false;
	for (const pattern of hosts.split(',')) {
		const negated = pattern.startsWith('!');
		if (!globMatches(negated ? pattern.slice(1) : pattern, name)) continue;
		if (negated) return false;
		matched = true;
	}
	return matched;
}

function hashedMatches(field: string, name: string): boolean {
	const [, , salt, hash] = field.split('|');
	if (!salt || !hash) return false;
	const expected = Buffer.from(hash, 'base64');
	const actual = crypto.createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest();
	return expected.length === actual.length && crypto.timingSafeEqual(expected, actual);
}

function globMatches(pattern: string, name: string): boolean {
	const source = pattern.toLowerCase().replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
	return new RegExp(`^${source}$`).test(name);
}

/** Checks the key a server offered against the lines naming it. */
export function checkHostKey(lines: KnownHostLine[], name: string, key: Buffer): HostKeyVerdict {
	const mine = lines.filter(line => line.marker !== '@cert-authority' && hostsFieldMatches(line.hosts, name));
	const revoked = mine.find(line => line.marker === '@revoked' && line.key.equals(key));
	if (revoked) return {status: 'revoked', line: revoked.line};
	const known = mine.filter(line => line.marker === undefined);
	if (known.some(line => line.key.equals(key))) return {status: 'known'};
	if (known.length > 0) return {status: 'mismatch', line: known[0]!.line};
	return {status: 'unknown'};
}

const DEFAULT_HOST_KEY_ALGORITHMS = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];

/**
 * Host key algorithms to offer, the types already known for this host first (as ssh does), so a
 * server with several host keys presents the one we can check rather than a "mismatching" other.
 */
export function hostKeyAlgorithms(lines: KnownHostLine[], name: string): string[] {
	const preferred: string[] = [];
	for (const line of lines) {
		if (line.marker !== undefined || !hostsFieldMatches(line.hosts, name)) continue;
		const algorithms = line.keyType === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [line.keyType];
		for (const algorithm of algorithms) if (DEFAULT_HOST_KEY_ALGORITHMS.includes(algorithm) && !preferred.includes(algorithm)) preferred.push(algorithm);
	}
	return [...preferred, ...DEFAULT_HOST_KEY_ALGORITHMS.filter(algorithm => !preferred.includes(algorithm))];
}

/** The key type a public key blob names (its first SSH string), or '' when it is not one. */
export function keyTypeOf(key: Buffer): string {
	if (key.length < 4) return '';
	const length = key.readUInt32BE(0);
	return length > 0 && length < 64 && key.length >= 4 + length ? key.subarray(4, 4 + length).toString('latin1') : '';
}

/** `SHA256:…` as `ssh-keygen -l` prints it. */
export function keyFingerprint(key: Buffer): string {
	return `SHA256:${crypto.createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

/** Appends `name keytype base64` to the file, making it (0600) and its folder (0700) if new. */
export async function appendKnownHost(file: string, name: string, key: Buffer): Promise<void> {
	await fs.mkdir(path.dirname(file), {recursive: true, mode: 0o700});
	let separator = '';
	try {
		const text = await fs.readFile(file, 'utf8');
		if (text !== '' && !text.endsWith('\n')) separator = '\n';
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
	}
	await fs.appendFile(file, `${separator}${name} ${keyTypeOf(key)} ${key.toString('base64')}\n`, {mode: 0o600});
}
