import {redactJson} from '../redaction.js';
import {REDACTED_MARKER} from '../store/schema.js';

/**
 * Merges a restored (redacted) JSON config over the live one: wherever the backup holds
 * REDACTED_MARKER and the live document has a real value at the same path, the live value is
 * kept (also where the marker stands for a credential inside a longer string), so restoring a
 * config never replaces a working secret by a marker. Returns the merged
 * document and the dotted paths still holding a marker (to re-enter).
 */
export function mergeRedacted(backup: unknown, live: unknown): {value: unknown; unresolved: string[]} {
	const unresolved: string[] = [];
	const walk = (node: unknown, current: unknown, trail: string): unknown => {
		if (node === REDACTED_MARKER) {
			if (current !== undefined && current !== null && current !== REDACTED_MARKER && typeof current !== 'object') return current;
			unresolved.push(trail);
			return node;
		}
		if (typeof node === 'string' && node.includes(REDACTED_MARKER)) {
			// A credential redacted inside a longer string (a password in a URL, a bearer token): the
			// live string is kept when redacting it gives the backup's string, i.e. only the secret differs.
			if (typeof current === 'string' && redactJson(current).value === node) return current;
			unresolved.push(trail);
			return node;
		}
		if (Array.isArray(node)) return node.map((item, index) => walk(item, Array.isArray(current) ? current[index] : undefined, `${trail}[${index}]`));
		if (node && typeof node === 'object') {
			const out: Record<string, unknown> = {};
			const liveObject = current && typeof current === 'object' && !Array.isArray(current) ? (current as Record<string, unknown>) : undefined;
			for (const [key, child] of Object.entries(node)) out[key] = walk(child, liveObject?.[key], trail ? `${trail}.${key}` : key);
			return out;
		}
		return node;
	};
	return {value: walk(backup, live, ''), unresolved};
}

export function deepEqual(a: unknown, b: unknown): boolean {
	if (a === b) return true;
	if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((item, index) => deepEqual(item, b[index]));
	if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(b)) {
		const ka = Object.keys(a);
		const kb = Object.keys(b);
		return ka.length === kb.length && ka.every(key => Object.prototype.hasOwnProperty.call(b, key) && deepEqual((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]));
	}
	return false;
}

/** Dotted paths whose leaf values differ between two JSON documents. */
export function changedPaths(a: unknown, b: unknown, trail = ''): string[] {
	if (deepEqual(a, b)) return [];
	const isObject = (value: unknown) => value !== null && typeof value === 'object' && !Array.isArray(value);
	if (isObject(a) && isObject(b)) {
		const keys = [...new Set([...Object.keys(a as object), ...Object.keys(b as object)])];
		return keys.flatMap(key => changedPaths((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key], trail ? `${trail}.${key}` : key));
	}
	return [trail || '(root)'];
}

export function serializeJson(value: unknown): string {
	return JSON.stringify(value, null, 2) + '\n';
}
