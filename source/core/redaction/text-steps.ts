import {REDACTED_MARKER} from '../store/schema.js';
import {nameSecrecy, nameWords} from '../secret-names.js';

/** What every redaction leaves in place of a secret. */
export const M = REDACTED_MARKER;

/**
 * Whether a setting, flag or environment variable name holds a secret: a strong or token name of
 * secret-names.ts (the rule JSON keys follow), plurals aside. `envStyle` (NAME=value in upper case, as in .env
 * files and `-e` arguments) also takes the looser FOO_KEY, FOO_AUTH, FOO_PAT, FOO_PW and PEPPER.
 */
export function isSecretName(name: string, envStyle = false): boolean {
	const words = nameWords(name);
	// In text a plural is prose more often than a setting ("no secrets: https://…", "Tokens: 1200").
	const plural = /[^s]s$/.test(words.at(-1) ?? '') && !/^(?:credentials|creds)$/.test(words.at(-1)!);
	const secrecy = nameSecrecy(name);
	if (!plural && (secrecy === 'strong' || secrecy === 'token')) return true;
	if (!envStyle || !/^[A-Z0-9_]+$/.test(name)) return false;
	// A lone PEPPER too (Devise's, a password hash's): in upper case it names no spice.
	return (words.length > 1 && ['key', 'auth', 'pat', 'pw'].includes(words.at(-1)!)) || name === 'PEPPER';
}

/** PowerShell's variable scopes (`$env:TOKEN`, `$script:X`): in any case, as PowerShell reads them. */
export const POWERSHELL_SCOPES = ['env', 'script', 'global', 'local', 'using', 'private'] as const;

/** Values that stand for no secret: empty, types in code samples, variable references (a shell's $1 and $@, batch's %1, %~dp0, %%i and !VAR! too, Python's `%s`, `%(name)s` and `{name}`), booleans. */
const PLACEHOLDER = new RegExp(
	String.raw`^(?:\*+|x{3,}|\.{3}|…|<[^>]*>|\$\{[^}]*\}|\$(?:${POWERSHELL_SCOPES.join('|')}):[A-Za-z_]\w*|\$[A-Za-z_]\w*|\$[0-9@*#?]|%[A-Za-z_]\w*%|%[0-9*]|%[sdr]|%\([A-Za-z_]\w*\)s|\{[A-Za-z_][\w.]*\}|%~[A-Za-z]*[0-9*]|%%~?[A-Za-z]+|![A-Za-z_][\w.]*!|\{\{[^}]*\}\}|string|number|boolean|str|int|bool|bytes|any|unknown|null|none|nil|undefined|true|false|yes|no|required|optional)$`,
	'i',
);

export function isPlaceholder(value: string): boolean {
	const bare = value.replace(/[;,]+$/, '').trim();
	// Nagios's macros ($USER1$, $ARG1$, $_HOSTSNMPCOMMUNITY$) are upper case: `$ecret$` may be a password.
	return bare === '' || PLACEHOLDER.test(bare) || /^\$[A-Z_][A-Z0-9_]*\$$/.test(bare) || bare.includes('[REDACTED');
}

export type Replacer = (match: string, ...groups: string[]) => string;

/** Keeps the first group (what names the secret: a URL's path, a flag) and redacts the rest of the match. */
export const keepHead: Replacer = (_match, head = '') => `${head}${M}`;

/** A value already redacted is not redacted again (keeps scrubbing idempotent). */
export const SKIP = '(?!\\[REDACTED)';
/** Authorization schemes whose next word is the credential. */
export const AUTH_SCHEMES = 'Bearer|Basic|Token|Digest|Negotiate|NTLM|Bot|ApiKey|Api-Key|Key|SSWS|OAuth|Splunk|GenieKey|Client-ID|AWS4-HMAC-SHA256|DPoP|MAC|HOBA';

/** A scrubbing step: a pattern and what to put in place of each match, or a function over the whole text. */
export type Step = [RegExp, Replacer] | ((text: string) => string);

export function applySteps(text: string, steps: readonly Step[]): string {
	let out = text;
	for (const step of steps) out = typeof step === 'function' ? step(out) : out.replace(step[0], step[1] as (substring: string, ...args: unknown[]) => string);
	return out;
}

/**
 * Steps that can only match in a text where `needed` (no `g` flag) matches: one test of the text
 * instead of a scan per step, the same result.
 */
export function stepsWhere(needed: RegExp, steps: readonly Step[]): Step {
	return text => (needed.test(text) ? applySteps(text, steps) : text);
}

/** Each span of a text replaced by the marker, or by its own replacement (spans in order, not overlapping). */
export function redactSpans(text: string, spans: ReadonlyArray<readonly [number, number, string?]>): string {
	if (spans.length === 0) return text;
	let out = '';
	let copied = 0;
	for (const [start, end, replacement = M] of spans) {
		out += text.slice(copied, start) + replacement;
		copied = end;
	}
	return out + text.slice(copied);
}

/** After `;` (a connection string's `;Password=…;` as much as a URL's `;jsessionid=`) the value is a setting's token: `#` and `<` are part of it. */
export const SETTING_VALUE = /[^\s"',;&]+/y;
