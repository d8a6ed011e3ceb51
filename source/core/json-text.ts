/**
 * JSON documents as the gateway wrote them, kept exactly.
 *
 * A gateway's JSON files may legally hold keys that plain object code mangles (`__proto__`:
 * `obj[key] = v` calls the prototype setter, `Object.assign` too), duplicated keys (JSON.parse
 * keeps the last), numbers a double cannot hold (`12345678901234567891`, `1.10` read as text by
 * .NET configuration) and any formatting. Re-serializing a parsed document would change them, so
 * code that redacts or merges a document works on a tree of its text (`parseJsonText`: every
 * value with its span, every object member in order, duplicates included) and writes its changes
 * back into the original text (`spliceJson`): what it does not change stays byte for byte.
 * Documents rebuilt as values (`nodeValue`) get own properties only (`setOwn`).
 */

/** An object's member: its key, the key's span (quotes included; -1 in a tree of a parsed value) and its value. */
export type JsonEntry = {key: string; keyStart: number; keyEnd: number; value: JsonNode};

export type JsonNode =
	| {kind: 'object'; start: number; end: number; entries: JsonEntry[]}
	| {kind: 'array'; start: number; end: number; items: JsonNode[]}
	| {kind: 'string'; start: number; end: number; value: string}
	| {kind: 'number'; start: number; end: number; value: number}
	| {kind: 'literal'; start: number; end: number; value: boolean | null};

/** Sets an own, enumerable property, whatever its name (`__proto__` included). */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
	Object.defineProperty(target, key, {value, enumerable: true, writable: true, configurable: true});
}

/** A JSON object as JSON.parse makes one (not an array, not null, no class instance). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
	if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
	const prototype = Object.getPrototypeOf(value) as unknown;
	return prototype === Object.prototype || prototype === null;
}

/** An own property's value (never one inherited from Object.prototype, like `constructor`). */
export function ownValue(target: unknown, key: string): unknown {
	if (!target || typeof target !== 'object' || Array.isArray(target)) return undefined;
	return Object.prototype.hasOwnProperty.call(target, key) ? (target as Record<string, unknown>)[key] : undefined;
}

/** The member of an object node JSON.parse would keep for `key` (the last of duplicates). */
export function memberOf(node: JsonNode | undefined, key: string): JsonNode | undefined {
	if (node?.kind !== 'object') return undefined;
	for (let index = node.entries.length - 1; index >= 0; index--) if (node.entries[index]!.key === key) return node.entries[index]!.value;
	return undefined;
}

/** A parsed value as a tree (spans -1: it has no text). */
export function valueNode(value: unknown): JsonNode {
	if (Array.isArray(value)) return {kind: 'array', start: -1, end: -1, items: value.map(valueNode)};
	if (value && typeof value === 'object') return {kind: 'object', start: -1, end: -1, entries: Object.entries(value).map(([key, child]) => ({key, keyStart: -1, keyEnd: -1, value: valueNode(child)}))};
	if (typeof value === 'string') return {kind: 'string', start: -1, end: -1, value};
	if (typeof value === 'number') return {kind: 'number', start: -1, end: -1, value};
	return {kind: 'literal', start: -1, end: -1, value: (value ?? null) as boolean | null};
}

/**
 * The value JSON.parse gives for a tree (own properties only; the last of duplicated keys wins),
 * `replace` applied to values and `rename` to keys.
 */
export function nodeValue(node: JsonNode, replace?: ReadonlyMap<JsonNode, unknown>, rename?: ReadonlyMap<JsonEntry, string>): unknown {
	if (replace?.has(node)) return replace.get(node);
	if (node.kind === 'array') return node.items.map(item => nodeValue(item, replace, rename));
	if (node.kind === 'object') {
		const out: Record<string, unknown> = {};
		for (const entry of node.entries) setOwn(out, rename?.get(entry) ?? entry.key, nodeValue(entry.value, replace, rename));
		return out;
	}
	return node.value;
}

const BOM = '\uFEFF';

/** JSON.parse of a file's text, a leading byte order mark allowed (editors on Windows write one). */
export function parseJsonValue(text: string): unknown {
	return JSON.parse(text.startsWith(BOM) ? text.slice(1) : text);
}

/** A file's bytes as text when they are valid UTF-8 (else undefined: decoding would replace bytes). */
export function utf8Text(bytes: Buffer): string | undefined {
	try {
		return new TextDecoder('utf-8', {fatal: true, ignoreBOM: true}).decode(bytes);
	} catch {
		return undefined;
	}
}

const isBlank = (code: number) => code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d;

/**
 * How deep a gateway JSON file may nest. Redaction and merging walk documents recursively; .NET
 * configuration itself stops at 64 levels. A deeper document is refused (a RangeError), never
 * left to overflow the stack.
 */
export const MAX_JSON_DEPTH = 512;

/** JSON.parse's value of a text parseJsonText accepts (same errors: not JSON, or nested too deep). */
export function parseJsonBounded(text: string): unknown {
	const value = parseJsonValue(text);
	parseJsonText(text);
	return value;
}

/**
 * The tree of a JSON text, with spans. Throws JSON.parse's SyntaxError when the text is not JSON
 * (the text is checked by JSON.parse first, so the scanner below only ever reads valid JSON), and
 * a RangeError when it nests deeper than MAX_JSON_DEPTH.
 */
export function parseJsonText(text: string): JsonNode {
	parseJsonValue(text);
	let at = text.startsWith(BOM) ? 1 : 0;
	const skip = () => {
		while (at < text.length && isBlank(text.charCodeAt(at))) at++;
	};
	const string = (): {value: string; start: number; end: number} => {
		const start = at;
		at++;
		while (text[at] !== '"') at += text[at] === '\\' ? 2 : 1;
		at++;
		return {value: JSON.parse(text.slice(start, at)) as string, start, end: at};
	};
	// Containers are walked with an explicit stack, so a deeply nested document cannot overflow the call stack.
	const value = (): JsonNode => {
		skip();
		const start = at;
		const first = text[at];
		if (first === '"') return {kind: 'string', ...string()};
		if (first === '{' || first === '[') return container();
		const token = /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null/y;
		token.lastIndex = at;
		const raw = token.exec(text)![0];
		at += raw.length;
		return raw === 'true' || raw === 'false' || raw === 'null' ? {kind: 'literal', start, end: at, value: JSON.parse(raw) as boolean | null} : {kind: 'number', start, end: at, value: Number(raw)};
	};
	type Open = {node: Extract<JsonNode, {kind: 'object' | 'array'}>; key?: {value: string; start: number; end: number}};
	const container = (): JsonNode => {
		const stack: Open[] = [];
		const open = () => {
			const node: Open['node'] = text[at] === '{' ? {kind: 'object', start: at, end: -1, entries: []} : {kind: 'array', start: at, end: -1, items: []};
			at++;
			stack.push({node});
			if (stack.length > MAX_JSON_DEPTH) throw new RangeError(`nested more than ${MAX_JSON_DEPTH} levels deep`);
		};
		open();
		for (;;) {
			const top = stack.at(-1)!;
			skip();
			if (text[at] === ',') {
				at++;
				skip();
			}
			if (text[at] === '}' || text[at] === ']') {
				at++;
				top.node.end = at;
				stack.pop();
				const parent = stack.at(-1);
				if (!parent) return top.node;
				attach(parent, top.node);
				continue;
			}
			if (top.node.kind === 'object') {
				top.key = string();
				skip();
				at++; // ':'
				skip();
			}
			if (text[at] === '{' || text[at] === '[') open();
			else attach(top, value());
		}
	};
	const attach = (parent: Open, child: JsonNode) => {
		if (parent.node.kind === 'object') parent.node.entries.push({key: parent.key!.value, keyStart: parent.key!.start, keyEnd: parent.key!.end, value: child});
		else parent.node.items.push(child);
	};
	const root = value();
	return root;
}

/** An entry's key as a span to splice (quotes included). */
export function keySpan(entry: JsonEntry): {start: number; end: number} {
	return {start: entry.keyStart, end: entry.keyEnd};
}

/** The text with each replaced span swapped for its new text (nodes' and keys' spans from parseJsonText of that text). */
export function spliceJson(text: string, replacements: ReadonlyArray<{node: {start: number; end: number}; text: string}>): string {
	const sorted = [...replacements].sort((a, b) => a.node.start - b.node.start);
	let out = '';
	let copied = 0;
	for (const {node, text: replacement} of sorted) {
		if (node.start < copied) continue; // inside a span already replaced
		out += text.slice(copied, node.start) + replacement;
		copied = node.end;
	}
	return out + text.slice(copied);
}
