import {memberOf, nodeValue, parseJsonText, spliceJson, valueNode, type JsonNode} from './json-text.js';
import {isSecretLeaf, isValueField, nameSecrecy, nameWords, pairSecrecy, stronger, type Secrecy} from './secret-names.js';
import {REDACTED_MARKER, type TableSpec} from './store/schema.js';

export type Row = Record<string, unknown>;

const M = REDACTED_MARKER;

/**
 * Returns a copy of a row safe to put in a backup: `redact` columns replaced by the marker,
 * `encrypt` columns handed to `sealSecret` (which puts them in the encrypted block) and replaced
 * by a pointer. Null stays null so restore can tell "had no secret" from "secret redacted".
 */
export function redactRow(table: TableSpec, row: Row, sealSecret: (column: string, id: string, value: unknown) => string): Row {
	let copy: Row | undefined;
	for (const column of table.columns) {
		if (column.scrub && typeof row[column.name] === 'string') {
			const scrubbed = scrubColumnValue(row[column.name] as string);
			if (scrubbed !== row[column.name]) {
				copy ??= {...row};
				copy[column.name] = scrubbed;
			}
			continue;
		}
		if (!column.secret) continue;
		const value = row[column.name];
		if (value === null || value === undefined) continue;
		copy ??= {...row};
		copy[column.name] = column.secret === 'redact' ? M : sealSecret(column.name, String(row['id']), value);
	}
	return copy ?? row;
}

/**
 * Whether a setting, flag or environment variable name holds a secret: a strong or token name of
 * secret-names.ts (the rule JSON keys follow), plurals aside. `envStyle` (NAME=value in upper case, as in .env
 * files and `-e` arguments) also takes the looser FOO_KEY, FOO_AUTH, FOO_PAT and FOO_PW.
 */
export function isSecretName(name: string, envStyle = false): boolean {
	const words = nameWords(name);
	// In text a plural is prose more often than a setting ("no secrets: https://…", "Tokens: 1200").
	const plural = /[^s]s$/.test(words.at(-1) ?? '') && !/^(?:credentials|creds)$/.test(words.at(-1)!);
	const secrecy = nameSecrecy(name);
	if (!plural && (secrecy === 'strong' || secrecy === 'token')) return true;
	if (!envStyle || !/^[A-Z0-9_]+$/.test(name)) return false;
	return words.length > 1 && ['key', 'auth', 'pat', 'pw'].includes(words.at(-1)!);
}

/** Values that stand for no secret: empty, types in code samples, variable references (a shell's $1 and $@, batch's %1, %~dp0, %%i and !VAR! too), booleans. */
const PLACEHOLDER =
	/^(?:\*+|x{3,}|\.{3}|…|<[^>]*>|\$\{[^}]*\}|\$[A-Za-z_]\w*|\$[0-9@*#?]|%[A-Za-z_]\w*%|%[0-9*]|%~[A-Za-z]*[0-9*]|%%~?[A-Za-z]+|![A-Za-z_][\w.]*!|\{\{[^}]*\}\}|string|number|boolean|str|int|bool|bytes|any|unknown|null|none|nil|undefined|true|false|yes|no|required|optional)$/i;

function isPlaceholder(value: string): boolean {
	const bare = value.replace(/[;,]+$/, '').trim();
	return bare === '' || PLACEHOLDER.test(bare) || bare.includes('[REDACTED');
}

type Replacer = (match: string, ...groups: string[]) => string;

/** A value already redacted is not redacted again (keeps scrubbing idempotent). */
const SKIP = '(?!\\[REDACTED)';
/** Authorization schemes whose next word is the credential. */
const AUTH_SCHEMES = 'Bearer|Basic|Token|Digest|Negotiate|NTLM|Bot|ApiKey|Api-Key|Key|SSWS|OAuth|Splunk|GenieKey|Client-ID|AWS4-HMAC-SHA256|DPoP|MAC|HOBA';

/** A scrubbing step: a pattern and what to put in place of each match, or a function over the whole text. */
type Step = [RegExp, Replacer] | ((text: string) => string);

function applySteps(text: string, steps: readonly Step[]): string {
	let out = text;
	for (const step of steps) out = typeof step === 'function' ? step(out) : out.replace(step[0], step[1] as (substring: string, ...args: unknown[]) => string);
	return out;
}

/** Each span of a text replaced by the marker (spans in order, not overlapping). */
function redactSpans(text: string, spans: ReadonlyArray<readonly [number, number]>): string {
	if (spans.length === 0) return text;
	let out = '';
	let copied = 0;
	for (const [start, end] of spans) {
		out += text.slice(copied, start) + M;
		copied = end;
	}
	return out + text.slice(copied);
}

/**
 * Where a URL's password starts: after `scheme://user:` (the scheme is looked for behind '://' so
 * the search only stops at colons, not at every word). A user holds no '[' or ']':
 * `http://[::1]:5173/@vite/client` is an IPv6 host, a port and a path.
 */
const URL_USERINFO = new RegExp(`:(?<=\\b[a-z][a-z0-9+.-]{0,30}:)\\/\\/[^\\s:@\\/?#"'<>[\\]]*:${SKIP}`, 'gi');
/** The rest of a URL after its user, as far as a password is looked for. */
const URL_REST = /[^\s"'<>]{0,1024}/y;
/** What follows an '@' when it ends a password: a host, maybe with a port (a dotted name or address, localhost, [IPv6], any name with a port). */
const URL_HOST = /^(?:(?:\[[^\]]*\]|[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+|localhost)(?::\d{1,5})?|[A-Za-z0-9.-]+:\d{1,5})$/i;
const HOST_START = /[A-Za-z0-9[]/;

/**
 * Where the password that starts at `start` ends (the '@'), or undefined when there is none.
 * Without '/', '?' or '#' in it the password runs to the last '@' before them (`p@ss@host`). A
 * password holding one of them (pasted unencoded) runs to an '@' after it that a host follows, but
 * not when it starts as a port and a path (`host:8080/a/@b`: digits then '/'). When what follows
 * the first '@' is no host but a word, and the path after it holds another '@' before any '?' or
 * '#' (`p@ss/w0rd@host`), that one ends the password; an '@' just after a '/' starts a path
 * segment (`/@scope/pkg`), one in a query an address (`?email=a@b`).
 */
function urlPasswordEnd(text: string, start: number): number | undefined {
	URL_REST.lastIndex = start;
	const rest = URL_REST.exec(text)![0];
	const split = rest.search(/[/?#]/);
	const authority = split === -1 ? rest : rest.slice(0, split);
	const at = authority.lastIndexOf('@');
	if (at !== -1 && (split === -1 || URL_HOST.test(authority.slice(at + 1)))) return start + at;
	if (split === -1 || (at === -1 && /^\d{1,5}$/.test(authority))) return undefined;
	const later = laterAt(rest, split, at !== -1);
	if (later !== undefined) return start + later;
	return at === -1 ? undefined : start + at;
}

/**
 * The '@' ending a password that holds '/', '?' or '#' (the one at `from`): the first '@' within
 * 200 characters that a host follows, then the last of the '@'s before the next '/', '?' or '#'.
 * `pathOnly` looks no further than the path and past an '@' that starts a path segment.
 */
function laterAt(rest: string, from: number, pathOnly: boolean): number | undefined {
	const stop = Math.min(rest.length, from + 202);
	for (let index = from + 1; index < stop; index++) {
		const char = rest[index];
		if (pathOnly && (char === '?' || char === '#')) return undefined;
		if (char !== '@') continue;
		if (pathOnly && (rest[index - 1] === '/' || !HOST_START.test(rest[index + 1] ?? ''))) continue;
		if (!HOST_START.test(rest[index + 1] ?? '')) return undefined;
		let end = index;
		for (let next = index + 1; next < rest.length && !'/?#'.includes(rest[next]!); next++) {
			if (rest[next] === '@' && HOST_START.test(rest[next + 1] ?? '')) end = next;
		}
		return end;
	}
	return undefined;
}

/** The passwords of `scheme://user:password@host` URLs in a text, as spans. */
function urlPasswordSpans(text: string): Array<[number, number]> {
	const spans: Array<[number, number]> = [];
	URL_USERINFO.lastIndex = 0;
	for (let match = URL_USERINFO.exec(text); match; match = URL_USERINFO.exec(text)) {
		const start = match.index + match[0].length;
		const end = urlPasswordEnd(text, start);
		if (end === undefined) continue;
		spans.push([start, end]);
		URL_USERINFO.lastIndex = end;
	}
	return spans;
}

function scrubUrlPasswords(text: string): string {
	return text.includes('://') ? redactSpans(text, urlPasswordSpans(text)) : text;
}

/** A URL percent-encoded inside another (`?next=https%3A%2F%2Fuser%3Apw%40db…`): `://` encoded once, twice or three times. */
const ENCODED_URL_HEAD = /%((?:25){0,2})3A%(?:25){0,2}2F%(?:25){0,2}2F/gi;
/** An encoded URL runs to a blank, a quote or a bracket, or the `&` that ends the parameter holding it. */
const ENCODED_URL_REST = /[^\s"'<>&]{0,4096}/y;

/** Percent-decodes a text, keeping for each decoded character where it starts in the text `at` maps from. */
function percentDecode(text: string, at: readonly number[]): {text: string; at: number[]} {
	let out = '';
	const map: number[] = [];
	for (let index = 0; index < text.length; ) {
		map.push(at[index]!);
		const code = text[index] === '%' && /^[0-9A-Fa-f]{2}$/.test(text.slice(index + 1, index + 3)) ? Number.parseInt(text.slice(index + 1, index + 3), 16) : -1;
		out += code === -1 ? text[index] : String.fromCharCode(code);
		index += code === -1 ? 1 : 3;
	}
	map.push(at[text.length]!);
	return {text: out, at: map};
}

/**
 * URLs percent-encoded inside a parameter of another: each is decoded (as many times as its `://`
 * was encoded), its passwords found as in a plain URL, and the encoded characters that spell them
 * redacted in place, so the rest stays as it was.
 */
function scrubEncodedUrls(text: string): string {
	if (!text.includes('%')) return text;
	const spans: Array<[number, number]> = [];
	let floor = 0;
	ENCODED_URL_HEAD.lastIndex = 0;
	for (let match = ENCODED_URL_HEAD.exec(text); match; match = ENCODED_URL_HEAD.exec(text)) {
		let start = match.index;
		while (start > floor && match.index - start < 31 && /[A-Za-z0-9+.-]/.test(text[start - 1]!)) start--;
		ENCODED_URL_REST.lastIndex = match.index;
		const end = match.index + ENCODED_URL_REST.exec(text)![0].length;
		let decoded = {text: text.slice(start, end), at: Array.from({length: end - start + 1}, (_, index) => start + index)};
		for (let level = 0; level <= match[1]!.length / 2; level++) decoded = percentDecode(decoded.text, decoded.at);
		for (const [from, to] of urlPasswordSpans(decoded.text)) spans.push([decoded.at[from]!, decoded.at[to]!]);
		ENCODED_URL_HEAD.lastIndex = Math.max(ENCODED_URL_HEAD.lastIndex, end);
		floor = end;
	}
	return redactSpans(text, spans);
}

/** curl's options that take `user:password` (a quoted value may hold blanks). */
const USER_OPTION = '(?:^|\\s)(?:-u|--user|--proxy-user)(?:[ \\t]+|=)';

/**
 * A command-line value redacted, or undefined when it is no secret: quoted, the quotes are kept and
 * all inside them redacted; a variable or a command's output (`"$SSHPASS"`, `"$(cat pw)"`, `%KEY%`) is kept.
 */
function redactedArgument(value: string): string | undefined {
	const quote = /^["']/.test(value) && value.endsWith(value[0]!) && value.length > 1 ? value[0]! : '';
	const inner = quote ? value.slice(1, -1) : value;
	return isPlaceholder(inner) || /^(?:\$\(|`)/.test(inner) ? undefined : `${quote}${M}${quote}`;
}

/** One command-line value: quoted, or a bare token that ends at a backquote (which in a shell starts a command, in markdown closes inline code). */
const ARGUMENT = `("[^"\\n]*"|'[^'\\n]*'|[^\\s"'|;&\`]+)`;
/**
 * A line continuation: a blank, `\` and a line break (a `\` right after a word ends a markdown line
 * with a hard break, which continues no command).
 */
const CONTINUATION = '(?<=[ \\t])\\\\\\r?\\n';
/** One character of a command line up to a pipe, a command separator or a backquote, a line continuation taken whole. */
const COMMAND_CHAR = `(?:[^\\n|;&\`\\\\]|\\\\(?!\\r?\\n)|${CONTINUATION})`;

/**
 * A tool's option that carries a password, `head` matching up to where its value starts (with no
 * capturing group): `mysql -pX`, `sshpass -p X`, `docker login -p X`, `setx … /p X`; the value may
 * stand on the next line after a continuation.
 */
function passwordOption(head: string, flags = 'g'): [RegExp, Replacer] {
	return [
		new RegExp(`(${head}(?:${CONTINUATION}[ \\t]*)?)${SKIP}(?!\\\\\\r?\\n)${ARGUMENT}`, flags),
		(match, before: string, value: string) => before + (redactedArgument(value) ?? match.slice(before.length)),
	];
}

/** A Windows variable name (cmd allows more, but secret names are written so). */
const WINDOWS_NAME = '([A-Za-z_][\\w.()-]{0,80})';

/**
 * Windows environment variables set under a secret name: `setx NAME value` (after its /s /u /p
 * and /m options; /p is a password itself), cmd's `set "NAME=value"` and `set NAME=value` as a command
 * (at the start of a line, after a prompt `C:\…>` or a `&`; the value runs to the end of the line or
 * a `&` or `|`), PowerShell's `Set-Item Env:NAME value` (or `Env:\\NAME`). (`$env:NAME = …` is an assignment, found
 * by scrubAssignments; `SetEnvironmentVariable(…)` a setter call, found by scrubSetterCalls.)
 */
const WINDOWS_PATTERNS: Step[] = [
	[
		new RegExp(`(\\bsetx(?:[ \\t]+\\/[sup][ \\t]+[^\\s/]\\S*|[ \\t]+\\/m){0,4}[ \\t]+(["']?)${WINDOWS_NAME}\\2[ \\t]+)${SKIP}${ARGUMENT}`, 'gi'),
		(match, head: string, _quote: string, name: string, value: string) => head + ((isSecretName(name, true) && redactedArgument(value)) || value),
	],
	passwordOption(`\\bsetx\\b${COMMAND_CHAR}{0,200}?[ \\t]\\/p[ \\t]+`, 'gi'),
	[
		new RegExp(`(\\bset[ \\t]+"${WINDOWS_NAME}=)${SKIP}([^"\\n]+)(?=")`, 'gi'),
		(match, head: string, name: string, value: string) => (isSecretName(name, true) && !isPlaceholder(value) ? head + M : match),
	],
	[
		new RegExp(`((?:^|&|\\b[A-Za-z]:\\\\[^>\\n]{0,200}>)[ \\t]*@?set[ \\t]+${WINDOWS_NAME}=)${SKIP}([^\\r\\n&|]+)`, 'gim'),
		(match, head: string, name: string, rest: string) => {
			const value = rest.trimEnd();
			const redacted = isSecretName(name, true) && redactedArgument(value);
			return redacted ? head + redacted + rest.slice(value.length) : match;
		},
	],
	[
		new RegExp(`(\\b(?:Set-Item|New-Item)[ \\t]+(?:-Path[ \\t]+)?(["']?)env:\\\\?${WINDOWS_NAME}\\2[ \\t]+(?:-Value[ \\t]+)?)${SKIP}${ARGUMENT}`, 'gi'),
		(match, head: string, _quote: string, name: string, value: string) => head + ((isSecretName(name, true) && redactedArgument(value)) || value),
	],
];

/**
 * A .netrc entry's start: `machine HOST` or `default`. Its keywords and values follow over any
 * blanks, line breaks included.
 */
const NETRC_ENTRY = /\b(?:machine[ \t]+([^\s"']{1,253})|default)(?=\s)/g;
const NETRC_KEYWORDS = new Set(['login', 'password', 'account', 'port']);

/** `.netrc` entries: the values of `password` and `account` (a second password) redacted. */
function scrubNetrc(text: string): string {
	if (!text.includes('machine') && !text.includes('default')) return text;
	const spans: Array<[number, number]> = [];
	NETRC_ENTRY.lastIndex = 0;
	for (let match = NETRC_ENTRY.exec(text); match; match = NETRC_ENTRY.exec(text)) {
		let before = match.index;
		while (before > 0 && (text[before - 1] === ' ' || text[before - 1] === '\t')) before--;
		const quote = before > 0 && `"'`.includes(text[before - 1]!) ? text[before - 1]! : '';
		const first = quote !== '' || before === 0 || text[before - 1] === '\n';
		// `default` names no host: only where an entry starts is it one ("if default login fails, password reset…" is prose).
		if (match[1] === undefined && !first) continue;
		const entry = netrcSecrets(text, match.index + match[0].length, quote, first ? match[1] : undefined);
		spans.push(...entry.spans);
		NETRC_ENTRY.lastIndex = Math.max(NETRC_ENTRY.lastIndex, entry.end);
	}
	return redactSpans(text, spans);
}

/**
 * The secrets of one .netrc entry, its keywords read from `at`: up to eight keyword and value
 * pairs, a value bare or in double quotes (as curl reads it), or, inside a quoted string, up to its
 * quote or a backslash (`printf '…\n'`). An entry counts when it names a login, or when it starts
 * a line or a quoted string (`echo "machine …" >> ~/.netrc`) and its `host` looks like one (dotted,
 * an address, localhost; undefined elsewhere): "machine learning password policies" and "the build
 * machine x.example password is in the vault" are prose.
 */
function netrcSecrets(text: string, at: number, quote: string, host: string | undefined): {spans: Array<[number, number]>; end: number} {
	const spans: Array<[number, number]> = [];
	let login = false;
	let position = at;
	const token = (from: number): [number, number] => {
		let start = from;
		while (start < text.length && /\s/.test(text[start]!)) start++;
		let end = start;
		if (!quote && text[start] === '"') {
			end++;
			while (end < text.length && text[end] !== '"' && text[end] !== '\n') end += text[end] === '\\' ? 2 : 1;
			return [start, Math.min(end + 1, text.length)];
		}
		while (end < text.length && !/\s/.test(text[end]!) && text[end] !== quote && !(quote && text[end] === '\\')) end++;
		return [start, end];
	};
	for (let pair = 0; pair < 8; pair++) {
		const [keyStart, keyEnd] = token(position);
		const keyword = text.slice(keyStart, keyEnd);
		if (!NETRC_KEYWORDS.has(keyword)) break;
		const [valueStart, valueEnd] = token(keyEnd);
		if (valueEnd === valueStart) break;
		position = valueEnd;
		if (keyword === 'login') login = true;
		const quoted = text[valueStart] === '"' && !quote && valueEnd - valueStart > 1;
		const value: [number, number] = quoted ? [valueStart + 1, valueEnd - 1] : [valueStart, valueEnd];
		if ((keyword === 'password' || keyword === 'account') && !isPlaceholder(text.slice(...value))) spans.push(value);
	}
	const named = login || (host !== undefined && (host === 'localhost' || /[.:]/.test(host)));
	return {spans: named ? spans : [], end: position};
}

/**
 * Credentials inside ordinary-looking text, in the order they are looked for: whole private key
 * blocks first (so nothing else chews on them), then URLs and headers, then command lines and
 * name=value settings (before vendor formats, so `OPENAI_API_KEY=sk-…` loses its whole value),
 * then vendor key formats anywhere. Every replacement leaves REDACTED_MARKER, and no pattern
 * matches its own output (a value starting with the marker is skipped), which keeps scrubbing
 * idempotent. Every repetition is bounded or anchored, so work stays linear in the text.
 */
const REGISTRY_TOOLS = '(?:docker|podman|nerdctl|buildah|skopeo|oras)';

const PATTERNS: Step[] = [
	[
		/-----BEGIN ((?:[A-Z0-9]+ ){0,4})PRIVATE KEY( BLOCK)?-----[\s\S]*?(?:-----END \1PRIVATE KEY\2-----|$)/g,
		(_match, label = '', block = '') => `-----BEGIN ${label}PRIVATE KEY${block}-----\n${M}\n-----END ${label}PRIVATE KEY${block}-----`,
	],
	scrubUrlPasswords,
	scrubEncodedUrls,
	[new RegExp(`(hooks\\.slack\\.com\\/(?:services|workflows|triggers)\\/)${SKIP}[A-Za-z0-9_\\/-]+`, 'gi'), (_match, head: string) => `${head}${M}`],
	[new RegExp(`(discord(?:app)?\\.com\\/api\\/webhooks\\/\\d+\\/)${SKIP}[A-Za-z0-9_-]+`, 'gi'), (_match, head: string) => `${head}${M}`],
	[new RegExp(`\\b((?:bot)?\\d{6,12}:)${SKIP}[A-Za-z0-9_-]{30,}`, 'g'), (_match, head: string) => `${head}${M}`],
	// An Authorization header: after a known scheme anything; without one, a value that looks like a
	// credential (a digit or symbol in it, or long), so "Authorization: required for admins" stays.
	[
		new RegExp(`\\b((?:Proxy-)?Authorization["']?\\s*[:=]\\s*["']?)(?:((?:${AUTH_SCHEMES})\\s+)${SKIP}[^\\s"',;]+|${SKIP}(?=[^\\s"',;]*[0-9+/=_.-]|[^\\s"',;]{20})[^\\s"',;]+)`, 'gi'),
		(match, header: string, scheme = '') => (isPlaceholder(match.slice(header.length + scheme.length).replace(/[`.)\]]+$/, '')) ? match : `${header}${scheme}${M}`),
	],
	// Cookies: every value of a Cookie header or curl's `-b`/`--cookie` (which of them is the session
	// cannot be told), the cookie of a Set-Cookie (its attributes, Path, Expires…, are no secret).
	[
		/(\bSet-Cookie["']?[ \t]*:[ \t]*|\bCookie["']?[ \t]*:[ \t]*|(?:^|[ \t])(?:-b|--cookie)(?:[ \t]+|=)["']?)([^\r\n"']{1,8192})/gim,
		(match, head: string, pairs: string) => {
			const only = /^set-cookie/i.test(head) ? 1 : Infinity;
			let seen = 0;
			const out = pairs.replace(/(^|;[ \t]*)([^=;\s]{1,100}=)([^;\s]+)/g, (pair, before: string, name: string, value: string) => {
				if (seen++ >= only || value.startsWith('[REDACTED') || isPlaceholder(value.replace(/^["']|["']$/g, ''))) return pair;
				return `${before}${name}${M}`;
			});
			return `${head}${out}`;
		},
	],
	[/\bBearer\s+(?=[A-Za-z0-9._~+/=-]*\d)[A-Za-z0-9._~+/=-]{16,}/g, () => `Bearer ${M}`],
	// Command lines: a secret flag and its value (on the next line after a `\` continuation too), `curl -u user:pass`
	// (quoted or not, attached as `-uuser:pass`), and tools that take a password inline.
	[new RegExp(`(-(?<=(?:^|[\\s"'\\[,(])-)-?([A-Za-z][\\w-]{0,60})(?:=|[ \\t]+(?:\\\\\\r?\\n[ \\t]*)?(?!-|\\\\\\r?\\n|[<>])))${SKIP}("[^"\\n]*"|'[^'\\n]*'|[^\\s"',;&|\`]+)`, 'g'), (match, flag, name, value, offset, text) => flagReplacer(match, flag!, name!, value!, Number(offset), text!)],
	[new RegExp(`(${USER_OPTION}(["'])[^\\s:"']+:)${SKIP}(?!\\d+\\2)((?:(?!\\2)[^\\n]){1,1024})(?=\\2)`, 'g'), (_match, head: string) => `${head}${M}`],
	[new RegExp(`(${USER_OPTION}["']?[^\\s:"']+:)${SKIP}(?!\\d+(?:[\\s"']|$))[^\\s"'\`]+`, 'g'), (_match, head: string) => `${head}${M}`],
	[new RegExp(`(\\bcurl\\b${COMMAND_CHAR}{0,200}?[ \\t]-u(["'])[^\\s:"']{1,200}:)${SKIP}(?!\\d+\\2)((?:(?!\\2)[^\\n]){1,1024})(?=\\2)`, 'g'), (match, head: string, _quote: string, value: string) => (redactedArgument(value) ? head + M : match)],
	[new RegExp(`(\\bcurl\\b${COMMAND_CHAR}{0,200}?[ \\t]-u[^\\s:"'-][^\\s:"']{0,200}:)${SKIP}(?!\\d+(?:[\\s"']|$))([^\\s"'\`]+)`, 'g'), (match, head: string, value: string) => (redactedArgument(value) ? head + M : match)],
	passwordOption(`\\b(?:mysql|mysqldump|mysqladmin|mysqlimport|mariadb|mariadb-dump)\\b${COMMAND_CHAR}{0,200}?[ \\t]-p`),
	passwordOption(`\\bsshpass(?:(?:[ \\t]|${CONTINUATION})+-[veh]){0,3}(?:[ \\t]|${CONTINUATION})+-p[ \\t]*`),
	passwordOption(`\\bredis-cli\\b${COMMAND_CHAR}{0,200}?[ \\t]-a[ \\t]+`),
	// The login command ends where a sentence or inline code does (`, `, `. `, a backquote) or another
	// command starts: `docker login` then `docker run -p 8080:80` keeps its port.
	passwordOption(
		`\\b(?:${REGISTRY_TOOLS}|helm[ \\t]+registry)[ \\t]+login\\b(?:(?!(?:${REGISTRY_TOOLS}|helm)\\b)[^\\n|;&\`,.\\\\]|\\.(?=\\S)|\\\\(?!\\r?\\n)|${CONTINUATION}){0,200}?[ \\t]-p(?:[ \\t]+|=)?`,
	),
	...WINDOWS_PATTERNS,
	scrubNetrc,
];

/** An element's text redacted between its blanks, unless it is blank, a placeholder or redacted already. */
function redactElementText(match: string, head: string, text: string, tail: string): string {
	const value = text.trim();
	if (value === '' || value.startsWith('[REDACTED') || isPlaceholder(value)) return match;
	const lead = text.slice(0, text.length - text.trimStart().length);
	const trail = text.slice(text.trimEnd().length);
	return `${head}${lead}${M}${trail}${tail}`;
}

/**
 * XML and .NET/Java config: `<add key="ApiKey" value="…"/>` and `<entry key="password">…</entry>`
 * (the name in one attribute, the secret in the next or in the element's text), and elements named
 * as a secret (`<password>…</password>`, `<client-secret>…</client-secret>`).
 */
const XML_PATTERNS: Array<[RegExp, Replacer]> = [
	[
		new RegExp(`(\\b(?:key|name)[ \\t]*=[ \\t]*(["'])([^"'<>\\n]{1,100})\\2[ \\t]+value[ \\t]*=[ \\t]*(["']))${SKIP}([^"'\\n]{1,4096})\\4`, 'gi'),
		(match, head: string, _quote: string, name: string, close: string, value: string) =>
			isSecretName(name.trim()) && !isPlaceholder(value) ? `${head}${M}${close}` : match,
	],
	// The element's text is taken whole, blanks included, and trimmed in the replacer: blanks matched
	// apart from it (`>[ \t]*` then text that may itself be blanks) made the engine try every split,
	// cubic in a long run of blanks.
	[
		new RegExp(`(\\b(?:key|name)[ \\t]*=[ \\t]*(["'])([^"'<>\\n]{1,100})\\2[^<>\\n]{0,200}>)([^<\\n]{1,4096})(?=<)`, 'gi'),
		(match, head: string, _quote: string, name: string, text: string) => (isSecretName(name.trim()) ? redactElementText(match, head, text, '') : match),
	],
	[
		new RegExp(`(<([A-Za-z_][\\w.:-]{0,80})(?:[ \\t][^<>\\n]{0,500})?>)([^<\\n]{1,4096})(<\\/\\2>)`, 'g'),
		(match, head: string, tag: string, text: string, tail: string) => (isSecretName(tag.replace(/^.*:/, '')) ? redactElementText(match, head, text, tail) : match),
	],
];

/**
 * A markdown table's delimiter row (`|---|:--:|`, `--- | ---`): cells of dashes with optional
 * colons, split by at least one `|`, outer pipes optional.
 */
function isDelimiterRow(line: string): boolean {
	if (!line.includes('|') || !line.includes('-') || line.length > 8192) return false;
	const cells = line.trim().replace(/^\|/, '').replace(/\|$/, '').split('|');
	return cells.every(cell => /^:?-+:?$/.test(cell.trim()));
}

/**
 * Markdown table rows that pair a secret name with a value (`| WEATHER_API_KEY | abc123 |`, the
 * name in any cell, in backticks or bold): the cell after the name is redacted. A row with a
 * leading `|` counts anywhere; one without (`Password | hunter2`) only in a table, from its
 * `--- | ---` row to the first line without a `|`, so a shell pipeline is no table. A header row
 * (the next line is the delimiter row) is not redacted.
 */
function scrubTableRows(text: string): string {
	if (!text.includes('|')) return text;
	const lines = text.split('\n');
	let changed = false;
	let inTable = false;
	for (let index = 0; index < lines.length; index++) {
		const line = lines[index]!;
		if (isDelimiterRow(line)) {
			inTable = true;
			continue;
		}
		if (!line.includes('|')) inTable = false;
		const leading = /^[ \t]*\|/.test(line);
		if ((!leading && !inTable) || line.length > 8192 || isDelimiterRow(lines[index + 1] ?? '')) continue;
		const row = scrubTableRow(line, leading);
		if (row !== line) {
			lines[index] = row;
			changed = true;
		}
	}
	return changed ? lines.join('\n') : text;
}

/**
 * One table row with the cell after each secret name redacted, unless the value is a placeholder
 * or a dash, holds blanks (a description) while the name is no password, or is a number under a token name.
 */
function scrubTableRow(line: string, leading: boolean): string {
	const cells = line.split('|');
	const first = leading ? 1 : 0;
	const last = /\|[ \t]*\r?$/.test(line) ? cells.length - 2 : cells.length - 1;
	let changed = false;
	for (let cell = first; cell < last; cell++) {
		const name = cells[cell]!.trim().replace(/^(\*\*|`)(.*)\1$/, '$2');
		if (!/^[A-Za-z_][\w.-]{0,80}(?: [A-Za-z][\w.-]{0,40}){0,2}$/.test(name) || !isSecretName(name, true)) continue;
		const raw = cells[cell + 1]!;
		const value = raw.trim().replace(/^(`+|\*\*)(.*)\1$/, '$2');
		if (value === '' || isPlaceholder(value) || /^(?:-+|—|–|n\/a|tbd|todo|\?)$/i.test(value) || value.includes(M)) continue;
		if (/\s/.test(value) && !/pass|pwd/i.test(name) && !looksLikeCredential(value.split(/\s/)[0]!)) continue;
		if (name.toLowerCase().endsWith('token') && /^\d+$/.test(value)) continue;
		const at = raw.indexOf(value);
		cells[cell + 1] = raw.slice(0, at) + M + raw.slice(at + value.length);
		changed = true;
	}
	return changed ? cells.join('|') : line;
}

/** Vendor key formats, redacted wherever they stand; the prefix is kept to say what to re-enter. */
const VENDOR_PATTERNS: Array<[RegExp, Replacer]> = [
	[
		/\b((?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|APKA)[0-9A-Z]{16})\b(?:([\s:=,;|"']{1,6})([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=]))?/g,
		(_match, _id: string, separator?: string, secret?: string) => (secret ? `${M}${separator}${M}` : M),
	],
	[
		new RegExp(`\\b(sk-|whsec_|github_pat_|AIza|ya29\\.|1//0|gl(?:pat|dt|rt|ptt|cbt|soat|ft|imt|oas|agent)-|pypi-|SG\\.)${SKIP}[A-Za-z0-9_+/=.-]{16,}`, 'g'),
		(_match, prefix: string) => `${prefix}${M}`,
	],
	[new RegExp(`\\b(xox[abeposr]-|xapp-)${SKIP}[A-Za-z0-9-]{10,}`, 'g'), (_match, prefix: string) => `${prefix}${M}`],
	// Formats whose body is letters and digits only (so `hf_hub_download_with_retries` is left alone).
	[/\b((?:sk|rk)_(?:live|test)_|gh[pousr]_|npm_|hf_|do[opr]_v1_|shp(?:at|ss|ca|pa)_)[A-Za-z0-9]{16,}\b/g, (_match, prefix: string) => `${prefix}${M}`],
	[/\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g, () => M],
	// AI and developer platforms: Groq, Perplexity, Replicate, Tavily, NVIDIA, xAI, Google OAuth client
	// secrets, Docker Hub, Grafana, Linear, Sentry, Figma, PlanetScale, Brevo, Vault, Square, Atlassian,
	// age. Bodies of 20 and more (so a package name like `tvly-python` is left alone).
	[
		new RegExp(
			`\\b(gsk_|pplx-|r8_|tvly-(?:dev-|prod-)?|nvapi-|xai-|GOCSPX-|dckr_pat_|glsa_|glc_|lin_api_|sntry[su]_|figd_|pscale_(?:tkn|pw|oauth)_|xkeysib-|hv[sb]\\.|sq0(?:atp|csp)-|ATATT|AGE-SECRET-KEY-1)${SKIP}[A-Za-z0-9_+/=.-]{20,}`,
			'g',
		),
		(_match, prefix: string) => `${prefix}${M}`,
	],
	// Hex bodies: Databricks tokens, Mailgun keys.
	[/\b(dapi|key-)[0-9a-f]{32}\b/g, (_match, prefix: string) => `${prefix}${M}`],
];

/**
 * Query parameters that carry a credential: tokens, keys and passwords, session ids and tickets
 * (they log the holder in), and signatures: a presigned URL's `sig=` (Azure SAS), `X-Amz-Signature`
 * or `Signature` (CloudFront) grants what the signer could until it expires, so it is treated as
 * the credential it stands for. Names isSecretName takes (`client_secret`, `x-api-key`) count too.
 */
const SECRET_QUERY_NAMES = new Set([
	'access_token', 'refresh_token', 'id_token', 'token', 'auth', 'auth_token', 'authtoken', 'api_key', 'apikey', 'api-key', 'key', 'sig', 'signature',
	'secret', 'client_secret', 'password', 'passwd', 'pwd', 'pass', 'code', 'private_token', 'ticket', 'session', 'sessionid', 'session_id',
	'session_token', 'sessiontoken', 'jsessionid', 'phpsessid', 'oauth_token', 'oauth_signature', 'jwt', 'assertion', 'client_assertion', 'hmac',
	'x-amz-signature', 'x-amz-security-token', 'x-goog-signature', 'x-ms-signature',
]);

function isSecretQueryName(name: string): boolean {
	const lower = name.toLowerCase();
	return SECRET_QUERY_NAMES.has(lower) || isSecretName(name);
}

/** Where a query parameter's name starts: after `? & ; #`, or one of them percent-encoded (once or twice). */
const QUERY_HEAD = /(?:[?&;#]|%(?:25)?(?:3F|26|23|3B))([A-Za-z][\w.-]{0,60})(=|%(?:25)?3D)/gi;
/** A plain value runs to `&`; a `#` is taken with it (a password pasted unencoded, or a fragment: losing one costs nothing). */
const PLAIN_QUERY_VALUE = /[^&\s;"'<>]+/y;
/** After `;` (a connection string's `;Password=…;` as much as a URL's `;jsessionid=`) the value is a setting's token: `#` and `<` are part of it. */
const SETTING_VALUE = /[^\s"',;&]+/y;
const ENCODED_QUERY_VALUE = /(?:[^&\s#;"'<>%]|%(?!(?:25)?(?:26|23|3B)))+/iy;

/**
 * Query and fragment parameters under a secret name (SECRET_QUERY_NAMES), also percent-encoded
 * inside another parameter (`?next=%2Fcb%3Faccess_token%3D…`): a plain value ends at `&` (or a
 * blank, quote or `;`), an encoded one at `%26`. Parameters inside a value are looked for too (a harmless `next=` holds them).
 */
function scrubQueryParams(text: string): string {
	let out = '';
	let copied = 0;
	QUERY_HEAD.lastIndex = 0;
	for (let match = QUERY_HEAD.exec(text); match; match = QUERY_HEAD.exec(text)) {
		if (!isSecretQueryName(match[1]!)) {
			QUERY_HEAD.lastIndex = match.index + 1;
			continue;
		}
		const start = match.index + match[0].length;
		const value = match[2] !== '=' ? ENCODED_QUERY_VALUE : match[0].startsWith(';') ? SETTING_VALUE : PLAIN_QUERY_VALUE;
		value.lastIndex = start;
		const found = value.exec(text);
		if (!found || found[0].startsWith('[REDACTED') || isPlaceholder(found[0])) continue;
		out += text.slice(copied, start) + M;
		copied = start + found[0].length;
		QUERY_HEAD.lastIndex = copied;
	}
	return copied === 0 ? text : out + text.slice(copied);
}

/**
 * Database clients whose `--password` takes no value after a blank: MySQL's take one only after `=`,
 * PostgreSQL's none (`-W`). `mysql --password shop` and `pg_dump --password shop` prompt, and `shop` is the database.
 */
const PROMPTING_CLIENTS = 'mysql|mysqldump|mysqladmin|mysqlimport|mysqlcheck|mysqlshow|mariadb|mariadb-dump|mariadb-admin|psql|pg_dump|pg_dumpall|pg_restore|pg_basebackup|createdb|dropdb|createuser|dropuser|vacuumdb|reindexdb|clusterdb';
/** One on a command line (`mysql -u root --password shop`), in text. */
const PROMPTING_CLIENT = new RegExp(`(?<![\\w-])(?:${PROMPTING_CLIENTS})(?![\\w-])`);
/** One named as an argument list's program. */
const PROMPTING_TOOL = new RegExp(`(?:^|\\/)(?:${PROMPTING_CLIENTS})$`);

function flagReplacer(match: string, flag: string, name: string, value: string, offset: number, text: string): string {
	if (!isSecretName(name) || redactedArgument(value) === undefined || value.startsWith('${{')) return match;
	if (/^--?password[ \t]/.test(flag)) {
		const before = text.slice(Math.max(0, offset - 200), offset);
		if (PROMPTING_CLIENT.test(before.slice(before.lastIndexOf('\n') + 1))) return match;
	}
	const quote = /^["']/.test(value) ? value[0]! : '';
	return `${flag}${quote}${M}${quote}`;
}

const isNameCode = (code: number) => (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95 || code === 46 || code === 45;
const isNameStart = (code: number) => (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95;

/** A setting name found before a separator: where it starts (its quote or bracket included), how written. */
type FoundName = {index: number; name: string; quoted: boolean; blanks: number; subscript?: true};

/**
 * The setting name in front of a ':' or '=' at `separator`: letters, digits, `_ . -` (starting with
 * a letter or `_`, at most 81 long), optionally quoted as in JSON (quotes escaped too, as in JSON
 * held in a string), or quoted in brackets before an '=' (`os.environ["X_API_KEY"] =`, `ENV[ '…' ] =`,
 * a subscript of what comes before it), or PowerShell's `${env:NAME}` before an '=', then blanks. Not a name when it continues a word, path or
 * address (`/x=`, `a@b:`). Found by looking back from the separator, so the search only stops at
 * ':' and '=', never at every word.
 */
function nameBefore(text: string, separator: number): FoundName | undefined {
	let end = separator;
	while (end > 0 && (text[end - 1] === ' ' || text[end - 1] === '\t')) end--;
	const blanks = separator - end;
	const subscript = text[end - 1] === ']' && text[separator] === '=';
	if (subscript) end--;
	while (subscript && end > 0 && separator - end < 40 && (text[end - 1] === ' ' || text[end - 1] === '\t')) end--;
	// PowerShell's `${env:NAME} = …`: the braces are part of the variable's spelling.
	const braced = text[end - 1] === '}' && text[separator] === '=' && !subscript;
	if (braced) end--;
	const quote = text[end - 1] === '"' || text[end - 1] === "'" ? text[end - 1] : '';
	if (quote) end--;
	// Quotes escaped inside JSON held as a string (`\"apiKey\":`), once or more.
	let escapes = 0;
	while (quote && !subscript && escapes < 16 && text[end - 1] === '\\') {
		end--;
		escapes++;
	}
	let start = end;
	while (start > 0 && end - start <= 81 && isNameCode(text.charCodeAt(start - 1))) start--;
	if (start === end || end - start > 81 || !isNameStart(text.charCodeAt(start))) return undefined;
	if (quote && (text[start - 1] !== quote || text.slice(start - 1 - escapes, start - 1) !== '\\'.repeat(escapes))) return undefined;
	const index = quote ? start - 1 - escapes : start;
	const name = text.slice(start, end);
	if (braced) return !quote && /^\$\{env:$/i.test(text.slice(index - 6, index)) ? {index, name, quoted: false, blanks} : undefined;
	if (subscript) {
		let open = index;
		while (open > 0 && index - open < 40 && (text[open - 1] === ' ' || text[open - 1] === '\t')) open--;
		return quote && text[open - 1] === '[' ? {index: open - 1, name, quoted: true, blanks, subscript} : undefined;
	}
	const previous = index > 0 ? text.charCodeAt(index - 1) : -1;
	if (isNameCode(previous) || previous === 47 || previous === 64) return undefined;
	return {index, name, quoted: Boolean(quote), blanks};
}

/** `==`, `=>`, `!=`, `<=`, `>=` compare or map; `::` joins a path; in `:=` the `=` assigns. */
function isOperator(text: string, index: number): boolean {
	const next = text[index + 1];
	const previous = text[index - 1];
	if (text[index] === '=') return next === '=' || next === '>' || previous === '=' || previous === '!' || previous === '<' || previous === '>';
	return next === '=' || next === ':' || previous === ':';
}

/** Where a value lies; `block` for a YAML block scalar, `literal` for a quoted literal in code (its blanks are part of it). */
const SCHEME_ONLY = new RegExp(`^(?:${AUTH_SCHEMES})\\s*$`, 'i');
/** Laravel model casts: `'password' => 'hashed'`. */
const CAST_TYPE = /^(?:hashed|encrypted|array|object|collection|integer|float|double|decimal|date|datetime|immutable_datetime|timestamp|json)$/;
/** Validation rules: `'password' => 'required|string|min:8|confirmed'`. */
const VALIDATION_RULES = /^[a-z_]+(?::[^|\s]*)?(?:\|[a-z_]+(?::[^|\s]*)?)+$/;
/** One validation rule alone, of those a password field takes: `'password' => 'confirmed'`, `'min:8'`. */
const VALIDATION_RULE = /^(?:confirmed|current_password|nullable|sometimes|present|filled|string|(?:min|max|size|between|regex|same|different|exclude_if|required_with|required_if):[^\s|]{1,80})$/;

/**
 * A quoted literal in code under a secret name that says how the secret is handled, not what it
 * is: an authorization scheme alone (`headers["Authorization"] = "Bearer " + token` builds the
 * value), a model cast, validation rules.
 */
function isCodeWord(value: string): boolean {
	return SCHEME_ONLY.test(value) || CAST_TYPE.test(value) || VALIDATION_RULES.test(value) || VALIDATION_RULE.test(value);
}

type ValueSpan = {start: number; end: number; block?: true; literal?: true};

/**
 * Redacts the values of settings whose name is secret, in the syntaxes operators paste: .env and
 * shell (`NAME=value cmd`), connection strings (`AccountKey=…;`, `,password=…,`), JAAS and TOML
 * (`password="…"`), INI (`key = rest of line`), YAML (`password: rest of line`), HTTP headers
 * (`X-Api-Key: value`), JSON held as text (`"apiKey": "…"`), code (`os.environ["API_KEY"] = "…"`)
 * and PHP and Ruby arrays (`'password' => '…'`).
 */
function scrubAssignments(text: string): string {
	let out = '';
	let copied = 0;
	const line = {start: 0, scanned: 0};
	const separators = /[:=]/g;
	for (let match = separators.exec(text); match; match = separators.exec(text)) {
		const found = text.startsWith('=>', match.index) ? arrowValue(text, match.index) : settingValue(text, match.index, line);
		// A value computed in code is passed over whole: a separator inside it starts no setting.
		if (found && 'skip' in found) {
			separators.lastIndex = Math.max(separators.lastIndex, found.skip);
			continue;
		}
		const span = found && secretPart(text, found.name, found.span);
		if (!span) continue;
		out += text.slice(copied, span.start) + M;
		copied = span.end;
		separators.lastIndex = Math.max(separators.lastIndex, span.end);
	}
	return copied === 0 ? text : out + text.slice(copied);
}

/**
 * The value of a setting whose name is secret, the separator at `at` (':' or '='): the rest of the
 * line, one token, or one token alone (see valueSpan), by the separator and where the name stands.
 * `line` keeps where the current line starts, found by scanning forward only (linear over the whole text).
 * A value computed in code (a call, a subscript, `$(…)`) is no secret: `skip` says where it ends.
 */
function settingValue(text: string, at: number, line: {start: number; scanned: number}): {name: string; span: ValueSpan} | {skip: number} | undefined {
	const separator = text[at];
	if (isOperator(text, at)) return undefined;
	// `NAME := value` (Make, Go) assigns: the name is read from before the colon.
	let found = nameBefore(text, separator === '=' && text[at - 1] === ':' ? at - 1 : at);
	if (!found) return undefined;
	const variable = envVariable(text, found, separator);
	if (!isSecretName(variable ?? found.name, variable !== undefined)) {
		found = spacedName(text, found);
		if (!found) return undefined;
	}
	for (; line.scanned < found.index; line.scanned++) if (text.charCodeAt(line.scanned) === 10) line.start = line.scanned + 1;
	const atLineStart = found.index - line.start < 100 && /^[ \t]*(?:export[ \t]+|set[ \t]+|-[ \t]+)?$/.test(text.slice(line.start, found.index));
	// cmd's `set /p NAME=prompt` asks for the value and `set /a NAME=expression` computes it.
	if (/\bset[ \t]+\/[pa][ \t]+"?$/i.test(text.slice(Math.max(line.start, found.index - 40), found.index))) return undefined;
	let valueStart = at + 1;
	while (text[valueStart] === ' ' || text[valueStart] === '\t') valueStart++;
	// `input('Password: ')`, `"Password: " + pw`: the quote after the separator closes the string the
	// name is written in, and code goes on after it (`"password="hunter2` in a shell joins a value to it).
	const opener = text[found.index - 1];
	if (!found.quoted && (opener === '"' || opener === "'") && text[valueStart] === opener && /^(?:$|[\s+),;.\]}])/.test(text.slice(valueStart + 1, valueStart + 2))) return undefined;
	const spaced = found.blanks > 0 || valueStart > at + 1;
	const mode = separator === ':' ? (atLineStart ? 'line' : 'token-alone') : atLineStart && spaced ? 'line' : 'token';
	// `NAME=value` at a line's start is a .env or shell line, where nothing is called.
	const envLine = separator === '=' && atLineStart && !spaced && !found.quoted;
	const computed = envLine ? undefined : callEnd(text, valueStart);
	if (computed !== undefined) return {skip: computed};
	if (mode !== 'line' && /^(?:\$\(|\(|`)/.test(text.slice(valueStart, valueStart + 2))) {
		SETTING_VALUE.lastIndex = valueStart;
		return {skip: valueStart + (SETTING_VALUE.exec(text)?.[0].length ?? 0)};
	}
	let span = valueSpan(text, valueStart, mode);
	if (!span && mode === 'line') span = blockScalarSpan(text, valueStart, line.start);
	// Inside prose, a value that looks like a credential is one even when words follow it.
	if (!span && mode === 'token-alone') {
		span = valueSpan(text, valueStart, 'token');
		if (span && !looksLikeCredential(text.slice(span.start, span.end))) span = undefined;
	}
	if (!span) return undefined;
	const quoted = text[valueStart] === '"' || text[valueStart] === "'";
	// A subscript or a variable set in code is code: what it is given unquoted is computed (`= api_key`,
	// `= request.form['password']`, `$env:API_KEY = Read-Host …`), unless it looks like a key pasted in.
	if ((found.subscript || codeVariable(text, found) !== undefined) && !quoted && !looksLikeCredential(/^\S*/.exec(text.slice(span.start, span.end))![0].replace(/[;,]+$/, ''))) return undefined;
	// A variable set in code (`os.environ["API_KEY"] = "…"`, `$env:API_KEY = "…"`) takes a quoted literal whole, blanks and all.
	if (quoted && codeVariable(text, found) !== undefined) span.literal = true;
	return {name: found.name, span};
}

/** A name in code, maybe dotted: what a call or a subscript starts with. */
const CODE_NAME = /[A-Za-z_$][\w$]{0,80}(?:\.[A-Za-z_$][\w$]{0,80}){0,8}/y;
/** One argument of a call or a subscript: a string literal (its text captured), a name (a keyword argument too), a number. */
const CODE_ARGUMENT = /\s{0,200}(?:"([^"\n\\]{0,100})"|'([^'\n\\]{0,100})'|[A-Za-z_$][\w$.]{0,80}(?:[ \t]*=[ \t]*(?:"([^"\n\\]{0,100})"|'([^'\n\\]{0,100})'|[\w$.]{1,80}))?|\d{1,20})\s{0,200}/y;
/** What may follow a value computed in code: the end of the line or the text, a comma, a semicolon, a closing bracket, a comment. */
const CODE_VALUE_END = /[ \t]{0,200}(?:$|\r?\n|[,;)}\]]|#|\/\/)/y;

/**
 * Where a value computed by a call or a subscript ends, or undefined when the value at `at` is not
 * one: `get_password()`, `getpass.getpass('Password: ')`, `request.form['password']`,
 * `vault.read("secret/app")`, `os.environ['GITHUB_TOKEN']`. It starts with a dotted name, one
 * with `_`, or a lower-case word; its string arguments are names, paths or prompts (a literal like
 * `decrypt('hunter2')` may be the secret itself); and nothing but the end of the statement follows
 * (`os.getenv("X") or "hunter2"` gives a literal). A password written with brackets
 * (`P4ss(word)`, `Summer(2024)`, `Tr0ub4dor()`) is no call.
 */
function callEnd(text: string, at: number): number | undefined {
	let position = at;
	for (let link = 0; link < 8; link++) {
		CODE_NAME.lastIndex = position;
		const name = CODE_NAME.exec(text)?.[0];
		if (!name || (link === 0 && !/[._$]/.test(name) && !/^[a-z]+$/.test(name))) return undefined;
		position += name.length;
		let groups = 0;
		for (; groups < 8 && (text[position] === '(' || text[position] === '['); groups++) {
			const end = argumentsEnd(text, position + 1, text[position] === '(' ? ')' : ']');
			if (end === undefined) return undefined;
			position = end + 1;
		}
		if (groups === 0) return undefined;
		if (text[position] !== '.') break;
		position++;
	}
	CODE_VALUE_END.lastIndex = position;
	return CODE_VALUE_END.test(text) ? position : undefined;
}

/** Where the arguments starting at `at` close (`close`'s index), or undefined when one is no plain argument or a literal might be a secret. */
function argumentsEnd(text: string, at: number, close: string): number | undefined {
	let position = at;
	for (let argument = 0; argument < 8; argument++) {
		while (position - at < 200 && /\s/.test(text[position] ?? '')) position++;
		if (text[position] === close && argument === 0) return position;
		CODE_ARGUMENT.lastIndex = position;
		const found = CODE_ARGUMENT.exec(text);
		if (!found) return undefined;
		const literal = found[1] ?? found[2] ?? found[3] ?? found[4];
		if (literal !== undefined && !isNameOrPrompt(literal)) return undefined;
		position = CODE_ARGUMENT.lastIndex;
		if (text[position] === close) return position;
		if (text[position] !== ',') return undefined;
		position++;
	}
	return undefined;
}

/** A literal that names a value rather than being it (`DB_PASSWORD`, `password`, `secret/app`, `database.password`, `Password: `), or one redacted already. */
function isNameOrPrompt(literal: string): boolean {
	return literal.startsWith('[REDACTED') || /^[A-Z_][A-Z0-9_]{1,80}$/.test(literal) || isSecretName(literal, true) || /[:?][ \t]*$/.test(literal) || /^[A-Za-z_][\w-]*(?:[./:][A-Za-z_][\w-]*)+$/.test(literal);
}

/**
 * The environment variable a name sets in code, or undefined: a subscript (`os.environ["FOO_KEY"]`,
 * `ENV['…']`), `process.env.FOO_KEY`, `import.meta.env.…` or PowerShell's `$env:FOO_KEY`.
 */
function codeVariable(text: string, found: FoundName): string | undefined {
	if (found.subscript || /^env:$/i.test(text.slice(Math.max(0, found.index - 4), found.index))) return found.name;
	return /^(?:process\.env|import\.meta\.env)\.(.+)$/.exec(found.name)?.[1];
}

/**
 * The environment variable a name sets, when it is read as one (isSecretName's `envStyle`, which
 * also takes FOO_KEY): `NAME=value` as in .env files, and a variable set in code however spaced.
 */
function envVariable(text: string, found: FoundName, separator: string | undefined): string | undefined {
	return codeVariable(text, found) ?? (separator === '=' && !found.quoted && found.blanks === 0 ? found.name : undefined);
}

/**
 * PHP and Ruby `'password' => 'value'`, the arrow at `at`: a quoted secret name or a Ruby symbol
 * (`:password`) on its left and a quoted literal on its right, maybe on the next line. Not a
 * JavaScript arrow (`(token) => token.trim()`, an unquoted name) nor a value computed in code
 * (`=> env('DB_PASSWORD')`, `=> $password`).
 */
function arrowValue(text: string, at: number): {name: string; span: ValueSpan} | undefined {
	if ('=!<>'.includes(text[at - 1] ?? '')) return undefined;
	const found = nameBefore(text, at);
	if (!found || found.subscript || !isSecretName(found.name)) return undefined;
	const symbol = !found.quoted && text[found.index - 1] === ':' && !/[\w$:]/.test(text[found.index - 2] ?? '');
	if (!found.quoted && !symbol) return undefined;
	let valueStart = at + 2;
	while (valueStart - at < 200 && /[ \t\r\n]/.test(text[valueStart] ?? '')) valueStart++;
	return quotedLiteral(text, found.name, valueStart);
}

/** A quoted literal starting at `at` (its quotes left out), the value of the secret `name` in code. */
function quotedLiteral(text: string, name: string, at: number): {name: string; span: ValueSpan} | undefined {
	if (text[at] !== '"' && text[at] !== "'") return undefined;
	const span = valueSpan(text, at, 'token');
	return span && {name, span: {...span, literal: true}};
}

/**
 * Calls that set a named value: PHP's `define('DB_PASSWORD', '…')` (wp-config.php; any case, as
 * PHP reads function names), Python's `os.environ.setdefault` and `os.putenv`, Ruby's `ENV.store`,
 * .NET's `SetEnvironmentVariable`, Java's `setProperty`, `localStorage.setItem`, a config object's
 * `set`/`put`; and calls that read one with a literal fallback, which is the secret wherever the
 * variable is unset: Laravel's `env('DB_PASSWORD', '…')` and `config('database.password', '…')`,
 * Python's `os.getenv`/`environ.get` (`default='…'` too), Ruby's `ENV.fetch`, `getProperty` (not any
 * `get`: `config.get('credentials', 'aws_secret_access_key')` names an option, `labels.get('password',
 * 'Password')` a label). The first argument a quoted secret name, the second a quoted literal, maybe
 * on the next line.
 */
const SETTER_CALL = /\b(?:define|setenv|putenv|setdefault|store|SetEnvironmentVariable|setProperty|setItem|set|put|env|getenv|environ\.get|ENV\.(?:fetch|get)|getProperty|config)[ \t]*\([ \t]*(["'])([A-Za-z_][\w.:-]{0,80})\1[ \t]*,\s{0,200}(?:default[ \t]*=[ \t]*)?(?=["'])/gi;

/** Redacts the literal a setter call (SETTER_CALL) gives a secret name, whole (WordPress salts hold blanks). */
function scrubSetterCalls(text: string): string {
	if (!text.includes('(')) return text;
	const spans: Array<[number, number]> = [];
	SETTER_CALL.lastIndex = 0;
	for (let match = SETTER_CALL.exec(text); match; match = SETTER_CALL.exec(text)) {
		if (!isSecretName(match[2]!, true)) continue;
		const found = quotedLiteral(text, match[2]!, match.index + match[0].length);
		const span = found && secretPart(text, found.name, found.span);
		if (!span) continue;
		spans.push([span.start, span.end]);
		SETTER_CALL.lastIndex = span.end;
	}
	return redactSpans(text, spans);
}

/**
 * A read of an environment variable with a literal fallback after `||`, `??`, `or` or `?:`:
 * `process.env.DB_PASSWORD || 'hunter2'`, `os.environ.get("API_KEY") or "…"`, `getenv('X') ?: '…'`.
 * The fallback is the secret wherever the variable is unset.
 */
const ENV_FALLBACK = new RegExp(
	'(?:\\b(?:process\\.env|import\\.meta\\.env)\\.([A-Za-z_]\\w{0,80})' +
		'|(?:\\bprocess\\.env|\\bos\\.environ|\\bENV|\\$_ENV|\\$_SERVER)\\[[ \\t]*(["\'])([A-Za-z_][\\w.-]{0,80})\\2[ \\t]*\\]' +
		'|\\b(?:os\\.environ\\.get|os\\.getenv|getenv|env|ENV\\.fetch|System\\.getenv)\\([ \\t]*(["\'])([A-Za-z_][\\w.-]{0,80})\\4[ \\t]*\\))' +
		'[ \\t]*(?:\\|\\||\\?\\?|\\bor\\b|\\?:)[ \\t]*(?=["\'])',
	'g',
);

/** Redacts the literal fallback (ENV_FALLBACK) of a read of a secret environment variable. */
function scrubEnvFallbacks(text: string): string {
	if (!/env|ENV/.test(text)) return text;
	const spans: Array<[number, number]> = [];
	ENV_FALLBACK.lastIndex = 0;
	for (let match = ENV_FALLBACK.exec(text); match; match = ENV_FALLBACK.exec(text)) {
		const name = match[1] ?? match[3] ?? match[5]!;
		if (!isSecretName(name, true)) continue;
		const found = quotedLiteral(text, name, match.index + match[0].length);
		const span = found && secretPart(text, found.name, found.span);
		if (!span) continue;
		spans.push([span.start, span.end]);
		ENV_FALLBACK.lastIndex = span.end;
	}
	return redactSpans(text, spans);
}

/**
 * The part of a secret setting's value to redact, or undefined when it is no secret. Keys and
 * tokens hold no blanks (passwords may): one followed by a comment, or that looks like a
 * credential, is redacted up to the blank; one followed by more words is prose ("Token: the unit
 * a model reads"). Placeholders are no secret, nor a number under a token name (a count).
 */
function secretPart(text: string, name: string, span: ValueSpan): ValueSpan | undefined {
	let value = text.slice(span.start, span.end);
	if (/\s/.test(value) && !/pass|pwd/i.test(name) && !span.block && !span.literal) {
		// A value may start with a blank other than space or tab (a no-break space pasted from a page).
		const first = /^\S*/.exec(value)![0];
		if (first === '') return undefined;
		if (!/^\s+(?:#|;|\/\/)/.test(value.slice(first.length)) && !looksLikeCredential(first)) return undefined;
		span = {start: span.start, end: span.start + first.length};
		value = first;
	}
	if (isPlaceholder(value) || (nameSecrecy(name) === 'token' && /^\d+$/.test(value))) return undefined;
	if (span.literal && isCodeWord(value)) return undefined;
	return span;
}

/** A key or token rather than a word: 12 or more characters of the kinds keys use, with letters and digits. */
function looksLikeCredential(value: string): boolean {
	return value.length >= 12 && /^[A-Za-z0-9_+/=.~-]+$/.test(value) && /\d/.test(value) && /[A-Za-z]/.test(value);
}

/**
 * A secret name written as two words ("API key: …", "Secret Key = …"): the word before a name
 * that is not secret by itself, when the two together are.
 */
function spacedName(text: string, found: FoundName): FoundName | undefined {
	if (found.quoted || text[found.index - 1] !== ' ' || /[^A-Za-z]/.test(found.name)) return undefined;
	let start = found.index - 1;
	while (start > 0 && found.index - 1 - start < 30 && /[A-Za-z]/.test(text[start - 1]!)) start--;
	if (start === found.index - 1 || (start > 0 && isNameCode(text.charCodeAt(start - 1)))) return undefined;
	const name = `${text.slice(start, found.index - 1)} ${found.name}`;
	return isSecretName(name) ? {index: start, name, quoted: false, blanks: found.blanks} : undefined;
}

/**
 * A YAML block scalar (`password: |` or `>`, with chomping and indentation marks) after a secret
 * name: its lines, from the first non-blank character to the end of the last line indented deeper
 * than the name's line.
 */
function blockScalarSpan(text: string, at: number, lineStart: number): ValueSpan | undefined {
	const header = /[|>][-+]?[1-9]?[-+]?[ \t]*(?:#[^\n]*)?\r?\n/y;
	header.lastIndex = at;
	if (!header.exec(text)) return undefined;
	// A tab indents the name's line as it indents the block's lines (which count it below): were it no
	// indent here, headers indented by tabs would each read every later one into their block.
	let indent = 0;
	while (text[lineStart + indent] === ' ' || text[lineStart + indent] === '\t' || text[lineStart + indent] === '-') indent++;
	let line = header.lastIndex;
	let start = -1;
	let end = -1;
	while (line < text.length) {
		let lineEnd = text.indexOf('\n', line);
		if (lineEnd === -1) lineEnd = text.length;
		let first = line;
		while (first < lineEnd && (text[first] === ' ' || text[first] === '\t')) first++;
		const blank = first === lineEnd || (text[first] === '\r' && first + 1 === lineEnd);
		if (!blank) {
			if (first - line <= indent) break;
			if (start === -1) start = first;
			end = text[lineEnd - 1] === '\r' ? lineEnd - 1 : lineEnd;
		}
		line = lineEnd + 1;
	}
	return start === -1 ? undefined : {start, end, block: true};
}

/**
 * Where a setting's value lies: inside quotes when quoted; else the rest of the line ('line'),
 * one token ('token'), or one token that ends its line or a quoted/bracketed context
 * ('token-alone', for `name: value` inside prose, so "Token budget: 4096 per reply" is left alone).
 */
function valueSpan(text: string, start: number, mode: 'line' | 'token' | 'token-alone'): ValueSpan | undefined {
	const first = text[start];
	// A quoted value inside JSON held as a string (`{\"apiKey\":\"…\"}`, escaped once or more): the
	// value runs to the same escaped quote, or to the end of the line (looked for in a bounded window).
	if (first === '\\') {
		let quoteAt = start;
		while (text[quoteAt] === '\\' && quoteAt - start < 16) quoteAt++;
		if (text[quoteAt] === '"' || text[quoteAt] === "'") {
			const window = text.slice(quoteAt + 1, quoteAt + 1 + 8192);
			let end = window.indexOf(text.slice(start, quoteAt + 1));
			const lineEnd = window.indexOf('\n');
			if (end === -1 || (lineEnd !== -1 && lineEnd < end)) end = lineEnd === -1 ? window.length : lineEnd;
			return end > 0 ? {start: quoteAt + 1, end: quoteAt + 1 + end} : undefined;
		}
	}
	if (first === '"' || first === "'") {
		let end = start + 1;
		while (end < text.length && text[end] !== first && text[end] !== '\n') end += text[end] === '\\' ? 2 : 1;
		return end > start + 1 ? {start: start + 1, end: Math.min(end, text.length)} : undefined;
	}
	if (mode === 'line') {
		let end = text.indexOf('\n', start);
		if (end === -1) end = text.length;
		while (end > start && /\s/.test(text[end - 1]!)) end--;
		if (first === '{' || first === '[' || first === '|' || first === '>' || end === start) return undefined;
		return {start, end};
	}
	SETTING_VALUE.lastIndex = start;
	const found = SETTING_VALUE.exec(text);
	if (!found) return undefined;
	// `token=$(curl …)`, `key=(…)`: a command or an expression computes the value; nothing is written there.
	if (/^(?:\$\(|\(|`)/.test(found[0])) return undefined;
	// `f(api_key=value)`: the call's closing brackets are not the value's.
	const kept = withoutUnbalancedClosers(found[0]);
	if (kept === '') return undefined;
	const end = start + kept.length;
	if (mode === 'token-alone' && !/^[ \t]*(?:$|[\r\n"',;}\]])/.test(text.slice(end, end + 40))) return undefined;
	return {start, end};
}

/** `value)` → `value`, `a(b)` kept: closing brackets at the end that nothing in the token opened. */
function withoutUnbalancedClosers(token: string): string {
	if (!/[)\]}]$/.test(token)) return token;
	// Opens minus closes of each kind in the token, counted once (a count per closer stripped was quadratic in a run of them).
	const balance: Record<string, number> = {')': 0, ']': 0, '}': 0};
	const closer: Record<string, string> = {'(': ')', '[': ']', '{': '}'};
	for (const char of token) {
		if (char in closer) balance[closer[char]!]!++;
		else if (char in balance) balance[char]!--;
	}
	let end = token.length;
	// The last closer stays when the body before it holds more opens than closes of its kind.
	while (end > 0 && ')]}'.includes(token[end - 1]!) && balance[token[end - 1]!]! + 1 <= 0) {
		balance[token[end - 1]!]!++;
		end--;
	}
	return token.slice(0, end);
}

function scrubOnce(text: string): string {
	let out = scrubQueryParams(text);
	out = applySteps(out, PATTERNS);
	out = applySteps(out, XML_PATTERNS);
	out = scrubSetterCalls(out);
	out = scrubEnvFallbacks(out);
	out = scrubAssignments(out);
	out = scrubTableRows(out);
	out = applySteps(out, VENDOR_PATTERNS);
	return out;
}

/**
 * Redacts credentials embedded in free text; returns the text unchanged when there are none.
 * Idempotent (scrubbing scrubbed text changes nothing), so restore can compare a live value
 * scrubbed the same way against the backup's: the passes are repeated until nothing changes,
 * in case one pattern's redaction uncovers another's match.
 */
export function scrubText(text: string): string {
	let out = text;
	for (let pass = 0; pass < 4; pass++) {
		const next = scrubOnce(out);
		if (next === out) return out;
		out = next;
	}
	return out;
}

/**
 * Tools whose short options carry a password: the option, whether its value may be attached
 * (`-pSECRET`) or be the next element, and the subcommand it needs when it means something else
 * elsewhere (`docker run -p` is a port). Each counts only after its tool (and subcommand) in the
 * list; `valueOptions` when the tool's options end at the program it runs (`sshpass -p X ssh -p
 * 2222`: the second is ssh's port), naming its options that take a value.
 */
const ARGV_PASSWORD_OPTIONS: Array<{tool: RegExp; option: string; attached: boolean; separate: boolean; subcommand?: string; valueOptions?: readonly string[]}> = [
	{tool: /(?:^|\/)sshpass$/, option: '-p', attached: true, separate: true, valueOptions: ['-f', '-d', '-p', '-P']},
	{tool: /(?:^|\/)(?:docker|podman|nerdctl|buildah|skopeo|oras)$/, option: '-p', attached: true, separate: true, subcommand: 'login'},
	{tool: /(?:^|\/)redis-cli$/, option: '-a', attached: false, separate: true},
	{tool: /(?:^|\/)(?:mysql|mysqldump|mysqladmin|mysqlimport|mariadb|mariadb-dump)$/, option: '-p', attached: true, separate: false},
];
/** curl, whose `-uuser:pass` keeps its user. */
const ARGV_CURL = /(?:^|\/)curl$/;

/** Where a tool of ARGV_PASSWORD_OPTIONS stands in a list: not seen, seen but before its subcommand, or its options being read. */
type ToolStage = 'unseen' | 'tool' | 'options';

/**
 * Secrets an argument list holds in the element after a flag (`["--api-key", "X"]`,
 * `["-u", "user:pass"]`, `["sshpass", "-p", "X"]`, `["docker", "login", "-p", "X"]`): indexes to redact, and the replacement.
 * `command` is the program the list belongs to, when it is named beside it.
 */
function argvSecrets(args: readonly unknown[], command: string | undefined): Map<number, string> {
	const out = new Map<number, string>();
	const stages = ARGV_PASSWORD_OPTIONS.map(entry => (command !== undefined && entry.tool.test(command) ? (entry.subcommand ? 'tool' : 'options') : 'unseen') as ToolStage);
	let curl = command !== undefined && ARGV_CURL.test(command);
	const prompting = [command, ...args].some(tool => typeof tool === 'string' && PROMPTING_TOOL.test(tool));
	args.forEach((arg, index) => {
		if (typeof arg !== 'string') return;
		const next = args[index + 1];
		ARGV_PASSWORD_OPTIONS.forEach((entry, which) => {
			if (entry.tool.test(arg)) stages[which] = entry.subcommand ? 'tool' : 'options';
			else if (stages[which] === 'tool' && arg === entry.subcommand) stages[which] = 'options';
			else if (stages[which] === 'options') toolOption(entry, arg, next, index, out);
			if (stages[which] === 'options' && entry.valueOptions && !arg.startsWith('-') && !entry.tool.test(arg) && !entry.valueOptions.includes(String(args[index - 1]))) stages[which] = 'unseen';
		});
		if (ARGV_CURL.test(arg)) curl = true;
		const user = curl ? /^-u([^\s:-][^:]*):(?!\d+$)(.+)$/.exec(arg) : null;
		if (user && redactedArgument(user[2]!) !== undefined) out.set(index, `-u${user[1]}:${M}`);
		if (typeof next !== 'string' || next.startsWith('-') || isPlaceholder(next)) return;
		const flag = /^--?([A-Za-z][\w-]{0,60})$/.exec(arg);
		if (!flag) return;
		if (arg === '--password' && prompting) return;
		if (isSecretName(flag[1]!)) out.set(index + 1, M);
		else if (['-u', '--user', '--proxy-user'].includes(arg) && /^[^:]+:(?!\d+$).+/.test(next)) out.set(index + 1, `${next.slice(0, next.indexOf(':'))}:${M}`);
	});
	return out;
}

/** A tool's password option in an argument list (ARGV_PASSWORD_OPTIONS), attached or followed by its value. */
function toolOption(entry: (typeof ARGV_PASSWORD_OPTIONS)[number], arg: string, next: unknown, index: number, out: Map<number, string>): void {
	if (!arg.startsWith(entry.option)) return;
	if (arg.length > entry.option.length) {
		if (entry.attached && !isPlaceholder(arg.slice(entry.option.length))) out.set(index, `${entry.option}${M}`);
	} else if (entry.separate && typeof next === 'string' && !next.startsWith('-') && !isPlaceholder(next)) {
		out.set(index + 1, M);
	}
}

/**
 * Redacts a JSON document: every leaf under a secret name at any depth, as secret-names.ts rules
 * (strings and numbers under a strong name, strings under a token name, credential-shaped values
 * under a weak one like `key`; in objects and arrays alike), the value beside a secret name in a
 * name/value pair (`{"name": "Authorization", "value": …}`), credentials embedded in any other
 * string, and secrets passed as separate arguments in string arrays (`args: ["--token", "X"]`).
 * Works on the document's tree (json-text.ts), duplicated keys included; returns the values to
 * put in place of the redacted ones and the dotted paths that were changed.
 */
/** A name that, over an object, names a section of settings rather than a secret (`Jwt`). */
function isSectionName(key: string): boolean {
	return nameWords(key).at(-1) === 'jwt';
}

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

function redactNode(root: JsonNode): {replace: Map<JsonNode, unknown>; redacted: string[]} {
	const redacted: string[] = [];
	const replace = new Map<JsonNode, unknown>();
	const put = (node: JsonNode, value: unknown, trail: string) => {
		replace.set(node, value);
		redacted.push(trail);
	};
	const walk = (node: JsonNode, trail: string, secrecy: Secrecy | undefined, command?: string, schemaMembers = false, section?: Secrecy): void => {
		if (node.kind === 'array') {
			const argv = secrecy && secrecy !== 'weak' ? new Map<number, string>() : argvSecrets(node.items.map(item => (item.kind === 'string' ? item.value : null)), command);
			node.items.forEach((item, index) => {
				const replacement = argv.get(index);
				if (replacement === undefined || (item.kind === 'string' && item.value === replacement)) walk(item, `${trail}[${index}]`, secrecy);
				else put(item, replacement, `${trail}[${index}]`);
			});
		} else if (node.kind === 'object') {
			const sibling = memberOf(node, 'command');
			const pair = pairSecrecy(node.entries.map(({key, value}) => ({key, value: value.kind === 'string' ? value.value : undefined})));
			for (const {key, value} of node.entries) {
				// In a JSON Schema (a tool's input schema, an OpenAPI body) `properties: {password: {type:
				// "string", minLength: 8}}` names a parameter and describes it: no value is held there.
				const described = schemaMembers && isSchemaDefinition(value);
				const carried = stronger(pair, section);
				const own = described ? undefined : carried && isValueField(key) ? stronger(nameSecrecy(key), carried) : nameSecrecy(key);
				const next = trail ? `${trail}.${key}` : key;
				const schema = SCHEMA_CONTAINERS.has(key) && value.kind === 'object';
				// `"Jwt": {"Issuer": …, "Audience": …, "SigningKey": …}`, the .NET configuration section, holds
				// settings judged by their own names (a `value` field takes its secrecy); any other secret
				// name holds secrets throughout (`"oauth": {"refresh": …}`, `"accessTokens": {"ci": …}`).
				if (value.kind === 'object' && own !== undefined && isSectionName(key)) walk(value, next, secrecy, undefined, schema, own);
				else walk(value, next, stronger(secrecy, own), sibling?.kind === 'string' ? sibling.value : undefined, schema);
			}
		} else if (node.kind === 'string' && node.value.length > 0) {
			if (isSecretLeaf(secrecy, node.value)) {
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
	return {replace, redacted};
}

/** redactNode over a parsed document: the redacted copy (own properties only, so `__proto__` keys stay keys). */
export function redactJson(value: unknown): {value: unknown; redacted: string[]} {
	const {node, replace, redacted} = redactionOf(value);
	return {value: redacted.length > 0 ? nodeValue(node, replace) : value, redacted};
}

/**
 * A parsed document as a tree, and what a backup would put in place of each of its values (the
 * marker for a secret, a string with its embedded credentials scrubbed): for views that mask live
 * secrets by the very decisions a backup makes (conflict-detail.ts).
 */
export function redactionOf(value: unknown): {node: JsonNode; replace: ReadonlyMap<JsonNode, unknown>; redacted: string[]} {
	const node = valueNode(value);
	return {node, ...redactNode(node)};
}

/**
 * redactNode over a JSON text: the same text with only the redacted values rewritten, so keys,
 * duplicated keys, numbers and formatting stay byte for byte. Throws SyntaxError if not JSON.
 */
export function redactJsonText(text: string): {text: string; redacted: string[]} {
	const node = parseJsonText(text);
	const {replace, redacted} = redactNode(node);
	if (redacted.length === 0) return {text, redacted};
	return {text: spliceJson(text, [...replace].map(([target, value]) => ({node: target, text: JSON.stringify(value)}))), redacted};
}

/**
 * A `scrub` column's value as it goes into a backup: JSON documents are redacted like config files
 * (only the redacted values rewritten, so the rest stays byte-identical), other text has embedded
 * credentials scrubbed.
 */
export function scrubColumnValue(text: string): string {
	return scrubColumnText(text, 0);
}

function scrubColumnText(text: string, depth: number): string {
	const trimmed = text.trimStart();
	if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
		try {
			return redactJsonText(text).text;
		} catch {
			// Not JSON after all: treat as text.
		}
	}
	// A JSON string holding a JSON document (a value serialized twice): the inner document is redacted
	// like one, and the string written back (as JSON.stringify writes it) only when something changed.
	if (trimmed.startsWith('"') && depth < 4) {
		let inner: unknown;
		try {
			inner = JSON.parse(text);
		} catch {
			inner = undefined;
		}
		if (typeof inner === 'string' && /^\s*[[{"]/.test(inner)) {
			const scrubbed = scrubColumnText(inner, depth + 1);
			return scrubbed === inner ? text : JSON.stringify(scrubbed);
		}
	}
	return scrubText(text);
}

/** 1-based numbers of the lines of a text that hold a redaction marker. */
export function markerLines(text: string): number[] {
	const lines: number[] = [];
	text.split('\n').forEach((line, index) => {
		if (line.includes(M)) lines.push(index + 1);
	});
	return lines;
}

type TextEncoding = 'utf8' | 'utf16le' | 'utf16be' | 'latin1';

/**
 * How a text file's bytes read as text: UTF-16 when it starts with its byte order mark, or has
 * none but zero bytes in every other place (what Windows tools write: "Unicode" in Notepad,
 * PowerShell 5's `>`) and decodes cleanly; else UTF-8 when valid; else Latin-1, which keeps every
 * byte. The mark, when there is one, stays in the text (it is written back as it was).
 */
function decodeText(bytes: Buffer): {encoding: TextEncoding; text: string} {
	const utf16 = (encoding: 'utf16le' | 'utf16be') => {
		if (bytes.length % 2 !== 0) return undefined;
		try {
			return new TextDecoder(encoding === 'utf16le' ? 'utf-16le' : 'utf-16be', {fatal: true, ignoreBOM: true}).decode(bytes);
		} catch {
			return undefined;
		}
	};
	const bom = bytes[0] === 0xff && bytes[1] === 0xfe ? 'utf16le' : bytes[0] === 0xfe && bytes[1] === 0xff ? 'utf16be' : looksUtf16(bytes);
	if (bom) {
		const text = utf16(bom);
		if (text !== undefined) return {encoding: bom, text};
	}
	try {
		return {encoding: 'utf8', text: new TextDecoder('utf-8', {fatal: true, ignoreBOM: true}).decode(bytes)};
	} catch {
		return {encoding: 'latin1', text: bytes.toString('latin1')};
	}
}

/** BOM-less UTF-16: zero bytes in at least a third of one parity's places (ASCII in UTF-16) and in almost none of the other's. */
function looksUtf16(bytes: Buffer): 'utf16le' | 'utf16be' | undefined {
	const length = Math.min(bytes.length, 8192) & ~1;
	if (length < 4) return undefined;
	let even = 0;
	let odd = 0;
	for (let index = 0; index < length; index += 2) {
		if (bytes[index] === 0) even++;
		if (bytes[index + 1] === 0) odd++;
	}
	const pairs = length / 2;
	if (odd >= pairs / 3 && even <= pairs / 50) return 'utf16le';
	if (even >= pairs / 3 && odd <= pairs / 50) return 'utf16be';
	return undefined;
}

function encodeText(text: string, encoding: TextEncoding): Buffer {
	if (encoding !== 'utf16be') return Buffer.from(text, encoding);
	return Buffer.from(text, 'utf16le').swap16();
}

/** What a file scrubbed in place is replaced by when a secret is still seen in it read another way (see scrubTextBytes). */
export const UNREADABLE_TEXT_NOTE = `${M}\nLifeboat: this file's text encoding could not be read safely and a credential was seen in it, so its whole content was left out.\n`;

/**
 * A text file (an agent's markdown or notes) as it goes into a backup: credentials scrubbed like
 * free text. A file with nothing to scrub comes back as the very same bytes. It is read as UTF-16
 * (with its byte order mark, or without one when zero bytes say so), UTF-8, or else Latin-1 (which
 * keeps every byte around the redactions), and written back in the same encoding. A file holding
 * zero bytes is also checked read with them dropped (UTF-16 or UTF-32 that did not decode, text
 * with NULs in it): if a secret still shows there, the whole file is replaced by
 * UNREADABLE_TEXT_NOTE, since where to redact in its own encoding is not known. `count` is the
 * number of markers the scrubbed file holds and `lines` where they are (for the re-enter notes).
 */
export function scrubTextBytes(bytes: Buffer): {bytes: Buffer; count: number; lines: number[]} {
	const {encoding, text} = decodeText(bytes);
	const scrubbed = scrubText(text);
	const out = scrubbed === text ? bytes : encodeText(scrubbed, encoding);
	if (out.includes(0)) {
		const view = out.toString('latin1').replaceAll('\0', '');
		if (scrubText(view) !== view) return {bytes: Buffer.from(UNREADABLE_TEXT_NOTE, 'utf8'), count: 1, lines: [1]};
	}
	if (scrubbed === text) return {bytes, count: 0, lines: []};
	return {bytes: out, count: scrubbed.split(M).length - 1, lines: markerLines(scrubbed)};
}

/** The markers a scrubbed text file holds (read in its own encoding, as scrubTextBytes reads it): how many and on which lines. */
export function textFileMarkers(bytes: Buffer): {count: number; lines: number[]} {
	const {text} = decodeText(bytes);
	return {count: text.split(M).length - 1, lines: markerLines(text)};
}

export function isRedacted(value: unknown): boolean {
	return value === M;
}
