/**
 * Which names hold secrets: JSON keys at any depth (appsettings.json, mcp.json, agent config.json,
 * JSON columns), the name beside a value in name/value pairs (`{"name": "OPENAI_API_KEY", "value":
 * …}`), and setting, flag and variable names in text (redaction/text-steps.ts). One rule for all of them.
 *
 * A name is split into words (camelCase, PascalCase, `-`, `_`, `.`, blanks) and judged by its LAST
 * word, so `passwordMinLength`, `tokenUrl`, `secretName` and `apiKeyHeader` are settings that only
 * mention a secret, while `AdminPin`, `SubscriptionKey` and `accessTokens` are secrets. Trailing
 * words that only say how a value is carried (`secret_value`, `SecretString`, `tokenB64`) are
 * looked through. Deliberately broad where unsure: missing a secret costs a breach, redacting a
 * harmless value costs a re-entry.
 */

/**
 * How a secret name redacts what is under it (every leaf at any depth, in objects and arrays):
 * - `strong`: any non-empty string and any number (`password`, `secret`, `apiKey`, `pin`, …);
 * - `token`: any non-empty string, but numbers are counts (`tokens: 1200`), never tokens;
 * - `weak`: an ambiguous name (`key`, `auth`, `keys`, `FOO_KEY`): only values that could be a
 *   credential, not an identifier-like word (`created_at`, `none`, `oauth2`) or a small number.
 * Booleans and null are never secrets.
 */
export type Secrecy = 'weak' | 'token' | 'strong';

const RANK: Record<Secrecy, number> = {weak: 1, token: 2, strong: 3};

/** The stronger of two (a secret object's children are at least as secret as the object). */
export function stronger(a: Secrecy | undefined, b: Secrecy | undefined): Secrecy | undefined {
	if (!a) return b;
	if (!b) return a;
	return RANK[a] >= RANK[b] ? a : b;
}

/** Last words that make a name a secret on their own (singular; a plural `s` is looked through). */
const STRONG_WORDS = new Set([
	'password', 'passwd', 'pwd', 'pass', 'passphrase', 'passcode', 'passkey', 'secret', 'credential', 'creds', 'cred', 'apikey', 'pin',
	'privatekey', 'privkey', 'secretkey', 'salt', 'dsn', 'sas', 'mnemonic', 'authorization', 'bearer', 'cookie', 'otp', 'totp', 'hotp',
	// Java's keytool and jarsigner options (`-storepass`, `-keypass`, `-srcstorepass`, `-destkeypass`).
	'storepass', 'keypass', 'srcstorepass', 'deststorepass', 'srckeypass', 'destkeypass',
	// A pre-shared key (Wi-Fi's WPA `psk`, a VPN's IPsec PSK).
	'psk',
]);
/** Last words whose values are strings when secret (`jwt`), numbers being counts (`maxTokens: 4096`). */
const TOKEN_WORDS = new Set(['token', 'jwt', 'accesstoken', 'authtoken', 'apitoken', 'refreshtoken', 'bearertoken', 'sessiontoken', 'idtoken']);
/** Last words that are secrets only when their value looks like one. */
const WEAK_WORDS = new Set(['key', 'auth', 'oauth', 'pat']);
/** Plurals that are something else: `pins` are pinned messages, `passes` runs. */
const NOT_PLURALS = new Set(['pins', 'passes']);
/** Words before a final "key" that make it a secret ("AccountKey", "aws_secret_access_key"). */
export const SECRET_KEY_QUALIFIERS = new Set([
	'api', 'access', 'account', 'secret', 'private', 'client', 'signing', 'encryption', 'master', 'auth', 'app', 'consumer',
	'subscription', 'storage', 'license', 'session', 'webhook', 'hmac', 'sas', 'service', 'admin', 'root', 'bot', 'shared',
	'decryption', 'crypto', 'aes', 'jwt', 'cipher', 'deploy', 'recovery', 'integration', 'partner', 'customer', 'developer',
	'function', 'instrumentation', 'ingestion', 'write', 'read', 'sdk', 'server', 'mcp', 'gateway', 'priv',
]);
/** Words before a final "key" that make it an identifier or a public value, not a secret. */
const PUBLIC_KEY_QUALIFIERS = new Set([
	'public', 'foreign', 'sort', 'partition', 'routing', 'idempotency', 'cache', 'hot', 'shortcut', 'dedupe', 'dedup', 'group', 'lookup',
	'index', 'unique', 'row', 'composite', 'i18n', 'translation', 'label', 'map', 'object', 'order', 'range', 'hash', 'join',
	'tenant', 'column', 'field', 'property', 'prop', 'message', 'locale', 'resource', 'setting', 'config', 'registry', 'dictionary',
	'name', 'lock', 'queue', 'topic', 'event', 'bucket', 'prefix', 'kind', 'type', 'tag', 'entity', 'record', 'cursor', 'page', 'shard'
]);
/** Words before a final "code" that make it a one-time or recovery code ("otp_code", "RecoveryCodes"). */
const SECRET_CODE_QUALIFIERS = new Set(['otp', 'totp', 'mfa', '2fa', 'auth', 'authorization', 'verification', 'recovery', 'backup', 'access', 'activation', 'reset', 'security', 'pairing', 'login', 'device']);
/**
 * Words before a final "seed" that make it the seed of one-time codes or of a wallet's keys
 * ("TOTP_SEED", "walletSeed"); a random seed is a number (`master_seed: 42` in a simulation), so a
 * number under these is kept too.
 */
const SECRET_SEED_QUALIFIERS = new Set(['otp', 'totp', 'hotp', 'mfa', '2fa', 'wallet', 'bip39']);
/** Words before a final "pepper" that make it a password hash's pepper ("PASSWORD_PEPPER"); `black_pepper` is food. */
const PEPPER_QUALIFIERS = new Set(['password', 'passwords', 'hash', 'hashing', 'secret', 'hmac', 'app', 'auth', 'server', 'api', 'db', 'devise']);
/** Words before a final "tokens" that make it a count of model tokens ("maxTokens", "prompt_tokens"). */
const COUNT_QUALIFIERS = new Set([
	'max', 'min', 'num', 'total', 'input', 'output', 'prompt', 'completion', 'cached', 'reasoning', 'context', 'remaining', 'used', 'reserved', 'thinking', 'budget', 'count',
	// A tokenizer's tokens (a model's stop sequences, its special tokens): `stop_tokens`, `eos_token`, `added_tokens`.
	'stop', 'eos', 'bos', 'pad', 'unk', 'sep', 'cls', 'mask', 'special', 'added',
]);
/** Words that say how a value is carried, looked through at the end of a name ("secret_value", "SecretString"). */
const CARRIER_WORDS = new Set([
	'value', 'val', 'string', 'str', 'text', 'data', 'raw', 'b64', 'base64', 'hex', 'bytes', 'plain', 'plaintext', 'literal', 'encoded', 'pem', 'der', 'json',
	'blob', 'bin', 'enc', 'encrypted', 'material',
]);
/** One-word names ("PGPASSWORD", "clientsecret", "subscriptionkey") ending in a secret word. */
const STRONG_ENDINGS = new RegExp(`(?:password|passwd|passphrase|passcode|secret|credential|apikey|(?:${[...SECRET_KEY_QUALIFIERS].join('|')})key)s?$`);

/** The words of a name: `ApiKeyHeader` → api, key, header; `aws_secret_access_key` → aws, secret, access, key; `2FA_SEED` → 2fa, seed. */
export function nameWords(name: string): string[] {
	return name
		// Two-factor and two-step are one word (`2FA_SEED`, `2FAToken`, `2SV_SECRET`); other digits
		// before capitals start a word of their own (`USER_2PASSWORD` → 2, password).
		.replace(/(^|[^A-Za-z0-9])2(FA|SV)(?=[^a-z]|$)/g, (_, before: string, letters: string) => `${before}2${letters.toLowerCase()}`)
		.replace(/([a-z0-9])([A-Z])/g, '$1 $2')
		.replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
		.toLowerCase()
		.split(/[^a-z0-9]+/)
		.filter(Boolean);
}

/** A word, or its singular when it is a plural (`tokens` → `token`, `credentials` → `credential`). */
function singular(word: string, set: ReadonlySet<string>): string | undefined {
	if (set.has(word)) return word;
	if (word.endsWith('s') && !NOT_PLURALS.has(word) && set.has(word.slice(0, -1))) return word.slice(0, -1);
	return undefined;
}

const known = new Map<string, Secrecy | null>();

/** How secret a name is (see Secrecy), or undefined when it names no secret. */
export function nameSecrecy(name: string): Secrecy | undefined {
	let found = known.get(name);
	if (found === undefined) {
		if (known.size > 10_000) known.clear();
		found = classify(name) ?? null;
		known.set(name, found);
	}
	return found ?? undefined;
}

function classify(name: string): Secrecy | undefined {
	// A hierarchical name (.NET `ConnectionStrings__Main`, `Section:Password`) is as secret as its most secret part.
	if (/__|:/.test(name)) return name.split(/__|:/).reduce<Secrecy | undefined>((out, part) => stronger(out, part ? classify(part) : undefined), undefined);
	const words = nameWords(name);
	for (;;) {
		const found = classifyWords(words);
		// Look through words that only say how the value is written ("access_token_value", "SecretString").
		if (found || words.length < 2 || !CARRIER_WORDS.has(words.at(-1)!)) return found;
		words.pop();
	}
}

function classifyWords(words: readonly string[]): Secrecy | undefined {
	const last = words.at(-1);
	if (!last) return undefined;
	const before = words.at(-2);
	if (singular(last, STRONG_WORDS)) return 'strong';
	if (singular(last, TOKEN_WORDS)) return before && COUNT_QUALIFIERS.has(before) ? undefined : 'token';
	if (singular(last, KEY)) {
		if (!before) return 'weak';
		if (SECRET_KEY_QUALIFIERS.has(before)) return 'strong';
		return PUBLIC_KEY_QUALIFIERS.has(before) ? undefined : 'weak';
	}
	if (singular(last, WEAK_WORDS)) return 'weak';
	if (singular(last, CODE) && before && SECRET_CODE_QUALIFIERS.has(before)) return 'strong';
	// A header or a hash named after a secret: the header's name (`apiKeyHeader: "X-Api-Key"`) or the
	// hash's algorithm (`passwordHash: "argon2id"`) is kept, a credential-shaped value
	// (`authHeader: "Basic dXNlcjpwYXNz"`, `passwordHash: "$argon2id$v=19$…"`) is not.
	if (/^(?:header|hash|digest)$/.test(last) && words.length > 1 && classifyWords(words.slice(0, -1))) return 'weak';
	// Compounds: "session id", "access key id", "connection string(s)", "database url", "seed phrase".
	if (/^ids?$/.test(last) && before === 'session') return 'token';
	// SonarQube's `sonar.login` holds its token (`SONAR_LOGIN`, `-Dsonar.login=X`, read as `Dsonar.login`); another login is a user name.
	if (last === 'login' && (before === 'sonar' || before === 'dsonar')) return 'token';
	if (last === 'id' && before === 'key' && SECRET_KEY_QUALIFIERS.has(words.at(-3) ?? '')) return 'strong';
	if (/^phrases?$/.test(last) && (before === 'seed' || before === 'recovery' || before === 'pass')) return 'strong';
	if (/^seeds?$/.test(last) && before && SECRET_SEED_QUALIFIERS.has(before)) return 'token';
	if (/^peppers?$/.test(last) && before && PEPPER_QUALIFIERS.has(before)) return 'strong';
	// Rails' `secret_key_base`: the base every key is derived from is as secret as the key.
	if (/^bases?$/.test(last) && before === 'key' && words.at(-3) === 'secret') return 'strong';
	if (/^(?:string|str)s?$/.test(last) && (before === 'connection' || before === 'conn')) return 'strong';
	if (/^urls?$/.test(last) && (before === 'database' || before === 'db')) return 'strong';
	if (/^(?:connectionstrings?|connstrs?|databaseurls?)$/.test(last)) return 'strong';
	if (words.length === 1) {
		if (STRONG_ENDINGS.test(last)) return 'strong';
		if (/tokens?$/.test(last)) return 'token';
	}
	return undefined;
}

const KEY = new Set(['key']);
const CODE = new Set(['code']);

/**
 * A short identifier-like word: `none`, `basic`, `oauth2`, `created_at`, `X-Api-Key`, `user.name`
 * (words in lower, Capitalized or camel case, one digit at most in each, short acronyms). Not a
 * credential's shape (those mix cases and digits, or run long), so a weak name keeps it.
 */
const IDENTIFIER_SEGMENT = '(?:(?:[a-z]+|[A-Z][a-z]+)(?:[A-Z][a-z]+)*(?:[0-9][a-z]*)?|[A-Z]{1,5})';
const IDENTIFIER = new RegExp(`^${IDENTIFIER_SEGMENT}(?:[-_.:/]${IDENTIFIER_SEGMENT})*$`);

/** Whether a JSON leaf (string, number, boolean or null) under a name of this secrecy is a secret to redact. */
export function isSecretLeaf(secrecy: Secrecy | undefined, value: unknown): boolean {
	if (!secrecy) return false;
	if (typeof value === 'string') {
		if (value.length === 0) return false;
		return secrecy !== 'weak' || value.length > 32 || !IDENTIFIER.test(value);
	}
	if (typeof value === 'number') {
		if (secrecy === 'strong') return true;
		// A PIN or numeric password under `key`: four digits or more; a count or index is smaller.
		return secrecy === 'weak' && Number.isInteger(value) && Math.abs(value) >= 1000;
	}
	return false;
}

/** Fields that name an entry in name/value pairs: k8s `env`, HAR and Postman headers, AWS tags, Azure app settings. */
const NAME_FIELDS = new Set(['name', 'key', 'header', 'headername', 'env', 'envname', 'envvar', 'variable', 'var', 'varname', 'variablename', 'param', 'parametername', 'paramname', 'field', 'fieldname', 'setting', 'settingname']);
/**
 * Fields that carry a named entry's payload (the value of the env variable, header or setting
 * named beside it): `value` in k8s env, HAR, Postman (with its initial and current values), AWS
 * tags and Azure settings, `val`/`values` as other tools spell it, and `content`, where templated
 * secret files put their body. Not `text`, `label`, `description`, `default` or `type`: in form and
 * tool definitions (`{"name": "password", "text": "Enter your password"}`) they describe the entry.
 */
const VALUE_FIELDS = new Set(['value', 'val', 'values', 'secretvalue', 'content', 'defaultvalue', 'initialvalue', 'currentvalue']);

const fieldName = (key: string) => key.toLowerCase().replace(/[-_.\s]/g, '');
export const isNameField = (key: string): boolean => NAME_FIELDS.has(fieldName(key));
export const isValueField = (key: string): boolean => VALUE_FIELDS.has(fieldName(key));

/**
 * The secrecy an object's name/value pair gives its value fields: `{"name": "Authorization",
 * "value": …}` → the secrecy of "Authorization". `names` are the object's string members whose
 * key is a name field; the strongest wins.
 */
export function pairSecrecy(entries: ReadonlyArray<{key: string; value: unknown}>): Secrecy | undefined {
	let out: Secrecy | undefined;
	for (const {key, value} of entries) if (typeof value === 'string' && value.length <= 120 && isNameField(key)) out = stronger(out, nameSecrecy(value));
	return out;
}
