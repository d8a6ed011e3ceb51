import fs from 'node:fs';
import {pipeline} from 'node:stream/promises';
import {summarize} from '../../source/core/archive/archive-format.js';
import {plainFileSource} from '../../source/core/archive/archive-reader.js';
import {readMetadata} from '../../source/core/backup/read-metadata.js';
import {createEncryptStream} from '../../source/core/crypto/encrypt-stream.js';

/**
 * `plain` (a zip backup) encrypted as a Lifeboat made before tenant ids were in the plain header:
 * the same summary without `tenantId` (its slug is all a listing can read).
 */
export async function encryptWithoutTenantId(plain: string, out: string, passphrase: string): Promise<void> {
	const {tenantId: _left, ...summary} = summarize(await readMetadata(plainFileSource(plain)), true);
	await pipeline(fs.createReadStream(plain), await createEncryptStream({passphrase, summary}), fs.createWriteStream(out, {mode: 0o600}));
}

/** `plain` encrypted as a Lifeboat made before gateway keys were in the plain header: the summary without `gateway`. */
export async function encryptWithoutGateway(plain: string, out: string, passphrase: string): Promise<void> {
	const {gateway: _left, ...summary} = summarize(await readMetadata(plainFileSource(plain)), true);
	await pipeline(fs.createReadStream(plain), await createEncryptStream({passphrase, summary}), fs.createWriteStream(out, {mode: 0o600}));
}
