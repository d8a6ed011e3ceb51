import fs from 'node:fs';
import path from 'node:path';
import {beforeAll, describe, expect, it} from 'vitest';
import {createBackup, type BackupResult} from '../source/core/backup/create-backup.js';
import {openBackupSource} from '../source/core/backup/backup-source.js';
import {listBackups} from '../source/core/backup/list-backups.js';
import {verifyBackup} from '../source/core/backup/verify-backup.js';
import {readEncryptedHeader} from '../source/core/crypto/decrypt-stream.js';
import {generateDemo} from '../source/core/demo/generate-demo.js';
import {LifeboatError} from '../source/core/errors.js';
import {gatewaySecrets} from './helpers/gateway-secrets.js';
import {runCli} from './helpers/run-cli.js';
import {tempDir} from './helpers/temp-dir.js';

const PASSPHRASE = 'correct horse battery staple';

async function verifyWith(file: string, passphrase: string) {
	try {
		return await verifyBackup(await openBackupSource(file, {passphrase}));
	} catch (error) {
		if (error instanceof LifeboatError) return {ok: false, problems: [error.message], code: error.code};
		throw error;
	}
}

describe('encrypted backups', () => {
	let dataDir: string;
	const backups: Record<string, BackupResult> = {};
	beforeAll(async () => {
		dataDir = path.join(tempDir(), 'gateway');
		await generateDemo({dir: dataDir, tenants: 2, scale: 'small', seed: 21});
		const dest = tempDir();
		for (const format of ['zip', 'tar.gz'] as const) {
			backups[format] = await createBackup({dataDir, destDir: dest, format, passphrase: PASSPHRASE, kdfIterations: 1000});
		}
	});

	it('writes name.<format>.enc that verifies with the passphrase, listed without it', async () => {
		for (const format of ['zip', 'tar.gz'] as const) {
			const backup = backups[format]!;
			expect(backup.path.endsWith(`.${format}.enc`)).toBe(true);
			expect((await verifyWith(backup.path, PASSPHRASE)).ok).toBe(true);
		}
		const listed = await listBackups(path.dirname(backups['zip']!.path));
		expect(listed).toHaveLength(2);
		for (const entry of listed) {
			expect(entry.encrypted).toBe(true);
			expect(entry.summary?.counts['memory']).toBeGreaterThan(0);
			expect(entry.metadata).toBeUndefined();
		}
	});

	it('CLI verify of an encrypted zip is clean: exit 0, nothing on stderr (no leaked file handles)', () => {
		const result = runCli(['backup', 'verify', backups['zip']!.path], {env: {LIFEBOAT_BACKUP_PASSPHRASE: PASSPHRASE}});
		expect(result.stderr).toBe('');
		expect(result.code).toBe(0);
		expect(result.stdout).toMatch(/^OK: /);
	});

	it('holds no plaintext at all: not the secrets, not even the row contents', () => {
		const secrets = gatewaySecrets(dataDir);
		for (const format of ['zip', 'tar.gz'] as const) {
			const bytes = fs.readFileSync(backups[format]!.path).toString('latin1');
			expect(secrets.filter(secret => bytes.includes(secret))).toEqual([]);
			expect(bytes).not.toContain('memory/entries.jsonl');
			expect(bytes).not.toContain('PK\u0003\u0004');
		}
	});

	it('a wrong passphrase is reported after one key derivation, exit code 6', async () => {
		const result = await verifyWith(backups['zip']!.path, 'not it');
		expect(result).toMatchObject({ok: false, problems: ['wrong passphrase or corrupted backup'], code: 'wrong-passphrase'});
		const file = path.join(tempDir(), 'wrong');
		fs.writeFileSync(file, 'not it\n');
		const cli = runCli(['backup', 'verify', backups['tar.gz']!.path, '--passphrase-file', file]);
		expect(cli.code).toBe(6);
		expect(cli.stderr.trim()).toBe('lifeboat: wrong passphrase or corrupted backup');
		const none = runCli(['backup', 'verify', backups['tar.gz']!.path], {env: {LIFEBOAT_BACKUP_PASSPHRASE: undefined}});
		expect(none.code).toBe(6);
		expect(none.stderr).toContain('pass --passphrase-file FILE or set LIFEBOAT_BACKUP_PASSPHRASE');
	});

	it('rejects a bit flip at 20 positions spread through the file', async () => {
		for (const format of ['zip', 'tar.gz'] as const) {
			const original = fs.readFileSync(backups[format]!.path);
			const header = await readEncryptedHeader(backups[format]!.path);
			const positions = [0, 5, 14, 20, 40, header.headerLength - 40, header.headerLength - 1];
			for (let i = 0; positions.length < 20; i++) positions.push(header.headerLength + Math.floor(((original.length - header.headerLength - 1) * i) / 12));
			positions.push(original.length - 1);
			for (const position of positions) {
				const copy = Buffer.from(original);
				copy[position] ^= 0x10;
				const file = path.join(tempDir(), `flip-${position}.${format}.enc`);
				fs.writeFileSync(file, copy);
				const result = await verifyWith(file, PASSPHRASE);
				expect(result.ok, `${format} flip at ${position}`).toBe(false);
			}
		}
	});

	it('rejects truncation at a segment boundary and appended bytes', async () => {
		const original = fs.readFileSync(backups['tar.gz']!.path);
		const header = await readEncryptedHeader(backups['tar.gz']!.path);
		const boundary = header.headerLength + (header.segmentSize + 16) * 2;
		expect(original.length).toBeGreaterThan(boundary);
		const cut = path.join(tempDir(), 'cut.tar.gz.enc');
		fs.writeFileSync(cut, original.subarray(0, boundary));
		expect((await verifyWith(cut, PASSPHRASE)).ok).toBe(false);
		const longer = path.join(tempDir(), 'longer.tar.gz.enc');
		fs.writeFileSync(longer, Buffer.concat([original, Buffer.from('extra')]));
		expect((await verifyWith(longer, PASSPHRASE)).ok).toBe(false);
	});

	it('refuses an empty passphrase and encryption of a folder backup', async () => {
		await expect(createBackup({dataDir, destDir: tempDir(), passphrase: ''})).rejects.toThrow('passphrase must not be empty');
		await expect(createBackup({dataDir, destDir: tempDir(), format: 'dir', passphrase: 'x'})).rejects.toThrow('Encryption needs --format zip or tar.gz');
	});
});
