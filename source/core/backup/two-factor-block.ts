import crypto from 'node:crypto';
import fs from 'node:fs';
import {keyIdOf, loadOrCreateGatewayKey, readGatewayKey} from '../crypto/gateway-key.js';
import {deriveMasterKey} from '../crypto/passphrase-key.js';
import {open, seal, type SealedBox} from '../crypto/sealed-box.js';

/**
 * The 2FA secrets block (users/2fa-secrets.json.enc): secrets taken out of the plain rows,
 * sealed with the backup passphrase when there is one (so the backup restores anywhere), else
 * with the gateway's own backup key (so they restore on this gateway and nowhere else).
 */
export type TwoFactorSecrets = Record<string, Record<string, Record<string, unknown>>>;

type StoredBlock = SealedBox & {sealedWith: 'gateway-key' | 'passphrase'; kdf?: {name: 'pbkdf2-hmac-sha256'; salt: string; iterations: number}};

const ITERATIONS = 600_000;
const AAD = 'lifeboat-2fa-block';

export async function sealTwoFactor(secrets: TwoFactorSecrets, options: {passphrase?: string; gatewayKeyFile: string}): Promise<{block: Buffer; sealedWith: 'gateway-key' | 'passphrase'; keyId: string}> {
	const plaintext = Buffer.from(JSON.stringify(secrets));
	if (options.passphrase) {
		const salt = crypto.randomBytes(16);
		const key = await deriveMasterKey(options.passphrase, salt, ITERATIONS);
		const keyId = keyIdOf(key);
		const block: StoredBlock = {...seal(key, keyId, plaintext, AAD), sealedWith: 'passphrase', kdf: {name: 'pbkdf2-hmac-sha256', salt: salt.toString('base64'), iterations: ITERATIONS}};
		return {block: Buffer.from(JSON.stringify(block)), sealedWith: 'passphrase', keyId};
	}
	const {key, keyId} = loadOrCreateGatewayKey(options.gatewayKeyFile);
	const block: StoredBlock = {...seal(key, keyId, plaintext, AAD), sealedWith: 'gateway-key'};
	return {block: Buffer.from(JSON.stringify(block)), sealedWith: 'gateway-key', keyId};
}

/**
 * Opens the block, or says why it cannot be opened (another gateway's key, no passphrase) so
 * restore can carry on and tell the operator which users must re-enrol 2FA.
 */
export async function unsealTwoFactor(block: Buffer, options: {passphrase?: string; keyFile?: string; gatewayKeyFile: string}): Promise<{secrets: TwoFactorSecrets} | {error: string}> {
	let stored: StoredBlock;
	try {
		stored = JSON.parse(block.toString('utf8')) as StoredBlock;
	} catch {
		return {error: '2FA block is not readable'};
	}
	let key: Buffer;
	if (stored.sealedWith === 'passphrase') {
		if (!options.passphrase || !stored.kdf) return {error: '2FA block is sealed with the backup passphrase, which was not given'};
		key = await deriveMasterKey(options.passphrase, Buffer.from(stored.kdf.salt, 'base64'), stored.kdf.iterations);
	} else {
		const file = options.keyFile ?? options.gatewayKeyFile;
		if (!fs.existsSync(file)) return {error: `2FA block is sealed with another gateway's backup key (pass --key-file with that gateway's keys/backup.key)`};
		key = readGatewayKey(file).key;
		if (keyIdOf(key) !== stored.keyId) return {error: `2FA block is sealed with another gateway's backup key (key ${stored.keyId}; pass --key-file with that gateway's keys/backup.key)`};
	}
	try {
		return {secrets: JSON.parse(open(key, stored, AAD).toString('utf8')) as TwoFactorSecrets};
	} catch {
		return {error: '2FA block failed authentication (wrong key or tampered)'};
	}
}
