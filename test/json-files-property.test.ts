/**
 * Property: any JSON document a gateway's config and MCP files can legally hold comes back from
 * backup → restore exactly: the same bytes, the redaction marker (or, when the live file still
 * holds them, the live secrets) in place of secret values only. Documents are generated as text,
 * with the keys plain object code mangles (`__proto__`, `constructor`, `prototype`, the empty
 * key, NUL), duplicated keys (JSON.parse keeps the last: the file keeps both), numbers a double
 * cannot hold exactly, escaped and raw strings, any blank layout and a byte order mark.
 * Replay a failure with LIFEBOAT_PROPERTY_SEED=<seed> (printed by fast-check).
 */
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import {describe, expect, it} from 'vitest';
import {plainFileSource} from '../source/core/archive/archive-reader.js';
import {createBackup} from '../source/core/backup/create-backup.js';
import {acceptQuarantine} from '../source/core/quarantine/quarantine.js';
import {applyRestore, type RestoreMode} from '../source/core/restore/index.js';
import {createGateway} from '../source/core/store/gateway-store.js';
import {isPairedSecret, isSecretReference} from '../source/core/redaction/redact-json.js';
import {isSecretLeaf, isValueField, nameSecrecy, pairSecrecy, stronger, type Secrecy} from '../source/core/secret-names.js';
import {REDACTED_MARKER} from '../source/core/store/schema.js';
import {tempDir} from './helpers/temp-dir.js';

const runs = Number(process.env['LIFEBOAT_PROPERTY_RUNS'] ?? 0) || 40;
const seed = process.env['LIFEBOAT_PROPERTY_SEED'] ? Number(process.env['LIFEBOAT_PROPERTY_SEED']) : undefined;

/** A JSON document as written: tokens as they stand in the text (so `1.10` and `"\u0041"` stay what they are). */
type Doc =
	| {t: 'obj'; entries: Array<[string, Doc]>; keyRaw: boolean}
	| {t: 'arr'; items: Doc[]}
	| {t: 'str'; value: string; raw: string}
	| {t: 'num'; raw: string}
	| {t: 'lit'; raw: 'true' | 'false' | 'null'};
type Layout = {gap: string; bom: boolean; tail: string};

/** Escapes every character (`"\u0061"`): the same value in another spelling. */
const escaped = (value: string) => `"${[...value].map(char => [...char].map(unit => `\\u${unit.charCodeAt(0).toString(16).padStart(4, '0')}`).join('')).join('')}"`;

// Plain text that no credential pattern matches (no `:`, `=`, `/`, `@`, `-`, long tokens), with
// the characters that trip encoders: NUL, quotes, backslashes, line separators, a lone surrogate, emoji.
const text = fc.string({unit: fc.constantFrom('a', 'b', 'Z', '0', '9', ' ', '.', '_', 'é', '😀', '\u0000', '"', '\\', '\n', '\u2028', '\ud800', '\u007f'), maxLength: 10});
const key = fc.oneof(
	fc.constantFrom('__proto__', 'constructor', 'prototype', '', 'a\u0000b', 'toString', 'hasOwnProperty', '$int', 'password', 'apiKey', 'Token', 'command', 'args', 'Logging', 'key', 'secrets', 'AdminPin', 'name', 'value'),
	text,
);
// Also secret names as values, which make a name/value pair's value secret (`{"name": "Authorization", "value": …}`).
const str = fc.tuple(fc.oneof({weight: 6, arbitrary: text}, {weight: 1, arbitrary: fc.constantFrom('Authorization', 'OPENAI_API_KEY', 'created_at', 'key')}), fc.boolean()).map(([value, spelled]): Doc => ({t: 'str', value, raw: spelled ? escaped(value) : JSON.stringify(value)}));
const num = fc
	.oneof(
		fc.constantFrom('0', '-0', '1.0', '1.10', '0.1000', '12345678901234567891', '9007199254740993', '1e400', '-1E-7', '1E+2', '2e-400'),
		fc.integer().map(String),
		fc.double({noNaN: true, noDefaultInfinity: true}).map(value => JSON.stringify(value)),
	)
	.map((raw): Doc => ({t: 'num', raw}));
const lit = fc.constantFrom<Doc>({t: 'lit', raw: 'true'}, {t: 'lit', raw: 'false'}, {t: 'lit', raw: 'null'});

const {doc} = fc.letrec<{doc: Doc; obj: Doc; arr: Doc}>(tie => ({
	doc: fc.oneof({depthSize: 'small', withCrossShrink: true}, str, num, lit, tie('obj'), tie('arr')),
	obj: fc.record({entries: fc.array(fc.tuple(key, tie('doc')), {maxLength: 5}), keyRaw: fc.boolean()}).map(({entries, keyRaw}): Doc => ({t: 'obj', entries, keyRaw})),
	arr: fc.array(tie('doc'), {maxLength: 4}).map((items): Doc => ({t: 'arr', items})),
}));
/** A file's document: an object (what .NET configuration and MCP clients read), often with duplicated keys. */
const fileDoc = fc
	.record({entries: fc.array(fc.tuple(key, doc), {maxLength: 6}), dup: fc.option(fc.tuple(fc.nat(), doc), {nil: undefined}), keyRaw: fc.boolean()})
	.map(({entries, dup, keyRaw}): Doc => {
		// A key written twice (the first one's value differs): JSON.parse would keep only the last.
		if (dup && entries.length > 0) entries.push([entries[dup[0] % entries.length]![0], dup[1]]);
		return {t: 'obj', entries, keyRaw};
	});
const layout = fc.record({gap: fc.constantFrom('', ' ', '\n  ', '\t', '\r\n'), bom: fc.boolean(), tail: fc.constantFrom('', '\n', '\r\n')});

/** The text of a document; `leaf` may respell a value (secrets), given whether its key is secret. */
function write(node: Doc, layout: Layout, leaf: (node: Doc, trail: Trail, secrecy: Secrecy | undefined, paired: boolean) => string | undefined = () => undefined): string {
	const {gap} = layout;
	const walk = (current: Doc, trail: Trail, secrecy: Secrecy | undefined, paired = false): string => {
		const respelled = leaf(current, trail, secrecy, paired);
		if (respelled !== undefined) return respelled;
		switch (current.t) {
			case 'obj': {
				const pair = pairSecrecy(current.entries.map(([name, value]) => ({key: name, value: value.t === 'str' ? value.value : undefined})));
				return `{${current.entries
					.map(([name, value], index) => {
						const copy = current.entries.slice(0, index).filter(([other]) => other === name).length;
						const own = pair && isValueField(name) ? stronger(nameSecrecy(name), pair) : nameSecrecy(name);
						const inner = walk(value, [...trail, {key: name, copy}], stronger(secrecy, own));
						return `${gap}${current.keyRaw ? escaped(name) : JSON.stringify(name)}${gap}:${gap}${inner}`;
					})
					.join(',')}${gap}}`;
			}
			case 'arr': {
				// A [name, value] pair whose name is a secret's: its value is one (redact-json.ts).
				const [name, value] = current.items;
				const paired = current.items.length === 2 && name?.t === 'str' && value?.t === 'str' && isPairedSecret(name.value, value.value);
				return `[${current.items.map((item, index) => `${gap}${walk(item, [...trail, index], secrecy, paired && index === 1)}`).join(',')}${gap}]`;
			}
			case 'str':
				return current.raw;
			default:
				return current.raw;
		}
	};
	return `${layout.bom ? '\uFEFF' : ''}${walk(node, [], undefined)}${layout.tail}`;
}

/** Steps from the root: an array index, or an object key with which copy of it (keys may be written twice). */
type Trail = Array<number | {key: string; copy: number}>;
const MARKER = JSON.stringify(REDACTED_MARKER);

/** What a backup holds for a secret: the leaves secret-names.ts calls secret under the names above them (the marker itself and a reference to a secret stay), and a secret [name, value] pair's value. */
function isRedacted(node: Doc, secrecy: Secrecy | undefined, paired: boolean): boolean {
	if (paired) return true;
	return (node.t === 'str' && node.value !== REDACTED_MARKER && isSecretLeaf(secrecy, node.value) && !isSecretReference(node.value)) || (node.t === 'num' && isSecretLeaf(secrecy, Number(node.raw)));
}

/** The live node a restore matches with a backup's node: by index, and by key copy for copy (the last copy when the live file has fewer). */
function at(node: Doc | undefined, trail: Trail): Doc | undefined {
	for (const step of trail) {
		if (typeof step === 'number') node = node?.t === 'arr' ? node.items[step] : undefined;
		else if (node?.t !== 'obj') node = undefined;
		else {
			const named = node.entries.filter(([name]) => name === step.key);
			node = (named[step.copy] ?? named.at(-1))?.[1];
		}
	}
	return node;
}

/** A restore with the live file still holding the secrets: the marker replaced by the live value, when that is a string, number or boolean. */
function liveSecret(live: Doc, trail: Trail): string | undefined {
	const found = at(live, trail);
	if (!found || (found.t === 'str' && found.value === REDACTED_MARKER)) return undefined;
	return found.t === 'str' || found.t === 'num' || (found.t === 'lit' && found.raw !== 'null') ? found.raw : undefined;
}

const FILES = ['appsettings.json', 'mcp.json'] as const;

function gatewayWith(files: Record<string, string>): string {
	const dir = path.join(tempDir('lifeboat-jsonprop-'), 'gateway');
	createGateway(dir).close();
	for (const [name, content] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), content);
	return dir;
}

const read = (dir: string, name: string) => fs.readFileSync(path.join(dir, name), 'utf8');

async function backupOf(dataDir: string): Promise<ReturnType<typeof plainFileSource>> {
	const result = await createBackup({dataDir, out: path.join(tempDir('lifeboat-jsonprop-bk-'), 'backup.zip'), format: 'zip', categories: ['config', 'mcp']});
	return plainFileSource(result.path);
}

describe('property: gateway JSON files round-trip exactly, secrets aside', () => {
	it('backup → restore into a fresh gateway gives the same bytes, markers where the secrets were', async () => {
		await fc.assert(
			fc.asyncProperty(fc.tuple(fileDoc, layout), fc.tuple(fileDoc, layout), async (...docs) => {
				const original = Object.fromEntries(FILES.map((name, index) => [name, write(docs[index]![0], docs[index]![1])]));
				const source = gatewayWith(original);
				const archive = await backupOf(source);
				const target = gatewayWith({});
				await applyRestore({source: archive, dataDir: target});
				FILES.forEach((name, index) => {
					const [node, spacing] = docs[index]!;
					const expected = write(node, spacing, (leaf, _trail, secrecy, paired) => (isRedacted(leaf, secrecy, paired) ? MARKER : undefined));
					expect(read(target, name), name).toBe(expected);
				});
			}),
			{numRuns: runs, seed},
		);
	});

	it('restoring over a changed live file (overwrite, replace, additive then accept) gives back the backed-up bytes with the live secrets', async () => {
		await fc.assert(
			fc.asyncProperty(fileDoc, layout, fc.constantFrom<RestoreMode>('overwrite', 'replace', 'additive'), async (node, spacing, mode) => {
				const original = write(node, spacing);
				const source = gatewayWith({'appsettings.json': original});
				const archive = await backupOf(source);
				// The live file changed since: a setting added in front (every other path, and its secrets, unchanged).
				const changed = original.replace('{', '{"AddedLater":1,');
				const target = gatewayWith({'appsettings.json': changed});
				const result = await applyRestore({source: archive, dataDir: target, mode});
				if (mode === 'additive') {
					expect(read(target, 'appsettings.json')).toBe(changed);
					acceptQuarantine(target, result.restoreId);
				}
				const expected = write(node, spacing, (leaf, trail, secrecy, paired) => (isRedacted(leaf, secrecy, paired) ? (liveSecret(node, trail) ?? MARKER) : undefined));
				expect(read(target, 'appsettings.json')).toBe(expected);
			}),
			{numRuns: runs, seed},
		);
	});
});
