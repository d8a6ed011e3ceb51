/**
 * Names from a request (a backup name, an export sub-folder) are checked before anything is
 * touched: one plain path segment, no traversal, however it was encoded.
 */
import {badRequest} from './http-errors.js';

const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,199}$/;

/**
 * A backup or folder name: letters, digits, `.`, `_`, `+`, `-`, not starting with a dot; refused
 * (400) when it holds a slash, a backslash, `..`, a `%` (an encoded name reached us still encoded
 * or doubly encoded) or anything else.
 */
export function checkRequestName(value: unknown, what: string): string {
	if (typeof value !== 'string' || value === '') throw badRequest(`${what} must be a non-empty string`);
	if (/[\\/]|\.\.|%|^[A-Za-z]:/.test(value) || value.includes('\0')) throw badRequest(`${what} must be one plain name: no path, no "..", no encoded characters`);
	if (!SAFE_NAME.test(value)) throw badRequest(`${what} may hold letters, digits, ".", "_", "+" and "-" only (at most 200, not starting with a dot)`);
	return value;
}
