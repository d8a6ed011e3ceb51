/**
 * Names from a request (a backup name, an export sub-folder) are checked before anything is
 * touched: one plain path segment, no traversal, however it was encoded.
 */
import {badRequest} from './http-errors.js';

const SAFE_CHARACTERS = /^[A-Za-z0-9][A-Za-z0-9._+-]*$/;

/** A name a request gives a new backup or folder: at most 200 characters, room left for the extension. */
export const NEW_NAME_MAX = 200;
/** A backup a request names: a new name's 200 characters and its extension (`.tar.zst.enc`), within a file name's 255 bytes. */
export const BACKUP_NAME_MAX = 255;

/**
 * A backup or folder name: letters, digits, `.`, `_`, `+`, `-`, not starting with a dot; refused
 * (400) when it holds a slash, a backslash, `..`, a `%` (an encoded name reached us still encoded
 * or doubly encoded) or anything else.
 */
export function checkRequestName(value: unknown, what: string, max = NEW_NAME_MAX): string {
	if (typeof value !== 'string' || value === '') throw badRequest(`${what} must be a non-empty string`);
	if (/[\\/]|\.\.|%|^[A-Za-z]:/.test(value) || value.includes('\0')) throw badRequest(`${what} must be one plain name: no path, no "..", no encoded characters`);
	if (!SAFE_CHARACTERS.test(value) || value.length > max) throw badRequest(`${what} may hold letters, digits, ".", "_", "+" and "-" only (at most ${max}, not starting with a dot)`);
	return value;
}
