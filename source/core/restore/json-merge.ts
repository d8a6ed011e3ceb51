import {isPlainObject, keySpan, nodeValue, ownValue, parseJsonText, parseJsonValue, spliceJson, valueNode, type JsonEntry, type JsonNode} from '../json-text.js';
import {groupBy} from '../group-by.js';
import {redactedKeys, redactJson, renamedBase, scrubText} from '../redaction.js';
import {REDACTED_MARKER} from '../store/schema.js';

/**
 * Merges a restored (redacted) JSON config over the live one: wherever the backup holds
 * REDACTED_MARKER and the live document has a real value at the same path, the live value is
 * kept (also where the marker stands for a credential inside a longer string), so restoring a
 * config never replaces a working secret by a marker. Keys the backup renamed (secrets used as
 * keys, redactedKeys) get back the live keys renamed alike, in order, when the live object has as
 * many of them (one for one: a rotated key is kept, as a live secret value is); otherwise which is
 * which cannot be told, and they stay renamed, to re-enter. Works on both documents' trees
 * (json-text.ts): returns the backup's nodes to replace by live ones, its renamed keys to give
 * their live names, and the dotted paths still holding a marker (to re-enter).
 */
function mergeNodes(backup: JsonNode, live: JsonNode | undefined): {replace: Map<JsonNode, JsonNode>; keys: Map<JsonEntry, JsonEntry>; unresolved: string[]} {
	const unresolved: string[] = [];
	const replace = new Map<JsonNode, JsonNode>();
	const keys = new Map<JsonEntry, JsonEntry>();
	const walk = (node: JsonNode, current: JsonNode | undefined, trail: string): void => {
		if (node.kind === 'string' && node.value === REDACTED_MARKER) {
			const kept = current && ((current.kind === 'string' && current.value !== REDACTED_MARKER) || current.kind === 'number' || (current.kind === 'literal' && current.value !== null));
			if (kept) replace.set(node, current);
			else unresolved.push(trail);
		} else if (node.kind === 'string' && node.value.includes(REDACTED_MARKER)) {
			// A credential redacted inside a longer string (a password in a URL, a bearer token): the
			// live string is kept when redacting it gives the backup's string, i.e. only the secret differs.
			if (current?.kind === 'string' && redactJson(current.value).value === node.value) replace.set(node, current);
			else unresolved.push(trail);
		} else if (node.kind === 'array') {
			node.items.forEach((item, index) => walk(item, current?.kind === 'array' ? current.items[index] : undefined, `${trail}[${index}]`));
		} else if (node.kind === 'object') {
			// A key written more than once is matched copy for copy (the second with the live file's second).
			const copies = new Map<string, number>();
			const members = current?.kind === 'object' ? groupBy(current.entries, member => member.key) : undefined;
			const liveKeys = current?.kind === 'object' ? liveKeysOf(node, current) : undefined;
			// The backup's `copy`-th member named `key` matches the live one's, or JSON.parse's, the last.
			for (const entry of node.entries) {
				const {key, value} = entry;
				const copy = copies.get(key) ?? 0;
				copies.set(key, copy + 1);
				const trailed = trail ? `${trail}.${key}` : key;
				const liveKey = liveKeys?.get(key);
				const named = members?.get(liveKey ?? key);
				const match = named?.[copy] ?? named?.at(-1);
				if (liveKey !== undefined && match) keys.set(entry, match);
				else if (key.includes(REDACTED_MARKER) && !match) unresolved.push(trailed);
				walk(value, match?.value, trailed);
			}
		}
	};
	walk(backup, live, '');
	return {replace, keys, unresolved};
}

/**
 * The live key each renamed key of the backup's object stands for: renamed keys grouped by the
 * name they were numbered from (renamedBase), and a group matched in order with the live keys
 * that rename to the same name only when there are as many.
 */
function liveKeysOf(backup: JsonNode & {kind: 'object'}, live: JsonNode & {kind: 'object'}): Map<string, string> | undefined {
	const renamed = redactedKeys(live.entries);
	if (renamed.size === 0) return undefined;
	const liveGroups = groupBy(renamed, ([, name]) => renamedBase(name), ([key]) => key);
	// A key the live object has as it is (`[REDACTED…] #2` written by hand) is no renamed one.
	const kept = new Set(live.entries.map(entry => entry.key).filter(key => !renamed.has(key)));
	const backupGroups = groupBy([...new Set(backup.entries.map(entry => entry.key))].filter(key => key.includes(REDACTED_MARKER) && !kept.has(key)), renamedBase);
	const out = new Map<string, string>();
	for (const [base, names] of backupGroups) {
		const keys = liveGroups.get(base);
		if (keys?.length === names.length) names.forEach((name, index) => out.set(name, keys[index]!));
	}
	return out;
}

/** mergeNodes over parsed documents: the merged document (own properties only, so `__proto__` keys stay keys). */
export function mergeRedacted(backup: unknown, live: unknown): {value: unknown; unresolved: string[]} {
	const node = valueNode(backup);
	const {replace, keys, unresolved} = mergeNodes(node, live === undefined ? undefined : valueNode(live));
	const values = new Map([...replace].map(([target, kept]) => [target, nodeValue(kept)] as const));
	const names = new Map([...keys].map(([entry, kept]) => [entry, kept.key] as const));
	return {value: nodeValue(node, values, names), unresolved};
}

/**
 * mergeNodes over the texts of the backup's file and the live one (undefined: none, or not JSON):
 * the backup's text with only its markers replaced by the live values' own text, so the restored
 * file is the backed-up file byte for byte, secrets aside. Throws SyntaxError if the backup's is not JSON.
 */
export function mergeRedactedText(backup: string, live: string | undefined): {text: string; value: unknown; unresolved: string[]} {
	const node = parseJsonText(backup);
	let liveNode: JsonNode | undefined;
	try {
		liveNode = live === undefined ? undefined : parseJsonText(live);
	} catch {
		liveNode = undefined;
	}
	const {replace, keys, unresolved} = mergeNodes(node, liveNode);
	const values = [...replace].map(([target, kept]) => ({node: target, text: live!.slice(kept.start, kept.end)}));
	const names = [...keys].map(([entry, kept]) => ({node: keySpan(entry), text: live!.slice(kept.keyStart, kept.keyEnd)}));
	const text = replace.size + keys.size === 0 ? backup : spliceJson(backup, [...values, ...names]);
	return {text, value: parseJsonValue(text), unresolved};
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

/**
 * Dotted paths whose leaf values differ between two JSON documents. `keys: 'as-backed-up'` (for
 * views): a key that holds a secret is named as a backup names it (redactedKeys of b's keys, else
 * scrubText); `'raw'`: as it is.
 */
export function changedPaths(a: unknown, b: unknown, {keys = 'raw'}: {keys?: 'raw' | 'as-backed-up'} = {}): string[] {
	return pathsThatDiffer(a, b, '', keys === 'as-backed-up');
}

function pathsThatDiffer(a: unknown, b: unknown, trail: string, secretKeysRenamed: boolean): string[] {
	if (deepEqual(a, b)) return [];
	if (isPlainObject(a) && isPlainObject(b)) {
		const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
		const names = secretKeysRenamed ? redactedKeys(Object.keys(b).map(key => ({key}))) : undefined;
		const label = (key: string) => (names ? (names.get(key) ?? (Object.hasOwn(b, key) ? key : scrubText(key))) : key);
		return keys.flatMap(key => pathsThatDiffer(ownValue(a, key), ownValue(b, key), trail ? `${trail}.${label(key)}` : label(key), secretKeysRenamed));
	}
	return [trail || '(root)'];
}

export function serializeJson(value: unknown): string {
	return JSON.stringify(value, null, 2) + '\n';
}
