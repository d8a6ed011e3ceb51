import {spawnSync} from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import {describe, expect, it} from 'vitest';
import {appendKnownHost, checkHostKey, hostKeyAlgorithms, hostsFieldMatches, keyFingerprint, knownHostName, parseKnownHosts, readKnownHosts} from '../../source/core/destinations/known-hosts.js';
import {tempDir} from '../helpers/temp-dir.js';

/** Public key blobs made by ssh-keygen, one per type. */
function keysOf(dir: string): Record<'ed25519' | 'ecdsa' | 'rsa', {line: string; blob: Buffer; fingerprint: string}> {
	const keys = {} as ReturnType<typeof keysOf>;
	for (const type of ['ed25519', 'ecdsa', 'rsa'] as const) {
		const file = path.join(dir, type);
		const made = spawnSync('ssh-keygen', ['-q', '-t', type, ...(type === 'rsa' ? ['-b', '2048'] : []), '-N', '', '-f', file], {encoding: 'utf8'});
		expect(made.status, made.stderr).toBe(0);
		const line = fs.readFileSync(`${file}.pub`, 'utf8').trim().split(' ').slice(0, 2).join(' ');
		const fingerprint = spawnSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${file}.pub`], {encoding: 'utf8'}).stdout.split(' ')[1]!;
		keys[type] = {line, blob: Buffer.from(line.split(' ')[1]!, 'base64'), fingerprint};
	}
	return keys;
}

const hostName = fc.oneof(
	fc.ipV4(),
	fc.domain(),
	fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/),
);

describe('known_hosts', () => {
	const dir = tempDir();
	const keys = keysOf(dir);

	it('fingerprints keys as ssh-keygen -l does', () => {
		for (const key of Object.values(keys)) expect(keyFingerprint(key.blob)).toBe(key.fingerprint);
	});

	it('matches plain, [host]:port and ssh-keygen -H hashed entries, and only those (generated hosts)', () => {
		fc.assert(
			fc.property(fc.uniqueArray(fc.tuple(hostName, fc.constantFrom(22, 2222, 65_535)), {minLength: 2, maxLength: 8, selector: ([host, port]) => knownHostName(host, port)}), hosts => {
				const file = path.join(dir, `known_hosts-${crypto.randomBytes(4).toString('hex')}`);
				const [first, ...others] = hosts;
				fs.writeFileSync(file, `${knownHostName(...first!)} ${keys.ed25519.line}\n${others.map(([host, port]) => `${knownHostName(host, port)} ${keys.rsa.line}`).join('\n')}\n`);
				for (const hashed of [false, true]) {
					if (hashed) expect(spawnSync('ssh-keygen', ['-H', '-f', file], {encoding: 'utf8'}).status).toBe(0);
					const lines = parseKnownHosts(fs.readFileSync(file, 'utf8'));
					expect(lines.every(line => line.hosts.startsWith('|1|') === hashed)).toBe(true);
					expect(checkHostKey(lines, knownHostName(...first!), keys.ed25519.blob)).toEqual({status: 'known'});
					expect(checkHostKey(lines, knownHostName(...first!), keys.ecdsa.blob)).toEqual({status: 'mismatch', line: 1});
					for (const [host, port] of others) expect(checkHostKey(lines, knownHostName(host, port), keys.rsa.blob).status).toBe('known');
					expect(checkHostKey(lines, knownHostName('not-listed.invalid', 22), keys.ed25519.blob)).toEqual({status: 'unknown'});
				}
			}),
			{numRuns: 15},
		);
	});

	it('treats a host on another port as another host, as ssh does', () => {
		const lines = parseKnownHosts(`nas.example ${keys.ed25519.line}\n`);
		expect(checkHostKey(lines, knownHostName('NAS.example', 22), keys.ed25519.blob).status).toBe('known');
		expect(checkHostKey(lines, knownHostName('nas.example', 2222), keys.ed25519.blob).status).toBe('unknown');
	});

	it('understands comma lists, wildcards, negation, @revoked, and skips @cert-authority, comments and junk', () => {
		const text = [
			'# comment',
			'',
			`a.example,b.example ${keys.ed25519.line}`,
			`*.lan,!evil.lan ${keys.ecdsa.line}`,
			`@cert-authority *.example ${keys.rsa.line}`,
			`@revoked revoked.example ${keys.rsa.line}`,
			`revoked.example ${keys.rsa.line}`,
			'broken line',
			`c.example ssh-ed25519 not-base64!`,
			`d.example ssh-rsa ${keys.ed25519.line.split(' ')[1]}`,
		].join('\n');
		const lines = parseKnownHosts(text);
		expect(lines.map(line => line.line)).toEqual([3, 4, 5, 6, 7]);
		expect(checkHostKey(lines, 'b.example', keys.ed25519.blob).status).toBe('known');
		expect(checkHostKey(lines, 'nas.lan', keys.ecdsa.blob).status).toBe('known');
		expect(checkHostKey(lines, 'evil.lan', keys.ecdsa.blob).status).toBe('unknown');
		expect(checkHostKey(lines, 'x.example', keys.rsa.blob).status).toBe('unknown');
		expect(checkHostKey(lines, 'revoked.example', keys.rsa.blob)).toEqual({status: 'revoked', line: 6});
		expect(checkHostKey(lines, 'c.example', keys.ed25519.blob).status).toBe('unknown');
		expect(checkHostKey(lines, 'd.example', keys.ed25519.blob).status).toBe('unknown');
		expect(hostsFieldMatches('|1|bad', 'a.example')).toBe(false);
	});

	it('offers the key types known for the host first', () => {
		const lines = parseKnownHosts(`[nas]:2222 ${keys.rsa.line}\nother ${keys.ecdsa.line}\n`);
		expect(hostKeyAlgorithms(lines, '[nas]:2222').slice(0, 4)).toEqual(['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa', 'ssh-ed25519']);
		expect(hostKeyAlgorithms(lines, 'unknown')[0]).toBe('ssh-ed25519');
	});

	it('appends a line ssh reads back, making the file 0600 and its folder 0700', async () => {
		const file = path.join(tempDir(), 'new', 'known_hosts');
		await appendKnownHost(file, knownHostName('127.0.0.1', 2022), keys.ecdsa.blob);
		fs.appendFileSync(file, `other ${keys.rsa.line}`);
		await appendKnownHost(file, knownHostName('nas', 22), keys.ed25519.blob);
		expect(fs.statSync(file).mode & 0o777).toBe(0o600);
		expect(fs.statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
		expect(fs.readFileSync(file, 'utf8')).toBe(`[127.0.0.1]:2022 ${keys.ecdsa.line}\nother ${keys.rsa.line}\nnas ${keys.ed25519.line}\n`);
		const found = spawnSync('ssh-keygen', ['-F', '[127.0.0.1]:2022', '-f', file], {encoding: 'utf8'});
		expect(found.stdout).toContain(keys.ecdsa.line);
		expect((await readKnownHosts(file)).map(line => line.keyType)).toEqual(['ecdsa-sha2-nistp256', 'ssh-rsa', 'ssh-ed25519']);
		expect(await readKnownHosts(path.join(dir, 'missing'))).toEqual([]);
	});
});
