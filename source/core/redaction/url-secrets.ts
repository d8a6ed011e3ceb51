import {isPlaceholder, isSecretName, M, redactSpans, SETTING_VALUE, SKIP} from './text-steps.js';

/** A URL's scheme, as a look-behind's start (`https:`, `git+ssh:`). */
const SCHEME = '\\b[a-z][a-z0-9+.-]{0,30}:';

/**
 * Where a URL's password starts: after `scheme://user:` (the scheme is looked for behind '://' so
 * the search only stops at colons, not at every word). A user holds no '[' or ']':
 * `http://[::1]:5173/@vite/client` is an IPv6 host, a port and a path. A user may be an address
 * (`smtp://ops@acme.example:pw@smtp.example`).
 */
const URL_USERINFO = new RegExp(`:(?<=${SCHEME})\\/\\/[^\\s:@\\/?#"'<>[\\]]*(?:@[A-Za-z0-9-]{1,63}(?:\\.[A-Za-z0-9-]{1,63}){1,10})?:${SKIP}`, 'gi');
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
		// After an address user (`git@github.com:acme/tool.git@v1.2.0`: an scp-style path and a ref) a password holds no '/'.
		if (match[0].slice(3).includes('@') && text.slice(start, end).includes('/')) continue;
		spans.push([start, end]);
		URL_USERINFO.lastIndex = end;
	}
	return spans;
}

/**
 * A user name that is a token (`https://<PAT>@github.com/…`, `https://<PAT>:x-oauth-basic@…`: how
 * GitHub, Gitea and Azure DevOps tokens are pasted): 32 or more hex digits, or 40 or more letters
 * and digits with four digits or more (an account name is shorter, or has words apart). Only
 * before an '@' (directly, or after a password), so a long host name before its port is left alone.
 */
const URL_TOKEN_USER = new RegExp(
	`(?<=${SCHEME}\\/\\/)${SKIP}(?:[0-9a-f]{32,200}(?![A-Za-z0-9_-])|(?=(?:[A-Za-z]{0,200}\\d){4})(?=[0-9]{0,200}[A-Za-z])[A-Za-z0-9]{40,200}(?![A-Za-z0-9_-]))(?=@|:(?:\\[REDACTED[^\\]]{0,60}\\]|[^\\s/?#@]{0,200})@)`,
	'gi',
);

export function scrubUrlPasswords(text: string): string {
	if (!text.includes('://')) return text;
	return redactSpans(text, urlPasswordSpans(text)).replace(URL_TOKEN_USER, M);
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
export function scrubEncodedUrls(text: string): string {
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
	'x-amz-signature', 'x-amz-security-token', 'x-goog-signature', 'x-ms-signature', 'x-oss-signature', 'token_auth', 'pw', 'pat', 'appid',
	'api_token', 'apitoken', 'access_key', 'accesskey', 'subscription-key', 'subscription_key',
]);

function isSecretQueryName(name: string): boolean {
	// A form field of a framework's nested names (`user[password]`, `auth[api_key]`): its last part.
	const part = /\[([^\]]*)\]$/.exec(name)?.[1] ?? name;
	return SECRET_QUERY_NAMES.has(part.toLowerCase()) || isSecretName(part);
}

/** Where a query parameter's name starts: after `? & ; #`, or one of them percent-encoded (once or twice); `a[b][c]` names a form's nested field. */
const QUERY_HEAD = /(?:[?&;#]|%(?:25)?(?:3F|26|23|3B))([A-Za-z][\w.-]{0,60}(?:\[[\w.-]{0,60}\]){0,4})(=|%(?:25)?3D)/gi;
/** A plain value runs to `&`; a `#` is taken with it (a password pasted unencoded, or a fragment: losing one costs nothing). */
const PLAIN_QUERY_VALUE = /[^&\s;"'<>]+/y;
const ENCODED_QUERY_VALUE = /(?:[^&\s#;"'<>%]|%(?!(?:25)?(?:26|23|3B)))+/iy;

/**
 * Query and fragment parameters under a secret name (SECRET_QUERY_NAMES), also percent-encoded
 * inside another parameter (`?next=%2Fcb%3Faccess_token%3D…`): a plain value ends at `&` (or a
 * blank, quote or `;`), an encoded one at `%26`. Parameters inside a value are looked for too (a harmless `next=` holds them).
 */
export function scrubQueryParams(text: string): string {
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
