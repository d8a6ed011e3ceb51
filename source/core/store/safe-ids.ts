import {LifeboatError} from '../errors.js';

/**
 * Ids and extensions end up in file paths (agents/<id>/, documents/files/<id>.<ext>), so they are
 * held to a strict alphabet: no dots, slashes, backslashes or control characters can ever reach a
 * path, whatever a database row or a hostile backup says.
 */
const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;
const SAFE_EXT = /^[A-Za-z0-9]{1,16}$/;

export function isSafeId(id: unknown): id is string {
	return typeof id === 'string' && SAFE_ID.test(id);
}

export function isSafeExt(ext: unknown): ext is string {
	return typeof ext === 'string' && SAFE_EXT.test(ext);
}

export function assertSafeId(id: unknown, what: string): string {
	if (!isSafeId(id)) throw new LifeboatError('unsafe-archive', `${what}: invalid id ${JSON.stringify(String(id)).slice(0, 80)} (ids are letters, digits, _ and -)`);
	return id;
}

export function assertSafeExt(ext: unknown, what: string): string {
	if (!isSafeExt(ext)) throw new LifeboatError('unsafe-archive', `${what}: invalid file extension ${JSON.stringify(String(ext)).slice(0, 40)}`);
	return ext;
}
