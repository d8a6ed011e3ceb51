import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export type GatewayKey = {key: Buffer; keyId: string};

export function keyIdOf(key: Buffer): string {
	return crypto.createHash('sha256').update('lifeboat-key-id').update(key).digest('hex').slice(0, 16);
}

/**
 * The gateway's own backup key (32 random bytes, mode 0600) seals 2FA secrets in backups made
 * without a passphrase. It stays on the gateway and is never put in a backup, so those secrets
 * restore on this gateway (or one given the key file) and are useless to whoever finds the archive.
 */
export function loadOrCreateGatewayKey(file: string): GatewayKey {
	if (!fs.existsSync(file)) {
		fs.mkdirSync(path.dirname(file), {recursive: true, mode: 0o700});
		try {
			fs.writeFileSync(file, crypto.randomBytes(32).toString('base64') + '\n', {mode: 0o600, flag: 'wx'});
		} catch (error) {
			if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
		}
	}
	return readGatewayKey(file);
}

export function readGatewayKey(file: string): GatewayKey {
	const key = Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'base64');
	if (key.length !== 32) throw new Error(`${file} is not a Lifeboat backup key`);
	return {key, keyId: keyIdOf(key)};
}
