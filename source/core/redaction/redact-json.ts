import {keySpan, memberOf, nodeValue, parseJsonText, spliceJson, valueNode, type JsonEntry, type JsonNode} from '../json-text.js';
import {isSecretLeaf, isValueField, nameSecrecy, nameWords, pairSecrecy, stronger, type Secrecy} from '../secret-names.js';
import {argvSecrets} from './command-lines.js';
import {scrubText} from './scrub-text.js';
import {AUTH_SCHEMES, M} from './text-steps.js';

/** A name that, over an object, names a section of settings rather than a secret (`Jwt`). */
function isSectionName(key: string): boolean {
	return nameWords(key).at(-1) === 'jwt';
}

/**
 * A value under a secret name that only names where the secret is: a variable (`${DB_PASSWORD}`,
 * `$TOKEN`, VS Code's `${input:github_token}`, `{{ secrets.X }}`, `%PW%`), a placeholder (`***`,
 * `<token>`), or a secret store's reference (`env:NAME`, `file:/run/secrets/pw`, `op://vault/item`,
 * `vault:secret/data/x`). Kept: redacting it would lose the reference and ask the operator to
 * re-enter a secret the backup never held (the text scrubbers keep these forms too).
 */
export function isSecretReference(value: string): boolean {
	return SECRET_REFERENCE.test(value);
}

/**
 * Only unmistakable references: `${…}`, an upper-case `$NAME` or `%NAME%`, a template's
 * `{{ secrets.X }}` (spaces or a dot inside), a placeholder in words (`<your token>`), stars, and
 * a store's path (`env:NAME`, `file:` and `vault:` paths of two parts or more, `op://vault/item/…`).
 * `$Summer2024`, `<hunter2>` or `env:MyS3cret` may be passwords: they go.
 */
const SECRET_REFERENCE =
	/^(?:\$\{[^}\s]{1,200}\}|\$[A-Z_][A-Z0-9_]{0,100}|%[A-Z_][A-Z0-9_]{0,100}%|\{\{(?:[ \t]+[\w.-]{1,200}[ \t]*|[ \t]*[\w-]{0,100}\.[\w.-]{1,200}[ \t]*)\}\}|<[a-z][a-z _-]{0,60}>|\*{3,}|env:[A-Z_][A-Z0-9_]{0,100}|file:(?:~?\/|\.\.?\/)[^\s/]{1,100}\/[^\s]{1,300}|op:\/\/[^\s/]{1,100}\/[^\s/]{1,100}\/[^\s]{1,200}|vault:[^\s/]{1,100}\/[^\s]{1,300})$/;

/** JSON Schema keys whose members are named parameters, each described by a schema. */
const SCHEMA_CONTAINERS = new Set(['properties', 'patternProperties', '$defs', 'definitions']);
const SCHEMA_TYPES = new Set(['string', 'number', 'integer', 'boolean', 'object', 'array', 'null']);
const SCHEMA_SHAPES = ['$ref', 'anyOf', 'oneOf', 'allOf', 'enum', 'const', 'items', 'properties'];

/**
 * Whether a member of `properties` is a schema that describes a parameter: a `type` that is a JSON
 * Schema type (or a list of them) or a schema's own shape ($ref, anyOf, enum, items…), and no field
 * that holds a value (`value`, `secret`: a settings object merely named `properties` holds one).
 */
function isSchemaDefinition(node: JsonNode): boolean {
	if (node.kind !== 'object') return false;
	if (node.entries.some(({key}) => isValueField(key) || nameSecrecy(key) !== undefined)) return false;
	const type = memberOf(node, 'type');
	const typed =
		(type?.kind === 'string' && SCHEMA_TYPES.has(type.value)) ||
		(type?.kind === 'array' && type.items.length > 0 && type.items.every(item => item.kind === 'string' && SCHEMA_TYPES.has(item.value)));
	return typed || node.entries.some(({key}) => SCHEMA_SHAPES.includes(key));
}

/**
 * A key no scrubber can find a secret in, looked at alone: a word of up to 18 letters, digits and
 * underscores (the shortest vendor format is 19, settings need a separator). Most keys are such
 * words; they skip scrubText, which would double the cost of redacting a large document.
 */
const PLAIN_KEY = /^[A-Za-z0-9_]{0,18}$/;

/**
 * Keys that hold a secret (a map keyed by API key, `{"sk-live-…": {"owner": …}}`, a URL with its
 * password, a bearer token): each distinct one is renamed to what scrubText makes of it, made
 * unique in its object (` #2`, ` #3`… after a name another key has; the marker and the number
 * when the number would read as a value, `… --token #2`), so the object keeps one member per key.
 * The same function over the live document tells a restore which live keys the renamed keys
 * stand for (json-merge.ts). Each name's next number is remembered: linear in the keys.
 */
export function redactedKeys(entries: ReadonlyArray<{key: string}>): Map<string, string> {
	const renamed = new Map<string, string>();
	let taken: Set<string> | undefined;
	const next = new Map<string, number>();
	for (const {key} of entries) {
		if (PLAIN_KEY.test(key) || renamed.has(key)) continue;
		const scrubbed = scrubText(key);
		if (scrubbed === key) continue;
		taken ??= new Set(entries.map(entry => entry.key));
		let name = scrubbed;
		let copy = next.get(scrubbed) ?? 2;
		while (taken.has(name)) name = numbered(scrubbed, copy++);
		next.set(scrubbed, copy);
		taken.add(name);
		renamed.set(key, name);
	}
	return renamed;
}

function numbered(name: string, copy: number): string {
	const candidate = `${name} #${copy}`;
	return scrubText(candidate) === candidate ? candidate : `${M} #${copy}`;
}

/** The name a renamed key was numbered from (`sk-[REDACTED…] #2` → `sk-[REDACTED…]`). */
export function renamedBase(name: string): string {
	return name.replace(/ #\d+$/, '');
}

/**
 * Redacts a JSON document: every leaf under a secret name at any depth, as secret-names.ts rules
 * (strings and numbers under a strong name, strings under a token name, credential-shaped values
 * under a weak one like `key`; in objects and arrays alike), the value beside a secret name in a
 * name/value pair (`{"name": "Authorization", "value": …}`), credentials embedded in any other
 * string, secrets passed as separate arguments in string arrays (`args: ["--token", "X"]`), and
 * keys that are secrets (redactedKeys). Works on the document's tree (json-text.ts), duplicated
 * keys included; returns the values to put in place of the redacted ones, the new names of the
 * renamed keys and the dotted paths that were changed (through the new names: a secret key is
 * never written into them).
 */
function redactNode(root: JsonNode): {replace: Map<JsonNode, unknown>; rename: Map<JsonEntry, string>; redacted: string[]} {
	const redacted: string[] = [];
	const replace = new Map<JsonNode, unknown>();
	const rename = new Map<JsonEntry, string>();
	const put = (node: JsonNode, value: unknown, trail: string) => {
		replace.set(node, value);
		redacted.push(trail);
	};
	const walk = (node: JsonNode, trail: string, secrecy: Secrecy | undefined, command?: string, schemaMembers = false, section?: Secrecy): void => {
		if (node.kind === 'array') {
			const argv = secrecy && secrecy !== 'weak' ? new Map<number, string>() : argvSecrets(node.items.map(item => (item.kind === 'string' ? item.value : null)), command);
			const paired = pairedSecret(node);
			node.items.forEach((item, index) => {
				const replacement = argv.get(index);
				if (index === 1 && paired) put(item, M, `${trail}[${index}]`);
				else if (replacement === undefined || (item.kind === 'string' && item.value === replacement)) walk(item, `${trail}[${index}]`, secrecy);
				else put(item, replacement, `${trail}[${index}]`);
			});
		} else if (node.kind === 'object') {
			const sibling = memberOf(node, 'command');
			const pair = pairSecrecy(node.entries.map(({key, value}) => ({key, value: value.kind === 'string' ? value.value : undefined})));
			const renamed = redactedKeys(node.entries);
			for (const entry of node.entries) {
				const {key, value} = entry;
				const name = renamed.get(key);
				// In a JSON Schema (a tool's input schema, an OpenAPI body) `properties: {password: {type:
				// "string", minLength: 8}}` names a parameter and describes it: no value is held there.
				const described = schemaMembers && isSchemaDefinition(value);
				const carried = stronger(pair, section);
				const own = described ? undefined : carried && isValueField(key) ? stronger(nameSecrecy(key), carried) : nameSecrecy(key);
				const next = trail ? `${trail}.${name ?? key}` : (name ?? key);
				if (name !== undefined) {
					rename.set(entry, name);
					redacted.push(next);
				}
				const schema = SCHEMA_CONTAINERS.has(key) && value.kind === 'object';
				// `"Jwt": {"Issuer": …, "Audience": …, "SigningKey": …}`, the .NET configuration section, holds
				// settings judged by their own names (a `value` field takes its secrecy); any other secret
				// name holds secrets throughout (`"oauth": {"refresh": …}`, `"accessTokens": {"ci": …}`).
				if (value.kind === 'object' && own !== undefined && isSectionName(key)) walk(value, next, secrecy, undefined, schema, own);
				else walk(value, next, stronger(secrecy, own), sibling?.kind === 'string' ? sibling.value : undefined, schema);
			}
		} else if (node.kind === 'string' && node.value.length > 0) {
			if (isSecretLeaf(secrecy, node.value) && !isSecretReference(node.value)) {
				if (node.value !== M) put(node, M, trail);
				return;
			}
			const scrubbed = scrubText(node.value);
			if (scrubbed !== node.value) put(node, scrubbed, trail);
		} else if (node.kind === 'number' && isSecretLeaf(secrecy, node.value)) {
			put(node, M, trail);
		}
	};
	walk(root, '', undefined);
	return {replace, rename, redacted};
}

/**
 * A [name, value] pair (headers and environments as lists: `[["Authorization", "Basic …"],
 * ["OPENAI_API_KEY", "sk-…"]]`) whose name is a secret's and whose value looks like a credential:
 * not a name itself (`["Authorization", "Content-Type"]`, a CORS list, or `["password", "token"]`,
 * a list of fields), but an auth scheme and its token, or one word of 8 or more key characters
 * with a digit (not a path, no blank: `["password", "Must be 12+ chars"]` is a message). Not
 * already redacted, nor a reference (`${TOKEN}`).
 */
function pairedSecret(node: JsonNode & {kind: 'array'}): boolean {
	const [name, value] = node.items;
	return node.items.length === 2 && name?.kind === 'string' && value?.kind === 'string' && isPairedSecret(name.value, value.value);
}

/** A value that looks like a credential: an auth scheme and its token, or 8 or more key characters (not a path). */
const PAIRED_CREDENTIAL = new RegExp(`^(?:(?:${AUTH_SCHEMES})[ \\t]+[A-Za-z0-9._~+/=:-]{8,}|(?![./~])[A-Za-z0-9_+/=.:-]{8,300})$`, 'i');

/** pairedSecret over a pair's two strings. */
export function isPairedSecret(name: string, value: string): boolean {
	if (name.length > 120 || !nameSecrecy(name) || nameSecrecy(value) || value === M || isSecretReference(value)) return false;
	return PAIRED_CREDENTIAL.test(value) && /\d/.test(value);
}

/** redactNode over a parsed document: the redacted copy (own properties only, so `__proto__` keys stay keys). */
export function redactJson(value: unknown): {value: unknown; redacted: string[]} {
	const {node, replace, rename, redacted} = redactionOf(value);
	return {value: redacted.length > 0 ? nodeValue(node, replace, rename) : value, redacted};
}

/**
 * A parsed document as a tree, and what a backup would put in place of each of its values (the
 * marker for a secret, a string with its embedded credentials scrubbed): for views that mask live
 * secrets by the very decisions a backup makes (conflict-detail.ts).
 */
export function redactionOf(value: unknown): {node: JsonNode; replace: ReadonlyMap<JsonNode, unknown>; rename: ReadonlyMap<JsonEntry, string>; redacted: string[]} {
	const node = valueNode(value);
	return {node, ...redactNode(node)};
}

/**
 * redactNode over a JSON text: the same text with only the redacted values rewritten, so keys,
 * duplicated keys, numbers and formatting stay byte for byte. Throws SyntaxError if not JSON.
 */
export function redactJsonText(text: string): {text: string; redacted: string[]} {
	const node = parseJsonText(text);
	const {replace, rename, redacted} = redactNode(node);
	if (redacted.length === 0) return {text, redacted};
	const values = [...replace].map(([target, value]) => ({node: target, text: JSON.stringify(value)}));
	const keys = [...rename].map(([entry, name]) => ({node: keySpan(entry), text: JSON.stringify(name)}));
	return {text: spliceJson(text, [...values, ...keys]), redacted};
}
