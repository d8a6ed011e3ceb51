/**
 * ATLAS's conversation and persona export (`atlas-backup-YYYYMMDD-HHMMSS.json`): what is read from
 * it and how. The file is one JSON object holding a `personas` and/or a `conversations` array;
 * every other key is ignored. Only the field names below are read (the first present one wins);
 * the readme's "Importing an ATLAS export" table says where each lands.
 *
 * The document is parsed whole, so its size is capped ({@link ATLAS_MAX_BYTES}; over HTTP the
 * upload limit applies first): a larger file is refused before it is read. JSON.parse does not
 * recurse, so deep nesting costs memory in proportion to the (capped) size, never the stack; the
 * fields read are walked one level deep (a persona's prompt given as JSON, kept as its text, may
 * nest MAX_JSON_DEPTH levels: JSON.stringify recurses). Anything that is not that shape (not UTF-8 or not JSON,
 * neither array, a field of the wrong type, a repeated id) fails with one line naming the field: a
 * 'corrupt-archive' LifeboatError (exit 5, HTTP 422 Invalid backup format).
 */
import fs from 'node:fs';
import {LifeboatError} from '../errors.js';
import {MAX_JSON_DEPTH} from '../json-text.js';

/** Largest ATLAS export parsed (whole, in memory): 16 MiB. */
export const ATLAS_MAX_BYTES = 16 * 1024 * 1024;
/**
 * Most items (personas, conversations and messages together) one export may hold: 16 MiB of
 * `{}` would otherwise be millions of rows held at once. Counted from the arrays' lengths before
 * any item is looked at.
 */
export const ATLAS_MAX_ITEMS = 250_000;

/** Field names read, in the order they are tried. */
export const ATLAS_FIELDS = {
	persona: {
		id: ['id'],
		name: ['name', 'title'],
		description: ['description'],
		systemPrompt: ['system_prompt', 'systemPrompt', 'prompt', 'content', 'persona', 'instructions'],
		createdAt: ['created_at', 'createdAt'],
		updatedAt: ['updated_at', 'updatedAt'],
	},
	conversation: {
		id: ['id', 'conversation_id'],
		title: ['title', 'name'],
		persona: ['persona_id', 'persona', 'persona_name'],
		createdAt: ['created_at', 'createdAt', 'timestamp'],
		updatedAt: ['updated_at', 'updatedAt'],
		messages: ['messages'],
	},
	message: {
		id: ['id', 'message_id'],
		role: ['role'],
		content: ['content', 'text'],
		createdAt: ['timestamp', 'created_at', 'createdAt'],
		tokenCount: ['token_count', 'tokens'],
	},
	bundle: {createdAt: ['exported_at', 'created_at', 'createdAt', 'timestamp']},
} as const;

/** A scalar id or reference as the bundle gave it (numbers kept as their text). */
export type AtlasKey = string | undefined;

export type AtlasPersona = {key: AtlasKey; name: string; description: string; systemPrompt: string; createdAt?: string; updatedAt?: string};
export type AtlasMessage = {key: AtlasKey; role: string; content: string; createdAt?: string; tokenCount: number};
export type AtlasConversation = {key: AtlasKey; title: string; persona?: string; createdAt?: string; updatedAt?: string; messages: AtlasMessage[]};
export type AtlasBundle = {createdAt?: string; personas: AtlasPersona[]; conversations: AtlasConversation[]};

type Json = null | boolean | number | string | Json[] | {[key: string]: Json};
type JsonObject = {[key: string]: Json};

const refuse = (message: string): LifeboatError => new LifeboatError('corrupt-archive', message);
/** What a JSON file that is neither a Lifeboat bundle nor an ATLAS export is called (the bundle reader's words first). */
const neither = (label: string, why: string): LifeboatError => refuse(`${label} is not a Lifeboat backup (a JSON file that does not begin like a Lifeboat bundle), nor an ATLAS export (${why})`);

function kind(value: Json | undefined): string {
	if (value === null) return 'null';
	if (Array.isArray(value)) return 'an array';
	if (typeof value === 'object') return 'an object';
	return `a ${typeof value}`;
}

/**
 * Text as stored: a lone surrogate (JSON's `\ud800`, not Unicode) becomes U+FFFD, as the gateway
 * would read it back; kept, it would be stored as other bytes than compared, and a second import
 * would see conflicts instead of identical rows.
 */
function wellFormed(value: string): string {
	return value.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
}

function isObject(value: Json | undefined): value is JsonObject {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The first of `names` present (not undefined) in `object`, with the name that held it. */
function pick(object: JsonObject, names: readonly string[]): [string, Json] | undefined {
	for (const name of names) if (Object.hasOwn(object, name) && object[name] !== undefined) return [name, object[name]!];
	return undefined;
}

/** Text: a string, or null/absent as `fallback`; anything else is refused. */
function text(object: JsonObject, names: readonly string[], where: string, fallback: string): string {
	const found = pick(object, names);
	if (!found || found[1] === null) return fallback;
	if (typeof found[1] !== 'string') throw refuse(`${where}.${found[0]} is ${kind(found[1])}, not text`);
	return wellFormed(found[1]);
}

/** An id or reference: a string or a number (kept as its text); null/absent is undefined. */
function key(object: JsonObject, names: readonly string[], where: string): AtlasKey {
	const found = pick(object, names);
	if (!found || found[1] === null) return undefined;
	if (typeof found[1] === 'string') return wellFormed(found[1]);
	if (typeof found[1] === 'number' && Number.isFinite(found[1])) return String(found[1]);
	throw refuse(`${where}.${found[0]} is ${kind(found[1])}, not an id`);
}

/** A time: a string kept as written, or a number of seconds (under 1e11) or milliseconds since 1970, as ISO text. */
function time(object: JsonObject, names: readonly string[], where: string): string | undefined {
	const found = pick(object, names);
	if (!found || found[1] === null) return undefined;
	const [name, value] = found;
	if (typeof value === 'string') return wellFormed(value);
	if (typeof value === 'number' && Number.isFinite(value) && Math.abs(value) < 8.64e15) {
		const date = new Date(Math.abs(value) < 1e11 ? value * 1000 : value);
		if (!Number.isNaN(date.getTime())) return date.toISOString();
	}
	throw refuse(`${where}.${name} is ${kind(value)}${typeof value === 'number' ? ' out of range' : ''}, not a time`);
}

/** A persona's prompt: text, or an object/array (a manifest) kept as its compact JSON. */
function promptText(object: JsonObject, where: string): string {
	const found = pick(object, ATLAS_FIELDS.persona.systemPrompt);
	if (!found || found[1] === null) return '';
	if (typeof found[1] === 'string') return wellFormed(found[1]);
	if (typeof found[1] === 'object') {
		// JSON.stringify recurses: a 40 KB prompt of nested arrays would overflow the stack (an internal error).
		if (nestsDeeperThan(found[1], MAX_JSON_DEPTH)) throw refuse(`${where}.${found[0]} nests deeper than ${MAX_JSON_DEPTH} levels`);
		return JSON.stringify(found[1]);
	}
	throw refuse(`${where}.${found[0]} is ${kind(found[1])}, not text`);
}

/** Whether a parsed JSON value nests deeper than `limit` levels (walked with a stack of its own, not the call stack). */
function nestsDeeperThan(value: object, limit: number): boolean {
	const stack: Array<[object, number]> = [[value, 1]];
	for (let next = stack.pop(); next; next = stack.pop()) {
		const [container, depth] = next;
		if (depth > limit) return true;
		for (const child of Object.values(container)) if (child !== null && typeof child === 'object') stack.push([child as object, depth + 1]);
	}
	return false;
}

function shapePersona(value: Json, index: number): AtlasPersona {
	const where = `personas[${index}]`;
	if (!isObject(value)) throw refuse(`${where} is ${kind(value)}, not an object`);
	const fields = ATLAS_FIELDS.persona;
	const id = key(value, fields.id, where);
	const name = text(value, fields.name, where, id ?? '\u0000');
	if (name === '\u0000') throw refuse(`${where} has neither a name nor an id`);
	return {key: id, name, description: text(value, fields.description, where, ''), systemPrompt: promptText(value, where), createdAt: time(value, fields.createdAt, where), updatedAt: time(value, fields.updatedAt, where)};
}

function shapeMessage(value: Json, where: string): AtlasMessage {
	if (!isObject(value)) throw refuse(`${where} is ${kind(value)}, not an object`);
	const fields = ATLAS_FIELDS.message;
	const role = text(value, fields.role, where, '\u0000');
	if (role === '\u0000') throw refuse(`${where} has no role`);
	const tokens = pick(value, fields.tokenCount);
	let tokenCount = 0;
	if (tokens && tokens[1] !== null) {
		if (typeof tokens[1] !== 'number' || !Number.isSafeInteger(tokens[1]) || tokens[1] < 0) throw refuse(`${where}.${tokens[0]} is ${kind(tokens[1])}, not a count`);
		tokenCount = tokens[1];
	}
	return {key: key(value, fields.id, where), role, content: text(value, fields.content, where, ''), createdAt: time(value, fields.createdAt, where), tokenCount};
}

function shapeConversation(value: Json, index: number): AtlasConversation {
	const where = `conversations[${index}]`;
	if (!isObject(value)) throw refuse(`${where} is ${kind(value)}, not an object`);
	const fields = ATLAS_FIELDS.conversation;
	const list = pick(value, fields.messages);
	if (list && list[1] !== null && !Array.isArray(list[1])) throw refuse(`${where}.messages is ${kind(list[1])}, not an array`);
	const messages = ((list?.[1] ?? []) as Json[]).map((message, at) => shapeMessage(message, `${where}.messages[${at}]`));
	return {
		key: key(value, fields.id, where),
		title: text(value, fields.title, where, ''),
		persona: personaRef(value, where),
		createdAt: time(value, fields.createdAt, where),
		updatedAt: time(value, fields.updatedAt, where),
		messages,
	};
}

/** persona_id / persona / persona_name: an id or name, or an object holding one ({id} or {name}). */
function personaRef(value: JsonObject, where: string): string | undefined {
	const found = pick(value, ATLAS_FIELDS.conversation.persona);
	if (found && isObject(found[1])) return key(found[1], ['id', 'name'], `${where}.${found[0]}`);
	return key(value, ATLAS_FIELDS.conversation.persona, where);
}

/** Refuses an export of more than {@link ATLAS_MAX_ITEMS} items, from the arrays' lengths alone. */
function countItems(label: string, personas: Json[], conversations: Json[]): void {
	let items = personas.length + conversations.length;
	for (const conversation of conversations) {
		if (items > ATLAS_MAX_ITEMS) break;
		const messages = isObject(conversation) ? pick(conversation, ATLAS_FIELDS.conversation.messages)?.[1] : undefined;
		if (Array.isArray(messages)) items += messages.length;
	}
	if (items > ATLAS_MAX_ITEMS) throw refuse(`${label}: an ATLAS export of more than ${ATLAS_MAX_ITEMS} personas, conversations and messages together is not imported at once (its rows are held in memory); split the export`);
}

/** The shape of a parsed document, or the one line saying why it is not an ATLAS export. */
export function shapeAtlas(document: unknown, label: string): AtlasBundle {
	const top = document as Json;
	if (!isObject(top)) throw neither(label, `its JSON is ${kind(top)}, not an object with a "conversations" or "personas" array`);
	const personas = top['personas'];
	const conversations = top['conversations'];
	if (personas === undefined && conversations === undefined) {
		throw neither(label, 'it has no "conversations" or "personas" array');
	}
	for (const [name, value] of [['personas', personas], ['conversations', conversations]] as const) {
		if (value !== undefined && value !== null && !Array.isArray(value)) throw refuse(`${label}: "${name}" is ${kind(value)}, not an array: not an ATLAS export`);
	}
	countItems(label, (personas ?? []) as Json[], (conversations ?? []) as Json[]);
	return {
		createdAt: time(top, ATLAS_FIELDS.bundle.createdAt, label),
		personas: ((personas ?? []) as Json[]).map(shapePersona),
		conversations: ((conversations ?? []) as Json[]).map(shapeConversation),
	};
}

/** Reads and parses an ATLAS export (at most {@link ATLAS_MAX_BYTES}, valid UTF-8). */
export function readAtlas(file: string, label: string, maxBytes = ATLAS_MAX_BYTES): AtlasBundle {
	const size = fs.statSync(file).size;
	if (size > maxBytes) throw neither(label, `at ${size} bytes, larger than the ${maxBytes} an ATLAS export may be: it is read whole; split the export`);
	let document: unknown;
	try {
		const decoded = new TextDecoder('utf-8', {fatal: true}).decode(fs.readFileSync(file));
		document = JSON.parse(decoded.charCodeAt(0) === 0xfeff ? decoded.slice(1) : decoded);
	} catch (error) {
		throw neither(label, error instanceof TypeError ? 'not UTF-8 text' : `not JSON: ${(error as Error).message.slice(0, 120)}`);
	}
	return shapeAtlas(document, label);
}

/** Whether a file that is no Lifeboat backup could be an ATLAS export: its first non-blank byte opens a JSON object. */
export function looksLikeJsonObject(file: string): boolean {
	try {
		const fd = fs.openSync(file, 'r');
		try {
			const head = Buffer.alloc(512);
			const read = fs.readSync(fd, head, 0, head.length, 0);
			const start = head.subarray(0, read).toString('utf8').replace(/^\uFEFF/, '').trimStart();
			return start.startsWith('{');
		} finally {
			fs.closeSync(fd);
		}
	} catch {
		return false;
	}
}
