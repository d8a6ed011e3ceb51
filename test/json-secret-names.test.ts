/**
 * JSON secrets found by name: every spelling of a secret name (camelCase, PascalCase, snake,
 * kebab, UPPER, dotted, plural), at any depth and in arrays, with a value of any type; the value
 * beside a secret name in name/value pairs; and the settings that only mention a secret word,
 * which must come through a backup unchanged (a restore into an empty gateway would otherwise
 * get the marker in place of legal data).
 */
import fc from 'fast-check';
import {describe, expect, it} from 'vitest';
import {redactJson, redactJsonText, scrubColumnValue} from '../source/core/redaction.js';
import {codecFor, sameValue} from '../source/core/rows/table-codec.js';
import {nameSecrecy} from '../source/core/secret-names.js';
import {REDACTED_MARKER, TABLES} from '../source/core/store/schema.js';

const M = REDACTED_MARKER;
const text = (value: unknown) => JSON.stringify(redactJson(value).value);

/** A name's words in every spelling a config file uses. */
function spellings(words: readonly string[]): string[] {
	const cap = (word: string) => word[0]!.toUpperCase() + word.slice(1);
	return [
		words.map((word, index) => (index === 0 ? word : cap(word))).join(''),
		words.map(cap).join(''),
		words.join('_'),
		words.join('-'),
		words.join('_').toUpperCase(),
		words.join('.'),
		words.map(cap).join('-'),
	];
}

/** Secret names as words: each must be redacted under every spelling, singular and plural. */
const SECRET_NAMES: ReadonlyArray<readonly string[]> = [
	['password'], ['db', 'password'], ['admin', 'pin'], ['pin'], ['passcode'], ['passphrase'], ['secret'], ['client', 'secret'],
	['api', 'key'], ['subscription', 'key'], ['consumer', 'key'], ['app', 'key'], ['hmac', 'key'], ['access', 'key'], ['private', 'key'],
	['signing', 'key'], ['aws', 'secret', 'access', 'key'], ['token'], ['access', 'token'], ['api', 'token'], ['refresh', 'token'],
	['jwt'], ['session', 'id'], ['credential'], ['connection', 'string'], ['database', 'url'], ['cookie'], ['bearer'], ['authorization'],
	['otp', 'code'], ['recovery', 'code'], ['secret', 'value'], ['access', 'token', 'value'], ['access', 'key', 'id'],
	['secret', 'key', 'base'], ['password', 'pepper'], ['totp', 'seed'], ['wallet', 'seed'], ['priv', 'key'], ['privkey'],
	['storepass'], ['keypass'], ['mnemonic'], ['seed', 'phrase'], ['psk'], ['wifi', 'psk'],
];

/** Names that only mention a secret word: their values are settings, kept as they are. */
const HARMLESS: Record<string, unknown> = {
	sort: {key: 'created_at', direction: 'asc'}, auth: 'none', authScheme: 'basic', provider: {auth: 'oauth2', key: 'github'},
	limits: {passwordMinLength: 12, password_max_age_days: 90, tokenLifetime: 3600, pinLength: 6}, pinned: true, pinCount: 3, spin: 2,
	pinnedMessages: ['m-1', 'm-2'], pins: ['msg-1'], tokenUrl: 'https://idp.example/token', token_endpoint: 'https://idp.example/t', secretName: 'vault-gateway',
	secretRef: 'kv/gateway', apiKeyHeader: 'X-Api-Key', api_key_env: 'OPENAI_API_KEY', passwordFile: '/run/secrets/db', keyFile: '/etc/tls/key.pem',
	maxTokens: 4096, max_tokens: 1024, MaxOutputTokens: 800, usage: {tokens: 1200, prompt_tokens: 12}, tokenizer: 'cl100k_base', author: 'Ada',
	authors: ['Ada', 'Grace'], authMode: 'oauth', primaryKey: 'id', partitionKey: '/tenantId', publicKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIexample',
	keys: ['ctrl', 'shift'], key: 'Enter', Otp_Length: 6, isAuthenticated: true, password: null, token: false, secret: '', apiKey: true,
	headers: [{name: 'Accept', value: 'application/json'}, {name: 'X-Request-Id', value: 'r-1'}], env: [{name: 'NODE_ENV', value: 'production'}],
	tags: [{Key: 'Environment', Value: 'prod'}], columns: [{key: 'name', label: 'Name'}], hotKey: 'F5', cacheKey: 'user.profile',
	fields: [{name: 'password', type: 'password', text: 'Enter your password', default: ''}], passwordHash: 'argon2id', authHeader: 'Authorization',
	recipe: {pepper: '1 tsp', black_pepper: 'a pinch', peppers: ['red', 'green']}, simulation: {master_seed: 42, seedWords: 12, totpSeed: 0}, private_key_base: '/etc/ssl/private/',
};

describe('secret names in JSON', () => {
	it('a Jwt section keeps its issuer and audience; its key and a value field are redacted; a lone jwt is', () => {
		const doc = {Jwt: {Issuer: 'https://gw.example', Audience: 'gateway-api', ExpiryMinutes: 60, SigningKey: 'LEAKjwt01signing'}, jwt: 'LEAKjwt02', session: {jwt: {value: 'LEAKjwt03', expires: '2026-12-01'}}};
		const out = text(doc);
		expect(out).not.toMatch(/LEAK/);
		for (const kept of ['https://gw.example', 'gateway-api', '"ExpiryMinutes":60', '2026-12-01']) expect(out).toContain(kept);
	});

	it('redacts every spelling of a secret name, singular and plural, whatever the value and depth', () => {
		const names = SECRET_NAMES.flatMap(words => [...spellings(words), ...spellings([...words.slice(0, -1), `${words.at(-1)}s`])])
			// A plural of a compound ending in a carrier or an id is not a name anyone writes; `pins` are pinned messages.
			.filter(name => !/(?:values|ids|pins)$/i.test(name));
		const value = fc.oneof(
			fc.constant('LEAKstring01'),
			fc.constant(48291107),
			fc.constant(['LEAKarray01', 123456789]),
			fc.constant({ci: 'LEAKobject01', nested: [{deep: 'LEAKobject02'}], count: 42424242}),
		);
		const depth = fc.array(fc.constantFrom('Kiosk', 'Settings', 'mcpServers', 'acme', '[]'), {maxLength: 4});
		fc.assert(
			fc.property(fc.constantFrom(...names), value, depth, (name, leaf, path) => {
				// Numbers under a token name are counts (`tokens: 1200`): only its strings are secrets.
				const numbers = nameSecrecy(name) === 'token' ? /(?!)/ : /48291107|123456789|42424242/;
				if (typeof leaf === 'number' && nameSecrecy(name) === 'token') return;
				// `Jwt` over an object is .NET's configuration section: its settings are judged by their own names (below).
				if (/jwt$/i.test(name) && typeof leaf === 'object' && !Array.isArray(leaf)) return;
				let doc: unknown = {[name]: leaf};
				for (const step of path.reverse()) doc = step === '[]' ? [doc] : {[step]: doc};
				const out = text(doc);
				expect(out, `${name}: ${JSON.stringify(leaf)}`).not.toMatch(/LEAK/);
				expect(out, `${name}: ${JSON.stringify(leaf)}`).not.toMatch(numbers);
				expect(out).toContain(M);
			}),
			{numRuns: 3000},
		);
	});

	it('redacts the review\'s leaks (plurals, camelCase *Key, PINs, JWTs, session ids; numbers and arrays under a secret parent)', () => {
		const leaks = {
			tokens: ['mcp_LEAK01'], accessTokens: {ci: 'LEAK02'}, apiTokens: ['LEAK03'], secrets: [123456789], keys: {prod: 'LEAK04aBcD0123456789xyz'},
			SubscriptionKey: 'LEAK05', ConsumerKey: 'LEAK06', AppKey: 'LEAK07', HmacKey: 'LEAK08', Passcode: 'LEAK09', AdminPin: 'LEAK10', pin: 918273,
			jwt: 'LEAK11', sessionId: 'LEAK12', session_id: 'LEAK13', Kiosk: {Credentials: {AdminPin: 48291107, Enabled: true}},
		};
		const out = redactJson(leaks);
		expect(JSON.stringify(out.value)).not.toMatch(/LEAK|123456789|918273|48291107/);
		expect((out.value as typeof leaks).Kiosk.Credentials).toEqual({AdminPin: M, Enabled: true});
	});

	it('redacts the value beside a secret name in name/value pairs', () => {
		const doc = {
			headers: [{name: 'Authorization', value: 'LEAKpair01'}, {name: 'Accept', value: 'text/html'}],
			env: [{name: 'OPENAI_API_KEY', value: 'LEAKpair02'}, {name: 'LOG_LEVEL', value: 'debug'}],
			header: {key: 'X-Api-Key', value: 'LEAKpair03'},
			spec: {containers: [{env: [{name: 'DB_PASSWORD', value: 'LEAKpair04'}, {name: 'PORT', value: '8080'}]}]},
			postman: {variable: [{key: 'apiToken', value: 'LEAKpair05', type: 'string'}]},
			azure: [{Name: 'ConnectionStrings__Main', Value: 'LEAKpair06'}],
			other: [{headerName: 'X-Auth-Token', content: 'LEAKpair07'}, {variable: 'SECRET', val: 'LEAKpair08'}, {name: 'Cookie', values: ['LEAKpair09']}],
		};
		const out = redactJson(doc);
		expect(JSON.stringify(out.value)).not.toMatch(/LEAK/);
		const value = out.value as typeof doc;
		expect(value.headers[1]).toEqual({name: 'Accept', value: 'text/html'});
		expect(value.env[1]).toEqual({name: 'LOG_LEVEL', value: 'debug'});
		expect(value.spec.containers[0]!.env[1]).toEqual({name: 'PORT', value: '8080'});
		expect(value.header).toEqual({key: 'X-Api-Key', value: M});
		expect(value.postman.variable[0]).toEqual({key: 'apiToken', value: M, type: 'string'});
	});

	it('keeps settings that only mention a secret word, booleans, null and empty values, types unchanged', () => {
		expect(redactJson(HARMLESS)).toEqual({value: HARMLESS, redacted: []});
		const written = JSON.stringify(HARMLESS, null, 2);
		expect(redactJsonText(written)).toEqual({text: written, redacted: []});
		expect(scrubColumnValue(written)).toBe(written);
	});

	it('under an ambiguous name (key, auth) redacts only what could be a credential', () => {
		const out = redactJson({
			sort: {key: 'created_at'}, auth: 'none', a: {auth: 'basic'}, b: {key: 'oauth2'}, c: {key: 'X-Api-Key'}, d: {key: 7},
			e: {key: 'sk9Fq2LmZ0pX7rT4wY1b'}, f: {auth: 'dXNlcjpwYXNz'}, g: {key: 'aB3$kd!x'}, h: {key: 48291107}, i: {OPENAI_KEY: 'LEAK16'},
			j: {auth: {user: 'ops', pass: 'hunter2'}}, k: {keys: ['aB3dE5fG7hJ9kL1m']}, l: {authHeader: 'Basic dXNlcjpwYXNz'},
			m: {passwordHash: '$argon2id$v=19$m=65536$c2FsdA$aGFzaA'},
		}).value as Record<string, Record<string, unknown>>;
		expect(out['sort']).toEqual({key: 'created_at'});
		expect(out['auth']).toBe('none');
		expect([out['a']!['auth'], out['b']!['key'], out['c']!['key'], out['d']!['key']]).toEqual(['basic', 'oauth2', 'X-Api-Key', 7]);
		expect([out['e']!['key'], out['f']!['auth'], out['g']!['key'], out['h']!['key'], out['i']!['OPENAI_KEY']]).toEqual([M, M, M, M, M]);
		expect(out['j']!['auth']).toEqual({user: 'ops', pass: M});
		expect(out['k']!['keys']).toEqual([M]);
		expect([out['l']!['authHeader'], out['m']!['passwordHash']]).toEqual([M, M]);
	});

	it('classifies names by their last word', () => {
		const cases: Array<[string, ReturnType<typeof nameSecrecy>]> = [
			['password', 'strong'], ['passwordMinLength', undefined], ['DB_PASSWORD', 'strong'], ['PGPASSWORD', 'strong'], ['AdminPin', 'strong'],
			['pinned', undefined], ['pinCount', undefined], ['spin', undefined], ['pins', undefined], ['tokenUrl', undefined], ['accessTokens', 'token'],
			['maxTokens', undefined], ['tokens', 'token'], ['secretName', undefined], ['apiKeyHeader', 'weak'], ['apiKeys', 'strong'],
			['key', 'weak'], ['keys', 'weak'], ['auth', 'weak'], ['authType', undefined], ['sortKey', undefined], ['OPENAI_KEY', 'weak'],
			['SubscriptionKey', 'strong'], ['HmacKey', 'strong'], ['x-api-key', 'strong'], ['ConnectionStrings', 'strong'], ['ConnectionStrings__Main', 'strong'], ['ConnectionString', 'strong'], ['session_id', 'token'],
			['AccessKeyId', 'strong'], ['clientId', undefined], ['SecretString', 'strong'], ['secret.value', 'strong'],
			['sessionIds', 'token'], ['private_key_pem', 'strong'], ['credentialsJson', 'strong'], ['keyMaterial', 'weak'], ['authHeader', 'weak'],
			['passwordHash', 'weak'], ['password_hash', 'weak'], ['cookieName', undefined], ['saltRounds', undefined], ['sentryDsn', 'strong'],
			['SECRET_KEY_BASE', 'strong'], ['signing_key_base', undefined], ['key_base', undefined], ['knowledge_base', undefined], ['api_base', undefined],
			['TOTP_SEED', 'token'], ['random_seed', undefined], ['master_seed', undefined], ['seed', undefined], ['seedWords', undefined], ['keywords', undefined],
			['PASSWORD_PEPPER', 'strong'], ['pepper', undefined], ['black_pepper', undefined], ['private_key_base', undefined], ['PRIV_KEY', 'strong'], ['storepass', 'strong'],
		];
		for (const [name, secrecy] of cases) expect(nameSecrecy(name), name).toBe(secrecy);
	});

	it('is idempotent: redacting a redacted document changes nothing', () => {
		const doc = {secrets: [1, 'a'], AdminPin: 1234, headers: [{name: 'Authorization', value: 'Bearer x'}], sort: {key: 'created_at'}, k: {key: 'aB3$kd!x'}};
		const once = redactJsonText(JSON.stringify(doc)).text;
		expect(redactJsonText(once)).toEqual({text: once, redacted: []});
	});

	it('restore still sees a live JSON column and its backup copy as the same value (and a real change as a change)', () => {
		const table = TABLES.find(spec => spec.columns.some(column => column.scrub))!;
		const codec = codecFor(table);
		const index = codec.scrubbed[0]!;
		const live = JSON.stringify({
			steps: [{headers: [{name: 'Authorization', value: 'LEAKsame01'}], secrets: [123456789], Kiosk: {AdminPin: 48291107}}],
			sort: {key: 'created_at'}, auth: 'none', limits: {passwordMinLength: 12}, accessTokens: {ci: 'LEAKsame02'},
		});
		const backup = scrubColumnValue(live);
		expect(backup).not.toMatch(/LEAK|123456789|48291107/);
		expect(backup).toContain('"passwordMinLength":12');
		expect(sameValue(codec, index, live, backup)).toBe(true);
		expect(sameValue(codec, index, live.replace('created_at', 'updated_at'), backup)).toBe(false);
		// A backup made before scrubbing kept the document as written held it redacted and re-serialized.
		const written = JSON.stringify(JSON.parse(live), null, 2);
		expect(sameValue(codec, index, written, JSON.stringify(redactJson(JSON.parse(written)).value))).toBe(true);
	});
});
