import {scrubAssignments, scrubEnvFallbacks, scrubSetterCalls} from './assignments.js';
import {COMMAND_LINE_PATTERNS} from './command-lines.js';
import {scrubTableRows, XML_PATTERNS} from './markup.js';
import {applySteps, AUTH_SCHEMES, isPlaceholder, keepHead, M, SKIP, type Replacer, type Step} from './text-steps.js';
import {scrubEncodedUrls, scrubQueryParams, scrubUrlPasswords} from './url-secrets.js';

/**
 * Credentials inside ordinary-looking text, in the order they are looked for: whole private key
 * blocks first (so nothing else chews on them), then URLs and headers, then command lines and
 * name=value settings (before vendor formats, so `OPENAI_API_KEY=sk-…` loses its whole value),
 * then vendor key formats anywhere. Every replacement leaves REDACTED_MARKER, and no pattern
 * matches its own output (a value starting with the marker is skipped), which keeps scrubbing
 * idempotent. Every repetition is bounded or anchored, so work stays linear in the text.
 */
const PATTERNS: Step[] = [
	// A whole block; one cut before its END line is scrubCutKeyBlocks'. A block ends at the next
	// BEGIN (so many BEGINs without an END cost one pass, not one per BEGIN).
	[
		/-----BEGIN ((?:[A-Z0-9]+ ){0,4})PRIVATE KEY( BLOCK)?-----(?:(?!-----BEGIN )[\s\S])*?-----END \1PRIVATE KEY\2-----/g,
		(_match, label = '', block = '') => `-----BEGIN ${label}PRIVATE KEY${block}-----\n${M}\n-----END ${label}PRIVATE KEY${block}-----`,
	],
	scrubCutKeyBlocks,
	scrubUrlPasswords,
	scrubEncodedUrls,
	[new RegExp(`(hooks\\.slack\\.com\\/(?:services|workflows|triggers)\\/)${SKIP}[A-Za-z0-9_\\/-]+`, 'gi'), keepHead],
	[new RegExp(`(discord(?:app)?\\.com\\/api\\/webhooks\\/\\d+\\/)${SKIP}[A-Za-z0-9_-]+`, 'gi'), keepHead],
	// Webhooks whose path is the secret: Teams' IncomingWebhook, Zapier's catch hooks, IFTTT's key,
	// PagerDuty's integration key, and Mattermost's or Rocket.Chat's https://host/hooks/<id>[/<token>]
	// (right after the host; an id of 17 or more letters and digits, a digit among them: a code
	// path like `src/hooks/useAuth2/…` or `/api/hooks/12` is no URL of that shape).
	[new RegExp(`(\\.office(?:365)?\\.com\\/webhook(?:b2)?\\/[^\\s\\/]{1,300}\\/IncomingWebhook\\/)${SKIP}[A-Za-z0-9_\\/-]+`, 'gi'), keepHead],
	[new RegExp(`(hooks\\.zapier\\.com\\/hooks\\/catch\\/\\d+\\/)${SKIP}[A-Za-z0-9_-]+`, 'gi'), keepHead],
	[new RegExp(`(ifttt\\.com\\/(?:trigger\\/[^\\s\\/]{1,100}\\/(?:json\\/)?with\\/key|use)\\/)${SKIP}[A-Za-z0-9_-]+`, 'gi'), keepHead],
	[new RegExp(`(events\\.(?:eu\\.)?pagerduty\\.com\\/integration\\/)${SKIP}[A-Za-z0-9_-]+`, 'gi'), keepHead],
	[new RegExp(`(:\\/\\/[A-Za-z0-9.-]{1,253}(?::\\d{1,5})?\\/hooks\\/)${SKIP}(?=[A-Za-z]{0,100}\\d)(?=[A-Za-z0-9]{17,200}(?:\\/[A-Za-z0-9]{8,200})?(?![A-Za-z0-9_.-]))[A-Za-z0-9\\/]+`, 'g'), keepHead],
	[new RegExp(`\\b((?:bot)?\\d{6,12}:)${SKIP}[A-Za-z0-9_-]{30,}`, 'g'), keepHead],
	// An Authorization header: after a known scheme anything; without one, a value that looks like a
	// credential (a digit or symbol in it, or long), so "Authorization: required for admins" stays.
	[
		new RegExp(`\\b((?:Proxy-)?Authorization["']?\\s*[:=]\\s*["']?)(?:((?:${AUTH_SCHEMES})\\s+)${SKIP}[^\\s"',;]+|${SKIP}(?=[^\\s"',;]*[0-9+/=_.-]|[^\\s"',;]{20})[^\\s"',;]+)`, 'gi'),
		(match, header: string, scheme = '') => (isPlaceholder(match.slice(header.length + scheme.length).replace(/[`.)\]]+$/, '')) ? match : `${header}${scheme}${M}`),
	],
	// Cookies: every value of a Cookie header or curl's `-b`/`--cookie` (which of them is the session
	// cannot be told), the cookie of a Set-Cookie (its attributes, Path, Expires…, are no secret).
	// An LDAP tool's `-b` is the search base (`ldapsearch -b dc=example,dc=com`).
	[
		/(\bSet-Cookie["']?[ \t]*:[ \t]*|\bCookie["']?[ \t]*:[ \t]*|(?:^|[ \t])(?:-b(?<!(?:^|[\s;&|(])ldap[a-z]*[ \t](?:(?!\bcurl\b)[^\n|;&]){0,400}-b)|--cookie)(?:[ \t]+|=)["']?)([^\r\n"']{1,8192})/gim,
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
	...COMMAND_LINE_PATTERNS,
];

const CUT_KEY_BEGIN = /-----BEGIN ((?:[A-Z0-9]+ ){0,4})PRIVATE KEY( BLOCK)?-----/g;
/**
 * What ends a line of a cut key block: a line break (group 1; also as written inside a JSON or C
 * string), or what is surely no key material: prose (two words of small letters), another block,
 * a quote (a string's end).
 */
const KEY_EVENT = /(\r\n|\n|\r|\\r\\n|\\n)|\b[a-z]{2,}[ \t]+[a-z]{2,}\b|-----(?:BEGIN|END) |["'`]/g;
/** A line that starts a heading or a fence. */
const KEY_LINE_HEAD = /[ \t]*(?:#|```|~~~)/y;

/**
 * A private key block cut before its END line (pasted in part): everything after its BEGIN up to
 * the first line that is surely no key material (prose, a heading, a fence, another block, the
 * end of a quoted string; at most 256 lines), blank lines included, so a line of key cut short
 * (`…`, ` (truncated)`) or a key on the BEGIN line itself goes too; a BEGIN line quoted in prose
 * leaves the text after it alone. Linear: each step searches only to the next line break or stop,
 * and a BEGIN's scan stops at the next block.
 */
function scrubCutKeyBlocks(text: string): string {
	if (!text.includes('PRIVATE KEY')) return text;
	let out = '';
	let copied = 0;
	CUT_KEY_BEGIN.lastIndex = 0;
	for (let match = CUT_KEY_BEGIN.exec(text); match; match = CUT_KEY_BEGIN.exec(text)) {
		const head = match.index + match[0].length;
		if (/^(?:\r?\n|\\n)\[REDACTED/.test(text.slice(head, head + 12))) continue;
		const {end, escaped} = cutKeyEnd(text, head);
		if (text.slice(head, end).trim() === '') continue;
		out += text.slice(copied, head) + (escaped ? '\\n' : '\n') + M;
		copied = end;
		CUT_KEY_BEGIN.lastIndex = Math.max(CUT_KEY_BEGIN.lastIndex, end);
	}
	return copied === 0 ? text : out + text.slice(copied);
}

/** One character of key material: base64's, and `\/` (a slash as JSON may escape it). */
const KEY_CHAR = '(?:[A-Za-z0-9+/=]|\\\\/)';
/** A run of key material, surely one: 16 characters or more. */
const KEY_RUN = new RegExp(`${KEY_CHAR}{16,}`, 'g');
/** What may follow a line's last run of key and still be key: more key characters, blanks, `...` of a key cut short. */
const KEY_TAIL = /^(?:[A-Za-z0-9+/=. \t…]|\\\/)*$/;
/** A key's short last line before a quote: one word of key characters. */
const SHORT_KEY_LINE = new RegExp(`^[ \\t]*(?:${KEY_CHAR}|\\.\\.\\.|…)+[ \\t]*$`);

/**
 * How much of the line before a stop is key material. `stop`: the character or text that stopped
 * it (undefined: the text's end, where the whole line goes); `closes`: a quote that stopped it is
 * closed again on its line (`TOKEN='X'`). A `NAME=` or `NAME:` before a quoted value closed on its
 * line is never key: what stands before it is read as before any other stop.
 */
function keyBeforeStop(line: string, stop: string | undefined, closes = false): number | undefined {
	if (stop === undefined) return line.trim() === '' ? undefined : line.length;
	const quote = /^["'`]$/.test(stop);
	if (quote && closes) {
		const name = assignmentStart(line);
		if (name !== undefined) return name === 0 ? undefined : keyRunsEnd(line.slice(0, name), false);
	}
	return keyRunsEnd(line, quote);
}

/**
 * Where a line's key ends, read by its runs: the whole line when what follows its last run of 16 or
 * more is key too (`beforeQuote`: also a key's last short line with no run at all); else the end of
 * that run, so what follows (`DEFINE('`, `{:password => '`) is left for the other patterns to read.
 */
function keyRunsEnd(line: string, beforeQuote: boolean): number | undefined {
	let end: number | undefined;
	KEY_RUN.lastIndex = 0;
	for (let run = KEY_RUN.exec(line); run; run = KEY_RUN.exec(line)) end = run.index + run[0].length;
	if (end === undefined) return beforeQuote && SHORT_KEY_LINE.test(line) ? line.length : undefined;
	return KEY_TAIL.test(line.slice(end)) ? line.length : end;
}

/**
 * Where a `NAME=` or `NAME:` that ends the line (blanks aside) starts, if it does. By hand, walking
 * back from the end: a pattern anchored at the end would try every start (quadratic on a long line).
 */
function assignmentStart(line: string): number | undefined {
	let at = line.length;
	while (at > 0 && /[ \t]/.test(line[at - 1]!)) at--;
	if (at === 0 || !/[=:]/.test(line[at - 1]!)) return undefined;
	at--;
	while (at > 0 && /[ \t]/.test(line[at - 1]!)) at--;
	const nameEnd = at;
	while (at > 0 && /[\w.-]/.test(line[at - 1]!)) at--;
	if (at === nameEnd || !/[A-Za-z_]/.test(line[at]!)) return undefined;
	// A name in one case or with `_`, `.`, `-` (`TOKEN`, `password`, `db.pass`); mixed case is a key's last short line (`q8Xz4Lm2Pw=`).
	const name = line.slice(at, nameEnd);
	if (!/[_.-]/.test(name) && /[a-z]/.test(name) && /[A-Z]/.test(name)) return undefined;
	return at === 0 || /[ \t]/.test(line[at - 1]!) ? at : undefined;
}

/** Whether the quote at `at` is closed again before its line ends (a break, or `\n` written in a string; looked for within 200 characters). */
function closedOnLine(text: string, at: number): boolean {
	const quote = text[at]!;
	if (!/["'`]/.test(quote)) return false;
	const after = text.slice(at + 1, at + 201);
	const close = after.indexOf(quote);
	const lineEnd = after.search(/[\r\n]|\\[rn]/);
	return close > 0 && (lineEnd < 0 || close < lineEnd);
}

/** Where the key material after a BEGIN at `head` ends, and whether its lines break as `\n` written in a string. */
function cutKeyEnd(text: string, head: number): {end: number; escaped: boolean} {
	let at = head;
	let end = head;
	let escaped = false;
	for (let lines = 0; lines < 256; lines++) {
		if (lines > 0) {
			KEY_LINE_HEAD.lastIndex = at;
			if (KEY_LINE_HEAD.test(text)) break;
		}
		KEY_EVENT.lastIndex = at;
		const event = KEY_EVENT.exec(text);
		const stop = event ? event.index : text.length;
		const line = text.slice(at, stop);
		if (event?.[1] === undefined) {
			const key = keyBeforeStop(line, event?.[0], event !== null && closedOnLine(text, stop));
			if (key !== undefined) end = at + key;
			break;
		}
		if (line.trim() !== '') end = stop;
		escaped ||= event[1].startsWith('\\');
		at = stop + event[1].length;
	}
	return {end, escaped};
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
	// Formats whose body is letters and digits only (so `hf_hub_download_with_retries` is left alone),
	// to the first other character (`ghp_…_token`, a name made of the token, loses it too).
	[/\b((?:sk|rk)_(?:live|test)_|gh[pousr]_|npm_|hf_|do[opr]_v1_|shp(?:at|ss|ca|pa)_)[A-Za-z0-9]{16,}(?![A-Za-z0-9])/g, (_match, prefix: string) => `${prefix}${M}`],
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
 * A Markdown label in bold or italics (`**Password:** hunter2`, `**API key**: …`, `- __Token:__ …`):
 * the line is read as the plain setting it spells (`Password: hunter2`), and only its value is
 * redacted. One line at a time, so the work stays linear.
 */
const EMPHASIZED_LABEL = /^([ \t]*(?:[-*+][ \t]+)?)(\*\*|__|\*|_)([A-Za-z][\w .-]{0,60}?)(:?)\2(:?)([ \t][^\r\n]{0,2000})$/gm;

function scrubEmphasizedLabels(text: string): string {
	if (!text.includes('*') && !text.includes('_')) return text;
	return text.replace(EMPHASIZED_LABEL, (line, lead: string, mark: string, name: string, inside: string, outside: string, rest: string) => {
		if (inside === outside) return line;
		const plain = `${name}:${rest}`;
		const scrubbed = scrubAssignments(plain);
		if (scrubbed === plain || !scrubbed.startsWith(`${name}:`)) return line;
		return `${lead}${mark}${name}${inside}${mark}${outside}${scrubbed.slice(name.length + 1)}`;
	});
}

function scrubOnce(text: string): string {
	let out = scrubQueryParams(text);
	out = applySteps(out, PATTERNS);
	out = applySteps(out, XML_PATTERNS);
	out = scrubSetterCalls(out);
	out = scrubEnvFallbacks(out);
	out = scrubAssignments(out);
	out = scrubEmphasizedLabels(out);
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
