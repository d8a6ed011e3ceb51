import crypto from 'node:crypto';

/** A small AES-256-GCM envelope for blocks that fit in memory (the 2FA secrets). */
export type SealedBox = {alg: 'aes-256-gcm'; keyId: string; iv: string; tag: string; ciphertext: string};

export function seal(key: Buffer, keyId: string, plaintext: Buffer, associatedData = 'lifeboat-sealed-box'): SealedBox {
	const iv = crypto.randomBytes(12);
	const cipher = crypto.createCipheriv('aes-256-gcm', key, iv);
	cipher.setAAD(Buffer.from(associatedData));
	const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
	return {alg: 'aes-256-gcm', keyId, iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), ciphertext: ciphertext.toString('base64')};
}

/** Throws if the key is wrong or the box was altered. */
export function open(key: Buffer, box: SealedBox, associatedData = 'lifeboat-sealed-box'): Buffer {
	const decipher = crypto.createDecipheriv('aes-256-gcm', key, Buffer.from(box.iv, 'base64'));
	decipher.setAAD(Buffer.from(associatedData));
	decipher.setAuthTag(Buffer.from(box.tag, 'base64'));
	return Buffer.concat([decipher.update(Buffer.from(box.ciphertext, 'base64')), decipher.final()]);
}
