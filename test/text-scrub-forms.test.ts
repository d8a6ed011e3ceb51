import fc from 'fast-check';
import {describe, expect, it} from 'vitest';
import {redactJson, scrubColumnValue, scrubText, scrubTextBytes, UNREADABLE_TEXT_NOTE} from '../source/core/redaction.js';
import {REDACTED_MARKER} from '../source/core/store/schema.js';
import {holdsMarker, scrubStored} from '../source/core/rows/table-codec.js';
import {eachCostsLinearWork as eachCostsLinearWorkOf, workRatio} from './helpers/work-ratio.js';

const M = REDACTED_MARKER;
const eachCostsLinearWork = (hostile: readonly string[]) => eachCostsLinearWorkOf(hostile, scrubText);

const SECRET = 'sk-proj-LEAKutf16abcdefghijklmnopqrstuvwxyz0123';

const encode = (text: string, encoding: 'utf16le' | 'utf16be', bom: boolean) => {
	const le = Buffer.from((bom ? '\uFEFF' : '') + text, 'utf16le');
	return encoding === 'utf16le' ? le : Buffer.from(le).swap16();
};
const decode = (bytes: Buffer, encoding: 'utf16le' | 'utf16be') => (encoding === 'utf16le' ? Buffer.from(bytes) : Buffer.from(bytes).swap16()).toString('utf16le');
/** A secret seen in bytes whatever the encoding: as UTF-8/Latin-1 bytes, as UTF-16 of either order, or with NULs dropped. */
const holds = (bytes: Buffer, secret: string) =>
	bytes.includes(secret) || bytes.toString('latin1').replaceAll('\0', '').includes(secret) || bytes.toString('utf16le').includes(secret) || Buffer.from(bytes.length % 2 ? bytes.subarray(1) : bytes).swap16().toString('utf16le').includes(secret);

describe('UTF-16 text files', () => {
	it('scrubs UTF-16LE and UTF-16BE, with and without a byte order mark, and writes them back in the same encoding', () => {
		fc.assert(
			fc.property(
				fc.constantFrom('utf16le' as const, 'utf16be' as const),
				fc.boolean(),
				fc.constantFrom('\n', '\r\n'),
				fc.constantFrom('# Notes', 'Résumé des clés — 日本語', ''),
				fc.constantFrom(`OPENAI_API_KEY=${SECRET}`, `export OPENAI_API_KEY="${SECRET}"`, `key: ${SECRET}`, `curl -H "Authorization: Bearer ${SECRET}"`),
				(encoding, bom, eol, before, line) => {
					const text = [before, line, 'done'].join(eol);
					const bytes = encode(text, encoding, bom);
					const scrubbed = scrubTextBytes(bytes);
					expect(holds(scrubbed.bytes, 'LEAKutf16'), decode(scrubbed.bytes, encoding)).toBe(false);
					const back = decode(scrubbed.bytes, encoding);
					expect(back.startsWith('\uFEFF')).toBe(bom);
					expect(back).toContain(M);
					expect(back).toContain(before);
					expect(back.endsWith(`${eol}done`)).toBe(true);
					expect(scrubbed.count).toBeGreaterThan(0);
					expect(scrubbed.lines).toEqual([2]);
					expect(scrubTextBytes(scrubbed.bytes).bytes).toEqual(scrubbed.bytes);
				},
			),
			{numRuns: 200},
		);
	});

	it('scrubs a scrub column stored as UTF-16 bytes, and restore sees its marker', () => {
		for (const encoding of ['utf16le', 'utf16be'] as const) {
			const stored = scrubStored(encode(`run: OPENAI_API_KEY=${SECRET} sync`, encoding, true));
			expect(Buffer.isBuffer(stored) && holds(stored, 'LEAKutf16')).toBe(false);
			expect(holdsMarker(stored)).toBe(true);
		}
		expect(holdsMarker(Buffer.from([0, 1, 2, 0xff]))).toBe(false);
		expect(holdsMarker(Buffer.from(`x ${M}`))).toBe(true);
	});

	it('keeps a UTF-16 file with no secret byte for byte', () => {
		for (const encoding of ['utf16le', 'utf16be'] as const) {
			for (const bom of [true, false]) {
				const bytes = encode('# Ledger\r\nRotate the API key monthly. Ça va.\r\n', encoding, bom);
				expect(scrubTextBytes(bytes)).toEqual({bytes, count: 0, lines: []});
			}
		}
	});

	it('replaces a file that cannot be decoded but shows a secret with its NULs dropped', () => {
		// UTF-32LE, and UTF-16LE cut to an odd length: neither decodes, the NUL-stripped view shows the key.
		const utf32 = Buffer.concat([...`note\nOPENAI_API_KEY=${SECRET}\n`].map(char => Buffer.from([char.charCodeAt(0), 0, 0, 0])));
		const odd = Buffer.concat([encode(`OPENAI_API_KEY=${SECRET}\n`, 'utf16le', true), Buffer.from([0x41])]);
		for (const bytes of [utf32, odd]) {
			const scrubbed = scrubTextBytes(bytes);
			expect(holds(scrubbed.bytes, 'LEAKutf16')).toBe(false);
			expect(scrubbed.bytes.toString('utf8')).toBe(UNREADABLE_TEXT_NOTE);
			expect(scrubbed.count).toBe(1);
			expect(scrubTextBytes(scrubbed.bytes).bytes).toEqual(scrubbed.bytes);
		}
		// Text with NULs in it and no secret is left alone.
		const harmless = Buffer.from('a\0b\0c\0 plain words\0');
		expect(scrubTextBytes(harmless)).toEqual({bytes: harmless, count: 0, lines: []});
	});
});

describe('JSON escaped inside text and JSON serialized twice', () => {
	const escape = (json: string, times: number) => {
		let out = json;
		for (let time = 0; time < times; time++) out = JSON.stringify(out).slice(1, -1);
		return out;
	};

	it('redacts the whole value of a secret key in escaped JSON, at any escape depth, anywhere in a line', () => {
		fc.assert(
			fc.property(
				fc.constantFrom('apiKey', 'password', 'client_secret', 'OPENAI_API_KEY', 'accessToken'),
				fc.constantFrom(':', ': ', ' : '),
				fc.integer({min: 1, max: 3}),
				fc.constantFrom('', 'config was ', '- ', '    '),
				fc.constantFrom('\n', '\r\n'),
				(key, colon, times, before, eol) => {
					const json = `{"name":"acme","${key}"${colon}"LEAKesc2ab+/cd=ef","on":true}`;
					const text = `# Soul${eol}${before}${escape(json, times)} trailing${eol}`;
					const scrubbed = scrubText(text);
					expect(scrubbed, scrubbed).not.toMatch(/LEAKesc2|ab\+\/cd|ef\\/);
					expect(scrubbed).toContain(M);
					expect(scrubbed).toContain(`${escape('"name":"acme"', times)}`);
					expect(scrubbed.endsWith(` trailing${eol}`)).toBe(true);
					expect(scrubText(scrubbed)).toBe(scrubbed);
					const file = scrubTextBytes(Buffer.from(text));
					expect(file.bytes.toString()).toBe(scrubbed);
				},
			),
			{numRuns: 200},
		);
	});

	it('redacts a scrub column holding a JSON string that holds a JSON document', () => {
		for (const doc of [{steps: [], apiKey: 'LEAKdouble1abcdef'}, {steps: [{run: 'sync', env: {GITHUB_TOKEN: 'LEAKdouble1abcdef'}}]}, ['a', {password: 'LEAKdouble1abcdef'}]]) {
			for (const times of [1, 2]) {
				let text = JSON.stringify(doc);
				for (let time = 0; time < times; time++) text = JSON.stringify(text);
				const scrubbed = scrubColumnValue(text);
				expect(scrubbed, scrubbed).not.toContain('LEAKdouble1');
				expect(scrubbed).toContain('[REDACTED');
				expect(scrubColumnValue(scrubbed)).toBe(scrubbed);
				let back: unknown = scrubbed;
				for (let time = 0; time < times; time++) back = JSON.parse(back as string);
				expect(JSON.parse(back as string)).toBeTypeOf('object');
			}
		}
		// A JSON string with nothing secret stays byte for byte, escapes and all.
		for (const text of ['"{\\"steps\\":[],\\"name\\":\\"caf\\u00e9\\"}"', '"plain words"', '"[1, 2,  3]"']) expect(scrubColumnValue(text)).toBe(text);
	});

	it('leaves escaped JSON without secrets alone', () => {
		for (const text of ['{\\"maxTokens\\":4096,\\"tokenizer\\":\\"cl100k\\"}', 'say \\"password\\" out loud', '{\\"apiKey\\":\\"${OPENAI_API_KEY}\\"}', '{\\"apiKey\\":\\"\\"}']) {
			expect(scrubText(text)).toBe(text);
		}
	});
});

describe('query parameters', () => {
	const names = ['access_token', 'token', 'auth', 'ticket', 'sessionid', 'session_id', 'sig', 'signature', 'X-Amz-Signature', 'api_key', 'client_secret', 'jsessionid', 'Auth_Token'];

	it('redacts credential parameters, plain, in a fragment, or percent-encoded inside another parameter', () => {
		fc.assert(
			fc.property(
				fc.constantFrom(...names),
				fc.constantFrom('?', '&', '#', ';'),
				fc.integer({min: 0, max: 2}),
				fc.constantFrom('', '&page=2', '#top'),
				fc.constantFrom('See ', '', '<a href="', '- '),
				(name, head, encodings, after, before) => {
					let inner = `/cb${head}${name}=LEAKqp3Ab%2Bcd~_.-x&state=ok`;
					for (let time = 0; time < encodings; time++) inner = encodeURIComponent(inner);
					const url = encodings === 0 ? `https://app.example${inner}${after}` : `https://login.example/authorize?next=${inner}${after}`;
					const text = `${before}${url} done`;
					const scrubbed = scrubText(text);
					expect(scrubbed, scrubbed).not.toMatch(/LEAKqp3|Ab%2Bcd|x&state=ok.*LEAK/);
					expect(scrubbed).toContain(M);
					expect(scrubbed).toContain('state');
					expect(scrubbed.endsWith(`${after} done`)).toBe(true);
					expect(scrubText(scrubbed)).toBe(scrubbed);
				},
			),
			{numRuns: 300},
		);
	});

	it('takes a # into a secret parameter value (an unencoded password, or a fragment)', () => {
		const scrubbed = scrubText('https://x.example/db?db_password=LEAKhash9#rest&user=ops and ?token=LEAKhash9b#frag');
		expect(scrubbed, scrubbed).not.toMatch(/LEAKhash9|#rest|#frag/);
		expect(scrubbed).toContain('&user=ops');
	});

	it('takes the whole value of a connection-string setting after `;`, # and < included', () => {
		for (const [text, leak] of [
			['Server=x;Password=LEAKcs8#a<b>;Encrypt=true', /LEAKcs8|#a|<b>/],
			['AccountName=a;AccountKey=LEAKcs8ab#cd+/==;EndpointSuffix=core.windows.net', /LEAKcs8|#cd/],
		] as const) {
			const scrubbed = scrubText(text);
			expect(scrubbed, scrubbed).not.toMatch(leak);
			expect(scrubbed).toMatch(/;(?:Encrypt|EndpointSuffix)=/);
		}
	});

	it('leaves ordinary parameters and placeholders alone', () => {
		for (const text of [
			'https://example.com/docs?page=2&sort=asc&lang=en#install',
			'https://shop.example/?session_count=3&token_count=120&max_tokens=4096&keyword=api',
			'https://x.example/?next=%2Fhome%3Ftab%3Dsettings',
			'https://x.example/hook?token=${WEBHOOK_TOKEN}&sig={{signature}}',
			'## Auth\n\n#auth is the channel for login questions',
		]) {
			expect(scrubText(text)).toBe(text);
		}
	});
});

describe('cookies', () => {
	it('redacts every Cookie value and the cookie of a Set-Cookie, in any case, spacing, quoting and line ending', () => {
		fc.assert(
			fc.property(
				fc.constantFrom('Cookie', 'cookie', 'COOKIE', 'Set-Cookie', 'set-cookie'),
				fc.constantFrom(':', ': ', ' :  ', ':\t'),
				fc.constantFrom(['', ''], ['curl -H "', '" https://x.example'], ["fetch(url, {headers: {'", "'}})"], ['> ', '']),
				fc.constantFrom('\n', '\r\n'),
				(name, colon, [before, after], eol) => {
					const set = name.toLowerCase().startsWith('set');
					const value = set ? 'sid=LEAKck5aB9%2F; Path=/; Max-Age=3600; HttpOnly' : 'sid=LEAKck5aB9%2F; theme=LEAKck5b';
					const text = `GET / HTTP/1.1${eol}${before}${name}${colon}${value}${after}${eol}Host: x${eol}`;
					const scrubbed = scrubText(text);
					expect(scrubbed, scrubbed).not.toContain('LEAKck5');
					if (set) expect(scrubbed).toContain('; Path=/; Max-Age=3600; HttpOnly');
					expect(scrubbed.endsWith(`${after}${eol}Host: x${eol}`)).toBe(true);
					expect(scrubText(scrubbed)).toBe(scrubbed);
				},
			),
			{numRuns: 200},
		);
		expect(scrubText("curl -b 'session=LEAKck6' --cookie=\"a=LEAKck7\" https://x")).not.toMatch(/LEAKck[67]/);
	});

	it('leaves prose about cookies and cookie files alone', () => {
		for (const text of ['Cookie: a small file the browser keeps.', 'Set-Cookie: sent by the server on login', 'curl -b cookies.txt https://x.example', 'Cookie: ${SESSION_COOKIE}']) {
			expect(scrubText(text)).toBe(text);
		}
	});
});

describe('vendor key formats', () => {
	const body = 'LEAKv7aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789';
	const prefixes = [
		'gsk_', 'GOCSPX-', 'pplx-', 'r8_', 'tvly-', 'tvly-dev-', 'nvapi-', 'xai-', 'hf_', 'sk-ant-api03-', 'sk-proj-', 'sk-', 'AIza', 'ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_',
		'github_pat_11', 'glpat-', 'npm_', 'dop_v1_', 'SG.', 'dckr_pat_', 'glsa_', 'lin_api_', 'sntrys_', 'figd_', 'hvs.', 'xkeysib-', 'pscale_tkn_',
	];

	it('redacts each format in prose, quotes, lists and assignments, keeping the prefix', () => {
		fc.assert(
			fc.property(
				fc.constantFrom(...prefixes),
				fc.constantFrom(['use ', ' today'], ['"', '"'], ["'", "'"], ['- ', ''], ['`', '`'], ['(', ')'], ['key=', ''], ['<', '>']),
				fc.constantFrom('\n', '\r\n'),
				(prefix, [before, after], eol) => {
					const text = `# Keys${eol}${before}${prefix}${body}${after}${eol}`;
					const scrubbed = scrubText(text);
					expect(scrubbed, scrubbed).not.toContain('LEAKv7');
					expect(scrubbed).toContain(M);
					expect(scrubText(scrubbed)).toBe(scrubbed);
				},
			),
			{numRuns: 300},
		);
		expect(scrubText('dapi0123456789abcdef0123456789abcdef key-0123456789abcdef0123456789abcdef')).toBe(`dapi${M} key-${M}`);
	});

	it('leaves names that merely start like a prefix alone', () => {
		for (const text of ['pip install tavily-python; tvly-python docs', 'r8_config and gsk_mode', 'the xai-sdk package, nvapi-docs', 'a key-value store keyed by dapi-version', 'GOCSPX-short']) {
			expect(scrubText(text)).toBe(text);
		}
	});
});

describe('URL passwords holding / ? #', () => {
	it('redacts the whole password up to the @ before the host', () => {
		fc.assert(
			fc.property(
				fc.constantFrom('postgres', 'mysql', 'redis', 'https', 'amqp', 'mongodb+srv'),
				fc.constantFrom('', 'app', 'ops.user'),
				fc.constantFrom('LEAK/u7', 'LEAK#u7', 'LEAK?u7', 'aB/LEAKu7/#x', 'LEAKu7//'),
				fc.constantFrom(['', ''], ['DATABASE_URL=', ''], ['"', '"'], ['connect to ', ' now']),
				(scheme, user, password, [before, after]) => {
					const text = `${before}${scheme}://${user}:${password}@db.example:5432/app${after}`;
					const scrubbed = scrubText(text);
					expect(scrubbed, scrubbed).not.toContain('u7');
					expect(scrubbed).toContain(`${scheme}://`);
					expect(scrubText(scrubbed)).toBe(scrubbed);
				},
			),
			{numRuns: 200},
		);
	});

	it('leaves ports followed by paths holding @ alone', () => {
		for (const text of ['http://localhost:3000/@scope/pkg', 'https://host.example:8443/users/@alice/posts', 'https://medium.com/@user/post', 'see https://x.example/a:b/c@d']) {
			expect(scrubText(text)).toBe(text);
		}
	});
});

describe('URL passwords holding both @ and /', () => {
	it('redacts the whole password: the userinfo ends at the last @ before the host', () => {
		fc.assert(
			fc.property(
				fc.constantFrom('https', 'postgres', 'mongodb+srv', 'git+ssh'),
				fc.constantFrom('user', 'ops.admin', ''),
				fc.constantFrom('p@LEAKss/w0rd', 'LEAK@a/b', 'a@LEAK1/b@c', '@LEAK/x', 'p@ss/LEAK/w@rd', 'LEAK@x?y/z'),
				fc.constantFrom('host', 'db.example', '10.0.0.5', 'localhost'),
				fc.constantFrom('/path', '', '/app?x=1', ':8080/x'),
				fc.constantFrom(['', ''], ['"', '"'], ['DATABASE_URL=', ''], ['connect to ', ' now']),
				(scheme, user, password, host, path, [before, after]) => {
					const text = `${before}${scheme}://${user}:${password}@${host}${path}${after}`;
					const scrubbed = scrubText(text);
					expect(scrubbed, scrubbed).not.toContain('LEAK');
					expect(scrubbed, scrubbed).toContain(`${scheme}://${user}:`);
					expect(scrubbed.endsWith(`@${host}${path}${after}`), scrubbed).toBe(true);
					expect(scrubText(scrubbed)).toBe(scrubbed);
				},
			),
			{numRuns: 300},
		);
		expect(scrubText('https://user:p@ss/w0rd@host/path')).toBe(`https://user:${M}@host/path`);
	});

	it('keeps a host that follows the first @, and paths or queries holding @ after it', () => {
		for (const [text, kept] of [
			['https://user:pw@host.example/users/@alice/posts', '@host.example/users/@alice/posts'],
			['https://user:pw@host/cb?email=a@b.example', '@host/cb?email=a@b.example'],
			['https://user:pw@myhost/@scope/pkg', '@myhost/@scope/pkg'],
			['postgres://app:pw@db:5432/x@y', '@db:5432/x@y'],
		] as const) {
			expect(scrubText(text)).toBe(`${text.slice(0, text.indexOf(':pw@') + 1)}${M}${kept}`);
		}
	});
});

describe('a URL percent-encoded inside another', () => {
	it('decodes the inner URL and redacts its password in place, encoded once or twice, in any case', () => {
		fc.assert(
			fc.property(
				fc.constantFrom('https', 'postgres', 'redis'),
				fc.constantFrom('user', 'a.b', ''),
				fc.constantFrom('LEAKpw123', 'LEAK/pw@9', 'LEAK:pw', 'LEAK pw&x'),
				fc.constantFrom('db.example', 'db.example:5432', 'host'),
				fc.integer({min: 1, max: 2}),
				fc.boolean(),
				fc.constantFrom('', '&state=ok', '#top'),
				(scheme, user, password, host, times, lower, after) => {
					let inner = `${scheme}://${user}:${encodeURIComponent(password)}@${host}/`;
					for (let time = 0; time < times; time++) inner = encodeURIComponent(inner);
					if (lower) inner = inner.replace(/%[0-9A-F]{2}/g, code => code.toLowerCase());
					const text = `see https://a.example/cb?next=${inner}${after} now`;
					const scrubbed = scrubText(text);
					expect(scrubbed, scrubbed).not.toMatch(/LEAK|pw123|pw%/);
					expect(scrubbed, scrubbed).toContain(M);
					expect(scrubbed.endsWith(`${after} now`), scrubbed).toBe(true);
					expect(scrubText(scrubbed)).toBe(scrubbed);
				},
			),
			{numRuns: 200},
		);
		expect(scrubText('https://a.example/cb?next=https%3A%2F%2Fuser%3Apw123%40db.example%2F')).toBe(`https://a.example/cb?next=https%3A%2F%2Fuser%3A${M}%40db.example%2F`);
	});

	it('leaves encoded URLs without a password alone', () => {
		for (const text of ['https://a.example/cb?next=https%3A%2F%2Fdb.example%3A5432%2Fx', 'https://a.example/?u=https%3A%2F%2Fuser%40db.example%2F', 'https://a.example/?next=http%3A%2F%2Flocalhost%3A3000%2F%40scope%2Fpkg']) {
			expect(scrubText(text)).toBe(text);
		}
	});
});

describe('secrets set in code: environment subscripts, PHP and Ruby arrays', () => {
	it('redacts a value assigned to a secret-named subscript (os.environ["X_API_KEY"] = …, ENV[…], $_ENV[…])', () => {
		fc.assert(
			fc.property(
				fc.constantFrom(['os.environ["', '"]'], ["os.environ['", "']"], ['ENV["', '"]'], ["$_ENV['", "']"], ['process.env["', '"]'], ["config['", "']"], ['process.env.', '']),
				fc.constantFrom('X_API_KEY', 'DB_PASSWORD', 'SECRET_KEY', 'API_TOKEN', 'client_secret', 'STRIPE_KEY'),
				fc.constantFrom(' = ', '=', '  =\t'),
				fc.constantFrom('"LEAKsub8Ab-1"', "'LEAKsub8Ab-1'", 'LEAKsub8Ab-1x2y3z'),
				fc.constantFrom(['', ''], ['    ', '  # prod'], ['>>> ', ''], ['', ';']),
				([open, close], name, equals, value, [before, after]) => {
					const text = `${before}${open}${name}${close}${equals}${value}${after}\nnext()`;
					const scrubbed = scrubText(text);
					expect(scrubbed, scrubbed).not.toContain('LEAK');
					// A quoted literal is redacted inside its quotes, all else kept (unquoted at the start of a line, a value runs to its end, as in INI).
					if (/^["']/.test(value)) expect(scrubbed).toBe(text.replace(value.slice(1, -1), M));
					else expect(scrubbed.startsWith(`${before}${open}${name}${close}${equals}${M}`), scrubbed).toBe(true);
					expect(scrubText(scrubbed)).toBe(scrubbed);
				},
			),
			{numRuns: 300},
		);
		expect(scrubText(`os.environ['DB_PASSWORD']='hunter2 secret'`)).toBe(`os.environ['DB_PASSWORD']='${M}'`);
		expect(scrubText(`ENV["OPENAI_API_KEY"] = "two words"`)).toBe(`ENV["OPENAI_API_KEY"] = "${M}"`);
		// Bare, only what looks like a key pasted in (anything else is computed in code).
		expect(scrubText('ENV["SECRET_KEY"] = abc123def456ghi')).toBe(`ENV["SECRET_KEY"] = ${M}`);
	});

	it("redacts a quoted literal under a quoted secret key before =>, in PHP and Ruby arrays", () => {
		fc.assert(
			fc.property(
				fc.constantFrom("'password'", '"api_key"', "'DB_PASSWORD'", '"client_secret"', "'auth_token'"),
				fc.constantFrom('=>', ' => ', '  =>\t'),
				fc.constantFrom("'LEAKphp9Ab'", '"LEAKphp9Ab"', "'LEAKphp9\\'Ab'", '"LEAKphp9 two words"'),
				fc.constantFrom(['$db = [\n    ', ',\n    \'host\' => \'localhost\',\n];'], ['{ ', ' }'], ["array('user' => 'app', ", ')']),
				(key, arrow, value, [before, after]) => {
					if (value.includes(' ') && !/pass/i.test(key)) return;
					const text = `${before}${key}${arrow}${value}${after}`;
					const scrubbed = scrubText(text);
					expect(scrubbed, scrubbed).toBe(`${before}${key}${arrow}${value[0]}${M}${value[0]}${after}`);
					expect(scrubText(scrubbed)).toBe(scrubbed);
				},
			),
			{numRuns: 200},
		);
	});

	it("redacts the literal a setter call gives a secret name: PHP define('DB_PASSWORD', '…'), setdefault, SetEnvironmentVariable, setProperty", () => {
		fc.assert(
			fc.property(
				fc.constantFrom('define', 'os.environ.setdefault', 'ENV.store', '[Environment]::SetEnvironmentVariable', 'System.setProperty', 'localStorage.setItem', '$config->set'),
				fc.constantFrom('DB_PASSWORD', 'AUTH_KEY', 'SECURE_AUTH_SALT', 'NONCE_KEY', 'api_key', 'GITHUB_TOKEN', 'db.password'),
				fc.constantFrom("'", '"'),
				fc.constantFrom("'", '"'),
				fc.constantFrom(['(', ', ', ')'], ['( ', ' , ', ' )'], ['(', ',', ')'], ['(\t', ',\t', ', "User")']),
				fc.constantFrom('LEAKdef1-hunter2', 'LEAKdef1 a$b !c|d:>e', "LEAKdef1\\'x"),
				(call, name, nameQuote, valueQuote, [open, comma, close], value) => {
					if (value.includes("\\'") && valueQuote !== "'") return;
					const text = `<?php\n${call}${open}${nameQuote}${name}${nameQuote}${comma}${valueQuote}${value}${valueQuote}${close};\n$x = 1;`;
					const scrubbed = scrubText(text);
					expect(scrubbed, scrubbed).toBe(text.replace(value, M));
					expect(scrubText(scrubbed)).toBe(scrubbed);
				},
			),
			{numRuns: 300},
		);
	});

	it('leaves code alone: arrows, comparisons, other names, values that are not literals', () => {
		for (const code of [
			"'title' => 'Hello',",
			'const f = (token) => token.trim()',
			'items.map(token => token.trim())',
			"'password' => $request->input('password'),",
			"'password' => env('DB_PASSWORD'),",
			'"api_key" => $apiKey,',
			"'password' => '',",
			"password => 'hunter2',",
			"protected $casts = ['password' => 'hashed', 'api_token' => 'encrypted'];",
			"$request->validate(['password' => 'required|string|min:8|confirmed', 'api_key' => 'nullable|max:64']);",
			"'Authorization' => 'Bearer ' . $token,",
			"define('WP_DEBUG', true);",
			"define('DB_NAME', 'wordpress');",
			"define('DB_PASSWORD', getenv('DB_PASSWORD'));",
			"define('AUTH_KEY', '');",
			"define('DB_PASSWORD', $password);",
			"echo __('Password', 'my-plugin');",
			"str_replace('password', 'hunter2', $s);",
			"os.environ.setdefault('API_KEY', '${API_KEY}')",
			'if os.environ["API_KEY"] == "x":',
			'os.environ["PATH"] = "/usr/bin"',
			'ENV["RAILS_ENV"] = "production"',
			'x = os.environ["API_KEY"]',
			'os.environ["API_KEY"] = "${API_KEY}"',
			'os.environ["OPENAI_API_KEY"] = api_key',
			'os.environ["OPENAI_API_KEY"] = get_key()',
			"config['password'] = request.form['password']",
			'headers["Authorization"] = "Bearer " + token',
			'headers["Authorization"] = f"Bearer {token}"',
		]) {
			expect(scrubText(code), code).toBe(code);
		}
	});
});

describe('passwords on command lines', () => {
	const forms = [
		'docker login -p VALUE registry.example',
		'docker login -u bob -p VALUE registry.example',
		'docker login -pVALUE',
		'podman login --username bob -p VALUE quay.io',
		'helm registry login -u bob -p VALUE ghcr.io',
		'docker login --password VALUE',
		'docker login --password=VALUE ghcr.io',
		'sshpass -pVALUE ssh ops@host',
		'sshpass -p VALUE ssh -p 2222 ops@host',
		'sshpass -v -p VALUE scp a host:b',
		'mysql -uroot -pVALUE shop',
		'mysqldump -h db -P 3306 -u root -pVALUE shop',
		'mariadb -pVALUE',
		'mysqldump --password=VALUE shop',
		'redis-cli -h cache -a VALUE ping',
		'curl -u user:VALUE https://api.example',
		'curl --user ops.admin:VALUE https://api.example',
		'curl -s --proxy-user u:VALUE -x proxy:3128 https://x.example',
	];

	it('redacts each form, its value bare, single-quoted or double-quoted (blanks inside quotes too)', () => {
		fc.assert(
			fc.property(
				fc.constantFrom(...forms),
				fc.constantFrom(['', 'LEAKcl9x-7', ''], ["'", 'LEAKcl9 x$y', "'"], ['"', 'LEAKcl9 y!z', '"'], ["'", 'LEAKcl9', "'"]),
				fc.constantFrom(['', ''], ['$ ', ' && echo ok'], ['RUN ', ''], ['`', '`'], ['    ', ' # nightly']),
				(form, [open, value, close], [before, after]) => {
					const quoted = form.startsWith('curl') ? form.replace(/ (\S+:)VALUE/, ` ${open}$1${value}${close}`) : form.replace('VALUE', `${open}${value}${close}`);
					const text = `${before}${quoted}${after}`;
					const scrubbed = scrubText(text);
					expect(scrubbed, scrubbed).not.toMatch(/LEAK|x\$y|y!z/);
					expect(scrubbed).toContain(M);
					expect(scrubbed.startsWith(`${before}${quoted.split(' ')[0]}`)).toBe(true);
					expect(scrubbed.endsWith(after), scrubbed).toBe(true);
					expect(scrubText(scrubbed)).toBe(scrubbed);
				},
			),
			{numRuns: 400},
		);
		expect(scrubText("sshpass -p'hunter2 x' ssh host")).toBe(`sshpass -p'${M}' ssh host`);
		expect(scrubText('mysql -p"hunter2 x" shop')).toBe(`mysql -p"${M}" shop`);
		expect(scrubText('curl -u "bob:p a ss" https://x')).toBe(`curl -u "bob:${M}" https://x`);
	});

	it('leaves look-alikes alone: ports, prompts, registries, files and variables', () => {
		for (const text of [
			'docker login registry.example',
			'docker login -u bob --password-stdin registry.example < pw.txt',
			'docker run -p 8080:80 nginx',
			'docker login ghcr.io && docker run -p 80:80 app',
			'ssh -p 2222 host',
			'sshpass -f ~/.pw ssh -p 2222 ops@host',
			'sshpass -p "$SSHPASS" ssh host',
			'sshpass -e ssh -p 22 host',
			'mysql -h host -P 3306 -u root -p shop',
			'mysql -p',
			'curl -u user https://x.example',
			'docker login -p "$(cat ~/.pw)" ghcr.io',
		]) {
			expect(scrubText(text), text).toBe(text);
		}
	});

	it('redacts docker login -p in an argument list, not a port of docker run', () => {
		for (const [command, args] of [
			['docker', ['login', '-u', 'ci', '-p', 'LEAKargv9', 'ghcr.io']],
			[undefined, ['podman', 'login', '-p', 'LEAKargv9']],
		] as const) {
			const {value} = redactJson({command, args});
			expect(JSON.stringify(value)).not.toContain('LEAKargv9');
		}
		for (const args of [['docker', 'run', '-p', '8080:80', 'nginx'], ['ssh', '-p', '2222', 'host']]) expect(redactJson({args}).redacted).toEqual([]);
	});
});

describe('.netrc entries', () => {
	it('redacts the password (and account) of an entry on one line or over several, however spaced and ordered', () => {
		fc.assert(
			fc.property(
				fc.constantFrom('machine api.example', 'machine 10.0.0.7', 'machine nas login ops', 'default login anonymous'),
				fc.constantFrom((head: string, value: string) => `${head} login bob password ${value}`, (head: string, value: string) => `${head} password ${value} login bob`, (head: string, value: string) => `${head}\n  login bob\n  password ${value}`, (head: string, value: string) => `${head}\n\tlogin bob\n\tpassword ${value}\n\taccount ${value}2`),
				fc.constantFrom('LEAKnr10x', 'LEAKnr10!@#$', '"LEAKnr10 two"'),
				fc.constantFrom(['', '\n'], ['# ~/.netrc\n', '\nmachine other.example login x\n'], ['echo "', '" >> ~/.netrc'], ["printf '", "\\n' > ~/.netrc"]),
				fc.constantFrom('\n', '\r\n'),
				(head, entry, value, [before, after], eol) => {
					const quoted = before.endsWith('"') || before.endsWith("'");
					if (quoted && value.startsWith('"')) return;
					const body = entry(head.includes('login') ? head.replace(/ login \S+/, '') : head, value);
					const text = `${before}${body}${after}`.replaceAll('\n', eol);
					const scrubbed = scrubText(text);
					expect(scrubbed, scrubbed).not.toContain('LEAK');
					expect(scrubbed).toContain(M);
					expect(scrubbed.endsWith(after.replaceAll('\n', eol)), scrubbed).toBe(true);
					expect(scrubText(scrubbed)).toBe(scrubbed);
				},
			),
			{numRuns: 300},
		);
		expect(scrubText('machine api.example login bob password hunter2')).toBe(`machine api.example login bob password ${M}`);
		expect(scrubText('machine api.example\n  login bob\n  password hunter2\n')).toBe(`machine api.example\n  login bob\n  password ${M}\n`);
	});

	it('leaves entries without a password and prose about machines alone', () => {
		for (const text of [
			'machine api.example login bob\n',
			'machine api.example\n  login bob\nmachine b.example login alice\n',
			'machine learning password policies are strict',
			'The build machine api.example password is in the vault.',
			'machine api.example login bob password ${NETRC_PASSWORD}',
		]) {
			expect(scrubText(text), text).toBe(text);
		}
	});
});

describe('Windows environment variables', () => {
	it('redacts the value set under a secret name by setx, set and PowerShell, however quoted', () => {
		fc.assert(
			fc.property(
				fc.constantFrom(
					(name: string, value: string) => `setx ${name} ${value}`,
					(name: string, value: string) => `setx ${name} ${value} /M`,
					(name: string, value: string) => `SETX "${name}" ${value}`,
					(name: string, value: string) => `setx /s srv01 /u corp\\ops /p LEAKwin11p ${name} ${value}`,
					(name: string, value: string) => `set ${name}=${value.replace(/^"|"$/g, '')}`,
					(name: string, value: string) => `@SET ${name}=${value.replace(/^"|"$/g, '')}`,
					(name: string, value: string) => `set "${name}=${value.replace(/^"|"$/g, '')}"`,
					(name: string, value: string) => `$env:${name} = ${value}`,
					(name: string, value: string) => `$Env:${name}=${value}`,
					(name: string, value: string) => `Set-Item -Path Env:${name} -Value ${value}`,
					(name: string, value: string) => `[Environment]::SetEnvironmentVariable('${name}', ${value}, 'User')`,
				),
				fc.constantFrom('OPENAI_API_KEY', 'DB_PASSWORD', 'GITHUB_TOKEN', 'STRIPE_KEY', 'client_secret'),
				fc.constantFrom('"LEAKwin11x"', '"LEAKwin11 x!y"', "'LEAKwin11z'"),
				fc.constantFrom(['', ''], ['C:\\> ', ''], ['    ', '\r\necho done'], ['', ' && echo done']),
				(form, name, value, [before, after]) => {
					const line = form(name, value);
					const text = `${before}${line}${after}`;
					const scrubbed = scrubText(text);
					expect(scrubbed, scrubbed).not.toMatch(/LEAK|x!y/);
					expect(scrubbed).toContain(M);
					expect(scrubbed.endsWith(after), scrubbed).toBe(true);
					expect(scrubText(scrubbed)).toBe(scrubbed);
				},
			),
			{numRuns: 400},
		);
		expect(scrubText('setx OPENAI_API_KEY sk-hunter2')).toBe(`setx OPENAI_API_KEY ${M}`);
		expect(scrubText('setx DB_PASSWORD "hunter2 x" /M')).toBe(`setx DB_PASSWORD "${M}" /M`);
		expect(scrubText('set DB_PASSWORD=hunter2 x\r\n')).toBe(`set DB_PASSWORD=${M}\r\n`);
	});

	it('leaves other variables, placeholders and shell options alone', () => {
		for (const text of [
			'setx PATH "%PATH%;C:\\tools"',
			'set PATH=C:\\x;%PATH%',
			'setx JAVA_HOME "C:\\Program Files\\jdk"',
			'set -e',
			'set API_KEY=%API_KEY%',
			'setx API_KEY %API_KEY%',
			'$env:PATH += ";C:\\x"',
			'$env:API_KEY = $secret',
			'Set-Item -Path Env:PATH -Value "C:\\x"',
			'set -o pipefail && set -u',
		]) {
			expect(scrubText(text), text).toBe(text);
		}
	});
});

describe('secret names with a space, markdown tables, YAML block scalars, XML config', () => {
	it('redacts a credential after a two-word secret name, also when words follow it', () => {
		fc.assert(
			fc.property(
				fc.constantFrom('API key', 'api key', 'Api Key', 'access token', 'Access Token', 'client secret', 'Secret key', 'private key', 'license key'),
				fc.constantFrom(': ', ':', ' : ', ' = ', '='),
				fc.constantFrom('', ' (rotate monthly)', ' - expires in June', '  # prod'),
				fc.constantFrom('', 'The ', '- ', '> '),
				fc.constantFrom('\n', '\r\n'),
				(name, colon, after, before, eol) => {
					const text = `Notes${eol}${before}${name}${colon}LEAKsp5aB3cD4eF${after}${eol}end`;
					const scrubbed = scrubText(text);
					expect(scrubbed, scrubbed).not.toContain('LEAKsp5');
					expect(scrubbed.endsWith(`${after}${eol}end`)).toBe(true);
					expect(scrubText(scrubbed)).toBe(scrubbed);
				},
			),
			{numRuns: 300},
		);
	});

	it('redacts the value cell beside a secret name in a markdown table', () => {
		fc.assert(
			fc.property(
				fc.constantFrom('WEATHER_API_KEY', '`WEATHER_API_KEY`', '**DB_PASSWORD**', 'API key', 'client_secret', 'GITHUB_TOKEN'),
				fc.constantFrom('LEAKtb5x', '`LEAKtb5x`', 'LEAKtb5xAb12Cd34Ef (prod)', '**LEAKtb5x**'),
				fc.boolean(),
				fc.constantFrom('\n', '\r\n'),
				(name, value, description, eol) => {
					const row = description ? `| Weather | ${name} | ${value} |` : `|${name}|${value}|`;
					const text = `| Service | Name | Value |${eol}|---|---|---|${eol}${row}${eol}| Other | PORT | 8080 |${eol}`;
					const scrubbed = scrubText(text);
					expect(scrubbed, scrubbed).not.toContain('LEAKtb5');
					expect(scrubbed).toContain(`| Other | PORT | 8080 |${eol}`);
					expect(scrubText(scrubbed)).toBe(scrubbed);
				},
			),
			{numRuns: 200},
		);
	});

	it('redacts the value cell in a table written without outer pipes, under its --- | --- row', () => {
		fc.assert(
			fc.property(
				fc.constantFrom('Password', 'DB_PASSWORD', '`WEATHER_API_KEY`', '**client_secret**', 'API key'),
				fc.constantFrom('LEAKtb6x', '`LEAKtb6x`', 'LEAKtb6xAb12Cd34Ef (prod)'),
				fc.constantFrom(['', ''], ['', ' |'], ['| ', ''], ['Weather | ', '']),
				fc.constantFrom(['--- | ---', '--- | --- | ---'], [':--|--:', ':--|:-:|--:'], ['---|---', '---|---|---'], ['| --- | --- |', '| --- | --- | --- |'], ['-- | :---:', '-- | -- | :---:']),
				fc.constantFrom('\n', '\r\n'),
				(name, value, [lead, trail], separators, eol) => {
					const wide = lead.startsWith('Weather');
					const header = wide ? `Service | Name | Value` : `Name | Value`;
					const line = separators[wide ? 1 : 0];
					const text = `${header}${eol}${line}${eol}${lead}${name} | ${value}${trail}${eol}${wide ? 'Other | ' : ''}PORT | 8080${eol}${eol}after | text${eol}`;
					const scrubbed = scrubText(text);
					expect(scrubbed, scrubbed).not.toContain('LEAKtb6');
					expect(scrubbed).toContain(`${lead}${name} | `);
					expect(scrubbed.startsWith(`${header}${eol}${line}${eol}`), scrubbed).toBe(true);
					expect(scrubbed.endsWith(`PORT | 8080${eol}${eol}after | text${eol}`), scrubbed).toBe(true);
					expect(scrubText(scrubbed)).toBe(scrubbed);
				},
			),
			{numRuns: 200},
		);
		expect(scrubText('Name | Value\n--- | ---\nPassword | hunter2\nHost | db\n')).toBe(`Name | Value\n--- | ---\nPassword | ${M}\nHost | db\n`);
	});

	it('leaves pipes outside a table alone: shell pipelines, a header row, rows after the table ends', () => {
		for (const text of [
			'echo hello | sudo tee /etc/motd\ncat token | base64\n',
			'Password | Value\n--- | ---\nHost | db\n',
			'Name | Value\n--- | ---\nHost | db\n\nPassword | hunter2\n',
			'---\ntitle: x\n---\npassword | hunter2\n',
		]) {
			expect(scrubText(text), text).toBe(text);
		}
	});

	it('redacts YAML block scalars under a secret name, keeping what follows', () => {
		fc.assert(
			fc.property(
				fc.constantFrom('password', 'client_secret', 'private_key', 'apiKey'),
				fc.constantFrom('|', '>', '|-', '>+', '|2', '| # from the vault'),
				fc.constantFrom('', '  ', '    '),
				fc.constantFrom('\n', '\r\n'),
				(name, indicator, indent, eol) => {
					const text = `${indent}user: bob${eol}${indent}${name}: ${indicator}${eol}${indent}  LEAKyb5first${eol}${eol}${indent}  LEAKyb5second${eol}${indent}host: db${eol}`;
					const scrubbed = scrubText(text);
					expect(scrubbed, scrubbed).not.toContain('LEAKyb5');
					expect(scrubbed).toContain(`${indent}user: bob${eol}`);
					expect(scrubbed.endsWith(`${eol}${indent}host: db${eol}`)).toBe(true);
					expect(scrubText(scrubbed)).toBe(scrubbed);
				},
			),
			{numRuns: 200},
		);
	});

	it('redacts XML config values named by a key attribute or by the element', () => {
		fc.assert(
			fc.property(
				fc.constantFrom(
					['<add key="ApiKey" value="', '"/>'],
					["<add name='ClientSecret' value='", "' />"],
					['<add key = "DB_PASSWORD"  value = "', '" />'],
					['<entry key="password">', '</entry>'],
					['<password>', '</password>'],
					['<ns:client-secret attr="1">', '</ns:client-secret>'],
				),
				fc.constantFrom('', '  ', '\t'),
				fc.constantFrom('\n', '\r\n'),
				([open, close], indent, eol) => {
					const text = `<appSettings>${eol}${indent}${open}LEAKxm5 a/b+c=${close}${eol}${indent}<add key="Theme" value="dark"/>${eol}</appSettings>`;
					const scrubbed = scrubText(text);
					expect(scrubbed, scrubbed).not.toContain('LEAKxm5');
					expect(scrubbed).toContain('<add key="Theme" value="dark"/>');
					expect(scrubbed).toContain(close.trim());
					expect(scrubText(scrubbed)).toBe(scrubbed);
				},
			),
			{numRuns: 100},
		);
	});

	it('leaves prose, documentation tables, YAML and XML without secrets alone', () => {
		for (const text of [
			'the API key rotation policy is monthly',
			'API key: ask ops for it, never paste it here.',
			'Access token: see the vault (rotated monthly).',
			'The private key: keep it offline.',
			'| Variable | Description |\n|---|---|\n| OPENAI_API_KEY | Your OpenAI key, from the dashboard |\n| DB_PASSWORD | - |\n| GITHUB_TOKEN | `${GITHUB_TOKEN}` |\n',
			'| Token | Meaning |\n| --- | --- |\n| BOS | begin |\n',
			'description: |\n  The password policy lives in the wiki.\n  Tokens are counted per reply.\nname: x\n',
			'password: |\n  ${DB_PASSWORD}\n',
			'<add key="Theme" value="dark"/>\n<title>Token budget</title>\n<maxTokens>4096</maxTokens>\n<add key="ApiKey" value="${API_KEY}"/>',
		]) {
			expect(scrubText(text)).toBe(text);
		}
	});
});

describe('new scrubbing steps stay linear on hostile input: eight times the input costs about eight times the work', () => {
	const hostile = [
		'| TOKEN | x |\n'.repeat(20_000),
		`a | b\n--- | ---\n${'TOKEN | x\n'.repeat(20_000)}`,
		'password: |\n'.repeat(20_000),
		'<password>'.repeat(20_000),
		'<add key="password" value="'.repeat(5_000),
		'?x=%3Ftoken%3D'.repeat(10_000),
		'{\\"apiKey\\":\\"'.repeat(10_000),
		"x['password'] = ".repeat(10_000),
		"'password' => ".repeat(10_000),
		"define( 'password' , ".repeat(10_000),
		'docker login '.repeat(20_000),
		'machine a.b login '.repeat(20_000),
		'setx /s a '.repeat(20_000),
		'set "password='.repeat(10_000),
		'C:\\x '.repeat(20_000),
		' -u "a:b'.repeat(10_000),
		'Set-Item env:API_KEY '.repeat(10_000),
		'"machine x password '.repeat(10_000),
		"sshpass -v -p'".repeat(10_000),
		'Cookie: a=b; '.repeat(10_000),
		'API key: '.repeat(20_000),
		'https://u:a/'.repeat(20_000),
		'https://u:p@s/'.repeat(20_000),
		'x%3A%2F%2Fu%3Ap%40'.repeat(10_000),
	];
	eachCostsLinearWork(hostile);
});

describe('second review: no crash, no hang, no damage to code, schemas or IPv6 URLs', () => {
	it('a secret name then any Unicode blank before its value never throws (a no-break space from a web page)', () => {
		const blanks = [...'\u00a0\u1680\u2000\u2003\u2007\u200a\u202f\u205f\u3000\f\v\u2028\u2029\ufeff'];
		fc.assert(
			fc.property(fc.constantFrom('Secret', 'Token', 'password', 'API key', 'api_key', 'Authorization'), fc.constantFrom(':', '=', ': ', ' = '), fc.constantFrom(...blanks), fc.constantFrom('the launch date is under embargo', 'x', 'never share it\n', ''), (name, separator, blank, rest) => {
				const text = `${name}${separator}${blank}${rest}`;
				expect(() => scrubText(text)).not.toThrow();
				expect(() => scrubColumnValue(text)).not.toThrow();
				expect(() => scrubTextBytes(Buffer.from(text, 'utf8'))).not.toThrow();
			}),
		);
	});

	it('a long run of blanks inside an element, after an attribute, after a table row or in any newer form costs linear work (XML was cubic, the look-ahead for a table delimiter row quadratic)', () => {
		const shapes = [(n: number) => `<a>${' '.repeat(n)}x`, (n: number) => `key="a">${' '.repeat(n)}\n`, (n: number) => `<password>${'\t'.repeat(n)}x`, (n: number) => `<a ${' '.repeat(400)}>${' '.repeat(n)}`, (n: number) => `| a |\n${' '.repeat(n)}x`, (n: number) => `| a |\n---${' '.repeat(n)}x`];
		// The steps added for code, command lines, .netrc and Windows, with a long run of blanks wherever their patterns allow blanks.
		const blanks = (n: number) => ' '.repeat(n);
		shapes.push(
			n => `define(${blanks(n)}'password'${blanks(n)},${blanks(n)}x`,
			n => `'password'${blanks(n)}=>${blanks(n)}x`,
			n => `x['password']${blanks(n)}=${blanks(n)}`,
			n => `docker${blanks(n)}login${blanks(n)}-p${blanks(n)}`,
			n => `sshpass${' -v'.repeat(3)}${blanks(n)}-p${blanks(n)}`,
			n => `machine${blanks(n)}a.b${blanks(n)}login${blanks(n)}u${blanks(n)}password${blanks(n)}`,
			n => `setx /s a${blanks(n)}API_KEY${blanks(n)}`,
			n => `C:\\x>${blanks(n)}set${blanks(n)}API_KEY=${blanks(n)}`,
			n => `set "API_KEY=${blanks(n)}`,
			n => `Set-Item${blanks(n)}-Path${blanks(n)}env:API_KEY${blanks(n)}`,
			n => `curl -u "a:${blanks(n)}`,
			n => `https://u:p@${blanks(n)}`,
			n => `a | b\n--- | ---\nTOKEN |${blanks(n)}x`,
		);
		for (const shape of shapes) {
			const small = shape(4000);
			const large = shape(32_000);
			// Eight times the blanks: cubic work took 512 times as long (18 s at 4,000 before the fix).
			expect(workRatio(() => scrubText(small), () => scrubText(large), 5), shape(3)).toBeLessThan(24);
		}
	});

	it('comparisons, arrows, calls and command substitutions in code are not assignments', () => {
		for (const code of ['if password == confirm:', 'x => secret => y', 'if (token != null) send(token)', 'token=$(curl -s https://idp.example/token)', 'while password <= limit:', 'std::secret::Box']) {
			expect(scrubText(code), code).toBe(code);
		}
		expect(scrubText('client = OpenAI(api_key=sk-proj-abcdefghijklmnop1234)')).toBe(`client = OpenAI(api_key=${REDACTED_MARKER})`);
		expect(scrubText('f(password=hunter2Prod)')).toBe(`f(password=${REDACTED_MARKER})`);
		expect(scrubText('PASSWORD := hunter2Prod9')).toBe(`PASSWORD := ${REDACTED_MARKER}`);
		expect(scrubText('password := "hunter2-Prod"')).toBe(`password := "${REDACTED_MARKER}"`);
	});

	it('a JSON Schema describing a secret parameter keeps its description; a settings object named properties does not', () => {
		const schema = JSON.stringify({
			type: 'object',
			properties: {
				apiKey: {type: 'string', description: 'Your API key'},
				pin: {type: 'integer', minimum: 1000, maximum: 9999},
				password: {type: 'string', format: 'password', minLength: 8, writeOnly: true},
				auth: {anyOf: [{type: 'string'}, {type: 'null'}]},
				tokens: {type: 'array', items: {type: 'string'}},
			},
			$defs: {secret: {$ref: '#/properties/password'}},
			required: ['apiKey'],
		});
		expect(scrubColumnValue(schema)).toBe(schema);
		const settings = JSON.stringify({properties: {'db.password': 'LEAKprop01', password: {value: 'LEAKprop02'}, secret: {type: 'basic', value: 'LEAKprop03'}}});
		expect(scrubColumnValue(settings)).not.toMatch(/LEAK/);
	});

	it('an IPv6 host with an @ in the path is no password; a password before an IPv6 host is', () => {
		for (const url of ['http://[::1]:5173/@vite/client', 'http://[2001:db8::1]/@scope/pkg', 'https://[fe80::1%25eth0]:8443/@x']) expect(scrubText(url)).toBe(url);
		expect(scrubText('http://user:pw123@[::1]:80/x')).toBe(`http://user:${REDACTED_MARKER}@[::1]:80/x`);
	});
});

describe('adversarial review: hangs and damage in the newer steps', () => {
	it('block scalar headers indented by tabs, each over a template or an already redacted value, cost linear work (the tab was no indent for the header but one for its lines, so every header read to the end)', () => {
		const shapes = [(n: number) => `${'\tpassword: |\n\t{{\n'.repeat(n)}\t}}`, (n: number) => `${'\tpassword: |\n'.repeat(n)}\t[REDACTED]`];
		for (const shape of shapes) {
			expect(workRatio(() => scrubText(shape(2000)), () => scrubText(shape(16_000)), 3), shape(1)).toBeLessThan(24);
		}
	});
	it('docker login in prose or in another command before a port keeps the port: only an option of the login command itself is its password', () => {
		for (const text of [
			'After docker login, run the container with -p 8080:80',
			'Run docker login first. Then docker run -p 8080:80 app',
			'`docker login` then `docker run -p 8080:80 nginx`',
			'docker login then docker run -p 8080:80 nginx',
		]) {
			expect(scrubText(text), text).toBe(text);
		}
		expect(scrubText('docker login registry.example.com -u me -p hunter2Prod')).toBe(`docker login registry.example.com -u me -p ${M}`);
		expect(scrubText('`docker login -u me -p hunter2Prod ghcr.io`')).toBe(`\`docker login -u me -p ${M} ghcr.io\``);
	});

	it('a .netrc default entry counts only where an entry starts (a line or a quoted string), so prose about the default login keeps its words', () => {
		for (const text of ['If default login fails, password reset is needed', 'the default account password login flow', 'By default login is admin and password changeme until set']) {
			expect(scrubText(text), text).toBe(text);
		}
		expect(scrubText('default login anonymous password hunter2Prod')).toBe(`default login anonymous password ${M}`);
		expect(scrubText('machine a.example login me password x1\ndefault login anon password hunter2Prod')).toBe(`machine a.example login me password ${M}\ndefault login anon password ${M}`);
		expect(scrubText(`echo "default login anon password hunter2Prod" >> ~/.netrc`)).toBe(`echo "default login anon password ${M}" >> ~/.netrc`);
	});
	it('PowerShell $env:NAME given a command or a variable keeps it, as a subscript does: only a literal or what looks like a key is redacted', () => {
		for (const text of ['$env:API_KEY = Read-Host -AsSecureString', '$env:API_KEY = $args[0]', '$env:OPENAI_API_KEY = Get-Secret MyKey -AsPlainText', 'process.env.API_KEY = config.apiKey']) {
			expect(scrubText(text), text).toBe(text);
		}
		expect(scrubText('$env:API_KEY = "hunter 2"')).toBe(`$env:API_KEY = "${M}"`);
		expect(scrubText('$env:OPENAI_API_KEY = sk-proj-abcdefghijklmnop1234')).not.toContain('abcdefghijklmnop1234');
	});

	it('batch parameters and loop variables are no value: set API_KEY=%1, %~1, %%i, !KEY! keep the script working', () => {
		for (const text of ['set API_KEY=%1', 'set SECRET_KEY=%~1', 'for %%i in (*) do set API_KEY=%%i', 'set API_KEY=!KEY!', 'set "API_KEY=%~2"', 'setx API_KEY %1']) {
			expect(scrubText(text), text).toBe(text);
		}
		expect(scrubText('set API_KEY=hunter2Prod')).toBe(`set API_KEY=${M}`);
	});
});

describe('forms noted as leaking: split over a line, other spellings and cases, literal fallbacks', () => {
	const secret = fc.stringMatching(/^[A-Za-z0-9!#%+.\/^~-]{6,24}$/).map(body => `LEAK${body}`);
	const quote = fc.constantFrom("'", '"');
	const blanks = fc.constantFrom(' ', '  ', '\t');

	it('redacts the password of a command continued over lines with `\\` (docker login, mysql, sshpass, redis-cli, a secret flag)', () => {
		fc.assert(
			fc.property(secret, fc.constantFrom('\n', '\r\n'), blanks, (value, eol, indent) => {
				for (const text of [
					`docker login -u me \\${eol}${indent}-p ${value} registry.example`,
					`podman login registry.example \\${eol}${indent}--username me \\${eol}${indent}-p ${value}`,
					`mysqldump -u root \\${eol}${indent}-p${value} shop > dump.sql`,
					`sshpass \\${eol}${indent}-p ${value} ssh ops@host`,
					`redis-cli -h cache \\${eol}${indent}-a ${value} ping`,
					`acme-sync --api-key \\${eol}${indent}${value} --dry-run`,
				]) {
					const scrubbed = scrubText(text);
					expect(scrubbed, text).not.toContain(value);
					expect(scrubbed.split(eol).length, text).toBe(text.split(eol).length);
					expect(scrubText(scrubbed)).toBe(scrubbed);
				}
			}),
			{numRuns: 150},
		);
	});

	it('a continuation after a secret flag whose next line is another option keeps the script as it is', () => {
		for (const text of ['pg_dump --password \\\n  --host db shop', 'tool --token \\\n  -v']) expect(scrubText(text), text).toBe(text);
	});

	it('redacts secrets set under other spellings: DEFINE in any case, blanks inside a subscript, ${env:X}, Env:\\X, setx /M, os.putenv', () => {
		fc.assert(
			fc.property(secret, quote, blanks, (value, q, blank) => {
				for (const text of [
					`DEFINE(${q}DB_PASSWORD${q}, ${q}${value}${q});`,
					`Define(${blank}${q}AUTH_KEY${q},${blank}${q}${value}${q}${blank});`,
					`os.environ[${blank}${q}OPENAI_API_KEY${q}${blank}] = ${q}${value}${q}`,
					`ENV[${blank}${q}SECRET_KEY${q}]${blank}=${blank}${q}${value}${q}`,
					`\${env:OPENAI_API_KEY}${blank}=${blank}${q}${value}${q}`,
					`Set-Item Env:\\GITHUB_TOKEN ${value}`,
					`Set-Item -Path Env:\\GITHUB_TOKEN -Value ${q}${value}${q}`,
					`setx /M OPENAI_API_KEY ${value}`,
					`setx /m ${q}DB_PASSWORD${q} ${q}${value}${q}`,
					`os.putenv(${q}DB_PASSWORD${q}, ${q}${value}${q})`,
				]) {
					const scrubbed = scrubText(text);
					expect(scrubbed, text).not.toContain(value);
					expect(scrubbed, text).toContain(M);
					expect(scrubText(scrubbed)).toBe(scrubbed);
				}
			}),
			{numRuns: 150},
		);
	});

	it("redacts Ruby symbol keys (:password => '…') and a PHP or Ruby literal on the line after =>", () => {
		fc.assert(
			fc.property(secret, quote, fc.constantFrom(' ', '\n    ', '\r\n\t\t', ' \n  '), (value, q, gap) => {
				for (const text of [`{:password => ${q}${value}${q}}`, `config[:api_key] = {:secret_key =>${gap}${q}${value}${q}}`, `return [\n  ${q}password${q} =>${gap}${q}${value}${q},\n];`]) {
					const scrubbed = scrubText(text);
					expect(scrubbed, text).not.toContain(value);
					expect(scrubbed.replace(M, value)).toBe(text);
				}
			}),
			{numRuns: 150},
		);
	});

	it('redacts the literal fallback of a read: env(…), os.getenv, environ.get, ENV.fetch, getProperty, also on the next line', () => {
		fc.assert(
			fc.property(secret, quote, fc.constantFrom(' ', '', '\n        '), (value, q, gap) => {
				for (const text of [
					`'password' => env(${q}DB_PASSWORD${q},${gap}${q}${value}${q}),`,
					`SECRET_KEY = os.environ.get(${q}SECRET_KEY${q},${gap}${q}${value}${q})`,
					`token = os.getenv(${q}GITHUB_TOKEN${q},${gap}${q}${value}${q})`,
					`ENV.fetch(${q}API_TOKEN${q},${gap}${q}${value}${q})`,
					`System.getProperty(${q}db.password${q},${gap}${q}${value}${q})`,
				]) {
					const scrubbed = scrubText(text);
					expect(scrubbed, text).not.toContain(value);
					expect(scrubbed.replace(M, value)).toBe(text);
				}
			}),
			{numRuns: 150},
		);
		for (const text of ["env('DB_PASSWORD')", "os.getenv('DB_PASSWORD', '')", "ENV.fetch('API_TOKEN', nil)", "config.get('password', None)", "env('APP_NAME', 'Laravel')"]) {
			expect(scrubText(text), text).toBe(text);
		}
	});

	it('redacts curl -uuser:pass written attached, in text and in an argument list, keeping the user', () => {
		fc.assert(
			fc.property(secret, fc.constantFrom('admin', 'ci-bot', 'me@example.com'), (value, user) => {
				expect(scrubText(`curl -sS -u${user}:${value} https://x.example/api`)).toBe(`curl -sS -u${user}:${M} https://x.example/api`);
				expect(redactJson({command: 'curl', args: [`-u${user}:${value}`, 'https://x.example']}).value).toEqual({command: 'curl', args: [`-u${user}:${M}`, 'https://x.example']});
			}),
			{numRuns: 100},
		);
		for (const text of ['curl -uadmin: https://x', 'curl -uadmin:8080 https://x', 'tar -uf a.tar b:c', 'mysql -uroot:x']) expect(scrubText(text), text).toBe(text);
	});

	it('redacts sshpass -pX attached in an argument list, and only sshpass’s own -p, of each sshpass (ssh’s -p after it is a port)', () => {
		const scrubbed = (args: string[]) => (redactJson({command: 'sshpass', args}).value as {args: string[]}).args;
		expect(scrubbed(['-phunter2Prod', 'ssh', '-p', '2222', 'ops@host'])).toEqual([`-p${M}`, 'ssh', '-p', '2222', 'ops@host']);
		expect(scrubbed(['-p', 'hunter2Prod', 'ssh', '-p2222', 'ops@host'])).toEqual(['-p', M, 'ssh', '-p2222', 'ops@host']);
		expect(scrubbed(['-e', 'ssh', '-p', '2222', 'ops@host'])).toEqual(['-e', 'ssh', '-p', '2222', 'ops@host']);
		expect(scrubbed(['-f', 'pw.txt', 'ssh', '-p2222', 'ops@host'])).toEqual(['-f', 'pw.txt', 'ssh', '-p2222', 'ops@host']);
		expect(scrubbed(['-p', 'pw1Prod', 'ssh', 'h1', '&&', 'sshpass', '-p', 'pw2Prod', 'ssh', '-p', '22', 'h2'])).toEqual(['-p', M, 'ssh', 'h1', '&&', 'sshpass', '-p', M, 'ssh', '-p', '22', 'h2']);
	});
});

describe('code the scrubber broke: a string closed after a secret name, calls and subscripts, prompts, shell parameters', () => {
	it('keeps code whose secret name is inside a string or whose value is computed', () => {
		for (const text of [
			"os.environ['PASSWORD'] = input('Password: ')",
			"pw = getpass.getpass('Password: ')",
			'print("Password: " + pw)',
			'console.log("API key: " + key.slice(0, 4))',
			"log.info('token=' + token)",
			"data = {'password': request.form['password']}",
			'password = get_password()',
			'{api_key: settings.API_KEY()}',
			'secret = vault.read("secret/app")',
			"token = os.environ['GITHUB_TOKEN']",
			'set /p PASSWORD=Enter password:',
			'set /P "DB_PASSWORD=Password for the database: "',
			'set /a TOKEN=TOKEN+1',
			'export API_KEY=$1',
			'GITHUB_TOKEN=$2 ./sync.sh "$@"',
			'set -- ; API_KEY=$@ run',
		]) {
			expect(scrubText(text), text).toBe(text);
		}
	});

	it("keeps a single Laravel validation rule under a password key ('confirmed', 'min:8'), as it keeps a list of rules", () => {
		for (const text of ["'password' => 'confirmed',", "'password' => 'min:8',", "'current_password' => 'current_password',", "'password' => ['required', 'string', 'min:8', 'confirmed'],"]) {
			expect(scrubText(text), text).toBe(text);
		}
		expect(scrubText("'password' => 'confirmed8x',")).toBe(`'password' => '${M}',`);
	});

	it('still redacts a written password that holds brackets, and a literal in a prompt line', () => {
		expect(scrubText('password = P4ss(word)')).toBe(`password = ${M}`);
		expect(scrubText('password: Summer(2024)')).toBe(`password: ${M}`);
		expect(scrubText("password = 'x' + suffix")).toBe(`password = '${M}' + suffix`);
		expect(scrubText('set PASSWORD=hunter2Prod')).toBe(`set PASSWORD=${M}`);
		expect(scrubText("echo 'password: hunter2Prod'")).toBe(`echo 'password: ${M}'`);
	});

	describe('the new shapes cost linear work, one test each', () => {
		const hostile = [
			'docker login \\\n'.repeat(20_000),
			'mysql \\\n'.repeat(20_000),
			'curl -ua:'.repeat(20_000),
			'--token \\\n'.repeat(20_000),
			"os.environ[ 'API_KEY' ] = ".repeat(10_000),
			'${env:API_KEY} = '.repeat(10_000),
			':password =>\n'.repeat(10_000),
			"env('DB_PASSWORD',\n".repeat(10_000),
			'set /p PASSWORD='.repeat(10_000),
			"'password: '".repeat(10_000),
			'password = a.b.c('.repeat(10_000),
			'x = ['.repeat(20_000),
		];
		eachCostsLinearWork(hostile);
	});
});

describe('review of the forms above: leaks, damage and a hang it found', () => {
	it('a value that looks like a call but holds or yields a literal is redacted: a literal argument, a fallback after it, a generated password with brackets', () => {
		for (const [text, secret] of [
			['DB_PASSWORD = os.getenv("DB_PASSWORD") or "hunter2Prod"', 'hunter2Prod'],
			["password = input('Password: ') or 'hunter2Prod'", 'hunter2Prod'],
			["password = base64.b64decode('aHVudGVyMg==')", 'aHVudGVyMg=='],
			["password = decrypt('hunter2Prod')", 'hunter2Prod'],
			["password = hashlib.sha256(b'hunter2Prod').hexdigest()", 'hunter2Prod'],
			["password: vault('secret/db')['hunter2Prod']", 'hunter2Prod'],
			['DB_PASSWORD=Xk9_f2(aQ)!7z', 'Xk9_f2(aQ)!7z'],
			['DB_PASSWORD=hunter(two)', 'hunter(two)'],
			['ADMIN_PASSWORD=pa$$w0rd(Ab)', 'pa$$w0rd(Ab)'],
			['password: Summer()', 'Summer()'],
			['password=Tr0ub4dor()', 'Tr0ub4dor()'],
			['API_KEY=abc_def()ghijklmnop1234567890', 'ghijklmnop1234567890'],
			['curl -d "password="hunter2Prod http://x', 'hunter2Prod'],
			["echo 'token='abc123def", 'abc123def'],
			["'password: 'hunter2Prod'", 'hunter2Prod'],
		] as const) {
			expect(scrubText(text), text).not.toContain(secret);
		}
	});

	it('the password of a tool option on the line after a continuation, a quoted attached curl -u, a literal fallback of an environment read', () => {
		for (const [text, secret] of [
			['sshpass -p \\\n  hunter2Prod ssh host', 'hunter2Prod'],
			['redis-cli -h host -a \\\n  hunter2Prod ping', 'hunter2Prod'],
			['docker login -u me -p \\\n  hunter2Prod ghcr.io', 'hunter2Prod'],
			['setx /s host /u admin /p \\\n hunter2Prod', 'hunter2Prod'],
			['curl -u"user:pa ss" x', 'pa ss'],
			["env('SECRET_KEY', default='django-insecure-abc')", 'django-insecure-abc'],
			["config('database.password', 'hunter2Prod')", 'hunter2Prod'],
			["const pw = process.env.DB_PASSWORD || 'hunter2Prod'", 'hunter2Prod'],
			['const pw = process.env["API_KEY"] ?? "hunter2Prod"', 'hunter2Prod'],
			["password = os.environ.get('DB_PASSWORD') or 'hunter2Prod'", 'hunter2Prod'],
			["$pw = getenv('DB_PASSWORD') ?: 'hunter2Prod';", 'hunter2Prod'],
		] as const) {
			const scrubbed = scrubText(text);
			expect(scrubbed, text).not.toContain(secret);
			expect(scrubText(scrubbed)).toBe(scrubbed);
		}
		expect(scrubText("const name = process.env.APP_NAME || 'lifeboat'")).toBe("const name = process.env.APP_NAME || 'lifeboat'");
	});

	it('keeps placeholders after curl -u, a markdown hard line break, compact JavaScript arrows, label lookups, redirections and CI expressions', () => {
		for (const text of [
			'curl -uuser:$PASS http://x',
			'curl -u"user:$PASS" http://x',
			'curl -uadmin:%PASSWORD% http://x',
			'curl -uadmin:<password> http://x',
			'curl -uadmin:$(cat pw) http://x',
			'First docker login to ghcr.io\\\nthen ssh -p 2222 host',
			'Connect with mysql\\\nTry: cp -pR a b',
			'Use sshpass\\\n-p is the port option of ssh',
			'x=`redis-cli ping`\\\ngrep -a pat f',
			'Tip: curl works\\\nbut `docker run -uapp:staff img`',
			'const o={label:token=>"API token"}',
			"validate:password=>'Too short'",
			"value = config.get('credentials', 'aws_secret_access_key')",
			"label = labels.get('password', 'Password')",
			"i18n.get('auth.password', 'Password')",
			'gh auth login --with-token < token.txt',
			'gh auth login --with-token \\\n  < token.txt',
			'tool --password \\\n  <<< "$PW"',
			'tool --token ${{ secrets.TOKEN }}',
			'tool --token "$(cat token.txt)"',
		]) {
			expect(scrubText(text), text).toBe(text);
		}
		const args = (command: string, list: string[]) => (redactJson({command, args: list}).value as {args: string[]}).args;
		expect(args('docker', ['run', '-uapp:staff', 'curlimages/curl'])).toEqual(['run', '-uapp:staff', 'curlimages/curl']);
		expect(args('docker', ['run', '-p8080:80', 'nginx', 'login'])).toEqual(['run', '-p8080:80', 'nginx', 'login']);
		expect(args('curl', ['-uadmin:$PASS', 'x'])).toEqual(['-uadmin:$PASS', 'x']);
	});

	it('values passed over as computed cost linear work, and so do long runs of closing brackets', () => {
		const hostile = ['password=x()', 'password = x() ', 'password=a_b(', '{password:a.b(c)}+', 'password=(', 'x password: a.b(', "password = f('a',", 'password = config.a || ', 'mysql --password x ', 'curl -sSu', 'password = get(a)['];
		for (const piece of hostile) {
			expect(workRatio(() => scrubText(piece.repeat(2000)), () => scrubText(piece.repeat(16_000)), 3), piece).toBeLessThan(24);
		}
		expect(workRatio(() => scrubText(`password=x${')'.repeat(5000)}`), () => scrubText(`password=x${')'.repeat(40_000)}`), 3)).toBeLessThan(24);
	});
});

describe('second review: what passed for computed, prompts and continuations in other shells', () => {
	it('a bracketed password in config, a transform of a literal, a tuple after a call and a separated value are redacted', () => {
		for (const [text, secret] of [
			['password: summer(2024)', 'summer(2024)'],
			['db_password: trustno(one)', 'trustno(one)'],
			['environment:\n  DB_PASSWORD: trustno(one)', 'trustno(one)'],
			['  password: letmein(HOT)', 'letmein(HOT)'],
			['secret_key = abc.def(1)', 'abc.def(1)'],
			['api_key: my.key(123)', 'my.key(123)'],
			['[db]\npassword = p.a(1)', 'p.a(1)'],
			['Use api_key: sk_k9()] now', 'sk_k9'],
			['password = str("HUNTER2XYZ")', 'HUNTER2XYZ'],
			['password = encode("correct-horse.battery-staple")', 'correct-horse'],
			["password = unhex('hunter2?')", 'hunter2'],
			["password = f(), 'hunter2Prod'", 'hunter2Prod'],
			['password = get(KEY), "hunter2Prod"  # tuple', 'hunter2Prod'],
			["password = x.y[0], 'hunter2Prod'", 'hunter2Prod'],
			['password = get_password() || "hunter2Prod"', 'hunter2Prod'],
			['echo "password=" hunter2Prod', 'hunter2Prod'],
			['set /A PASSWORD=1234', '1234'],
		] as const) {
			const scrubbed = scrubText(text);
			expect(scrubbed, text).not.toContain(secret);
			expect(scrubText(scrubbed)).toBe(scrubbed);
		}
	});

	it('fallbacks split over lines, a reader call broken after its bracket, curl options combined with -u, and cmd or PowerShell continuations', () => {
		for (const [text, secret] of [
			["const password =\n  process.env.DB_PASSWORD ||\n  'hunter2Prod';", 'hunter2Prod'],
			["const password = process.env.DB_PASSWORD\n  || 'hunter2Prod';", 'hunter2Prod'],
			['pw = os.getenv(\n    "DB_PASSWORD",\n    "hunter2Prod",\n)', 'hunter2Prod'],
			['curl -su admin:hunter2Prod x', 'hunter2Prod'],
			['curl -Lu admin:hunter2Prod x', 'hunter2Prod'],
			['curl -sSfuadmin:hunter2Prod x', 'hunter2Prod'],
			['tool --password ^\n  hunter2Prod', 'hunter2Prod'],
			['tool --password `\n  hunter2Prod', 'hunter2Prod'],
			['sshpass -p ^\r\n  hunter2Prod ssh host', 'hunter2Prod'],
		] as const) {
			const scrubbed = scrubText(text);
			expect(scrubbed, text).not.toContain(secret);
			expect(scrubbed.split('\n').length, text).toBe(text.split('\n').length);
		}
		expect(redactJson({command: 'curl', args: ['-su', 'admin:S3cretXyz', '-sSfuadmin:pw2Xyz', 'x']}).value).toEqual({command: 'curl', args: ['-su', `admin:${M}`, `-sSfu${'admin'}:${M}`, 'x']});
	});

	it('keeps reads of settings and the environment, hooks, generators and a fallback already redacted', () => {
		for (const text of [
			'const password = process.env.DB_PASSWORD',
			'const apiKey = config.apiKey;',
			'  password: process.env.DB_PASSWORD,',
			'api_key = args.api_key',
			'self.password = self.settings.password',
			'const token = useToken(); // hook',
			'SECRET_KEY = secrets.token_hex(32)',
			"x = config['db']['password']",
			'{password: get_pw(), user: name}',
			`const password = process.env.DB_PASSWORD || '${M}';`,
		]) {
			expect(scrubText(text), text).toBe(text);
		}
		expect(scrubText("const password = process.env.DB_PASSWORD || 'hunter2Prod';")).toBe(`const password = process.env.DB_PASSWORD || '${M}';`);
	});
});

describe('third review: member reads, what ends a statement, calls of variables, clients run by another command', () => {
	it('a member read holding digits, a YAML line, a value run on past #, // or ;, and a fallback after any computed value are redacted', () => {
		for (const [text, secret] of [
			['api_key = config.a8f5f167f44f4964e6c998dee827110c', 'a8f5f167'],
			['password: options.Xk9mQ2vLp8Rt', 'Xk9mQ2vLp8Rt'],
			['[db]\npassword = self.hunter2', 'hunter2'],
			['password: this.is.my.secret', 'this.is.my.secret'],
			['password = self.Pa55#word', 'Pa55'],
			['password = config.abc//hunter2', 'hunter2'],
			['password: config.x;hunter2', 'hunter2'],
			["const password = getenv('X') || 'hunter2Prod';", 'hunter2Prod'],
			["const password = this.pw || 'hunter2Prod';", 'hunter2Prod'],
			["x = {password: this.pw || 'hunter2Prod'}", 'hunter2Prod'],
			["password = lookup('admin:hunter2Prod')", 'hunter2Prod'],
			['set /a PIN=1234&& echo ok', '1234'],
			['secret_key = abc.def(1)', 'abc.def(1)'],
		] as const) {
			const scrubbed = scrubText(text);
			expect(scrubbed, text).not.toContain(secret);
			expect(scrubText(scrubbed)).toBe(scrubbed);
		}
		expect(scrubText("const password = getenv('X') || 'hunter2Prod';")).toBe(`const password = getenv('X') || '${M}';`);
	});

	it('keeps calls given variables, and placeholders after curl options in an argument list', () => {
		for (const text of [
			'password = hashlib.sha256(pw).hexdigest()',
			'password = bcrypt.hash(pw, 10)',
			'token = auth.create_access_token(identity=user)',
			'secret = base64.b64encode(key).decode()',
		]) {
			expect(scrubText(text), text).toBe(text);
		}
		expect(redactJson({command: 'curl', args: ['-sSu', '${U}:${P}', '-u', '$U:$P']}).value).toEqual({command: 'curl', args: ['-sSu', '${U}:${P}', '-u', '$U:$P']});
	});
});

describe('fourth review: what follows a kept value, calls of one word, a client in command position', () => {
	it('a literal anywhere after a computed value redacts the value unless a fallback ends the statement; a call of one word given words is a value', () => {
		for (const text of [
			"password = get_pw() + suffix + 'hunter2X'",
			"password = get_pw() || 'hunter2X' + 'two2X'",
			"password = get_pw() or 'x' if a else 'hunter2X'",
			"password = get_pw() || 'hunter2X' || 'other2X'",
			"password = enc(pw) ; 'hunter2X'",
			'password = hunter(twoX)',
			'password = letmein(pleaseX)',
			'password = correct(horse).battery(stapleX)',
		]) {
			const scrubbed = scrubText(text);
			expect(scrubbed, text).toBe(`password = ${M}`);
		}
	});

});

describe('fifth review: a --password value whatever the command', () => {
	it("redacts what follows --password, a database client's too: it prompts and the word may be the database, but whoever wrote it may have meant the password", () => {
		for (const text of [
			"mysql -u root --password 'S3cr3t!Pw' mydb",
			'mysql -u root --password hunter2X shop',
			'sudo -u postgres psql --password hunter2X',
			'docker exec -it db mysql -uroot --password hunter2X',
			'app --host mysql --password hunter2X',
			"mysql -e 'select 1' && ./deploy.sh --password hunter2X",
		]) {
			expect(scrubText(text), text).not.toMatch(/S3cr3t|hunter2X/);
		}
		for (const [command, args] of [
			['mysql', ['-u', 'root', '--password', 'hunter2X']],
			['sudo', ['-u', 'postgres', 'psql', '--password', 'hunter2X']],
			['docker', ['exec', 'db', 'mysql', '--password', 'hunter2X']],
		] as const) {
			expect(JSON.stringify(redactJson({command, args}).value), args.join(' ')).not.toContain('hunter2X');
		}
		expect(scrubText('mysql --password=hunter2X shop')).toBe(`mysql --password=${M} shop`);
	});
});

describe("other tools' passwords: options, positions, config set and standard input", () => {
	it('redacts each, byte for byte around the value', () => {
		const cases: Array<[string, string]> = [
			['az login --service-principal -u app -p Hunter2pw --tenant t', `az login --service-principal -u app -p ${M} --tenant t`],
			['zip -P Hunter2pw secret.zip file', `zip -P ${M} secret.zip file`],
			['unzip -P Hunter2pw a.zip', `unzip -P ${M} a.zip`],
			['7z a -pHunter2pw a.7z f', `7z a -p${M} a.7z f`],
			['openssl enc -aes-256-cbc -k Hunter2pw -in f', `openssl enc -aes-256-cbc -k ${M} -in f`],
			['openssl pkcs12 -export -passout pass:Hunter2pw -out a.p12', `openssl pkcs12 -export -passout pass:${M} -out a.p12`],
			['openssl rsa -passin "pass:Hunter2pw" -in k', `openssl rsa -passin "pass:${M}" -in k`],
			['keytool -list -keystore ks.jks -storepass Hunter2pw', `keytool -list -keystore ks.jks -storepass ${M}`],
			['htpasswd -b .htpasswd admin Hunter2pw', `htpasswd -b .htpasswd admin ${M}`],
			['htpasswd -nb admin Hunter2pw', `htpasswd -nb admin ${M}`],
			['htpasswd -bBC 10 /etc/nginx/.htpasswd admin Hunter2pw', `htpasswd -bBC 10 /etc/nginx/.htpasswd admin ${M}`],
			['net use Z: \\\\srv\\share /user:ops Hunter2pw', `net use Z: \\\\srv\\share /user:ops ${M}`],
			['net use Z: \\\\srv\\share Hunter2pw /user:ops', `net use Z: \\\\srv\\share ${M} /user:ops`],
			['vault login s.abcdefghijklmnop1234', `vault login ${M}`],
			['gh secret set API_KEY --body Hunter2pw', `gh secret set API_KEY --body ${M}`],
			['kubectl create secret generic db --from-literal=dbpw=Hunter2pw', `kubectl create secret generic db --from-literal=dbpw=${M}`],
			['aws configure set aws_secret_access_key wJalrXUtnFEMIK7MDENG --profile prod', `aws configure set aws_secret_access_key ${M} --profile prod`],
			['git config --global user.password Hunter2pw', `git config --global user.password ${M}`],
			['npm config set //registry.npmjs.org/:_authToken Hunter2tok', `npm config set //registry.npmjs.org/:_authToken ${M}`],
			['dotnet user-secrets set "Stripe:SecretKey" "Hunter2pw"', `dotnet user-secrets set "Stripe:SecretKey" "${M}"`],
			['echo "Hunter2pw" | docker login -u ci --password-stdin', `echo "${M}" | docker login -u ci --password-stdin`],
			["printf '%s' Hunter2pw | podman login --password-stdin r", `printf '%s' ${M} | podman login --password-stdin r`],
			['echo -n Hunter2tok | gh auth login --with-token', `echo -n ${M} | gh auth login --with-token`],
			// The review's leaks.
			["openssl enc -aes-256-cbc -pass pass:'Hunter 2' -in f", `openssl enc -aes-256-cbc -pass pass:'${M}' -in f`],
			['openssl enc -aes-256-cbc -passout=pass:Hunter2pw -in f', `openssl enc -aes-256-cbc -passout=pass:${M} -in f`],
			['tool --password pass:Hunter2pw', `tool --password pass:${M}`],
			['gh secret set TOKEN -bHunter2pw', `gh secret set TOKEN -b${M}`],
			['echo -n "Hunter2pw" | gh secret set TOKEN', `echo -n "${M}" | gh secret set TOKEN`],
			['gh secret set TOKEN <<< "Hunter2pw"', `gh secret set TOKEN <<< "${M}"`],
			["docker login -u u --password-stdin <<< 'Hunter2pw'", `docker login -u u --password-stdin <<< '${M}'`],
			["printf -- '%s' Hunter2pw | docker login --password-stdin", `printf -- '%s' ${M} | docker login --password-stdin`],
			['echo Hunter2pw | sudo -S apt update', `echo ${M} | sudo -S apt update`],
			['net use Z: \\\\srv\\backup /u:backup Hunter2pw', `net use Z: \\\\srv\\backup /u:backup ${M}`],
			['net use Z: \\\\srv\\backup /user:"DOM\\backup user" Hunter2pw', `net use Z: \\\\srv\\backup /user:"DOM\\backup user" ${M}`],
			['net use Z: "\\\\srv\\my share" Hunter2pw /user:backup', `net use Z: "\\\\srv\\my share" ${M} /user:backup`],
			['vault login "Hunter2pw"', `vault login "${M}"`],
			['7z a "-pHunter2pw" x.7z f', `7z a "-p${M}" x.7z f`],
			['zip -rP Hunter2pw out.zip dir', `zip -rP ${M} out.zip dir`],
			['az login -u a -pHunter2pw', `az login -u a -p${M}`],
			['htpasswd -b -- /etc/.htpasswd admin Hunter2pw', `htpasswd -b -- /etc/.htpasswd admin ${M}`],
			['git config -f .git/config user.password Hunter2pw', `git config -f .git/config user.password ${M}`],
			['aws --profile prod configure set aws_secret_access_key Hunter2pw', `aws --profile prod configure set aws_secret_access_key ${M}`],
			['poetry config http-basic.private bak Hunter2pw', `poetry config http-basic.private bak ${M}`],
			['npm config set _auth dXNlcjpTM2NyM3Qh', `npm config set _auth ${M}`],
			['cmdkey /add:srv /user:backup /pass:Hunter2pw', `cmdkey /add:srv /user:backup /pass:${M}`],
			['sqlcmd -S db -U sa -P Hunter2pw -Q "select 1"', `sqlcmd -S db -U sa -P ${M} -Q "select 1"`],
			['mongosh -u admin -p Hunter2pw mongodb://db', `mongosh -u admin -p ${M} mongodb://db`],
			['smbclient //srv/share -U backup%Hunter2pw', `smbclient //srv/share -U backup%${M}`],
			['lftp -u backup,Hunter2pw ftp.example', `lftp -u backup,${M} ftp.example`],
			['kubectl create secret generic db --from-literal=user=app --from-literal=pw=Hunter2pw', `kubectl create secret generic db --from-literal=user=${M} --from-literal=pw=${M}`],
			// The second review's: quoted values with blanks, continuations, a flag in brackets, sudo's options.
			['kubectl create secret generic x --from-literal=pw="Hunter2pw"', `kubectl create secret generic x --from-literal=pw="${M}"`],
			["kubectl create secret generic x --from-literal='password=Hunter 2pw'", `kubectl create secret generic x --from-literal='password=${M}'`],
			['kubectl create secret generic x \\\n  --from-literal=pw=Hunter2pw', `kubectl create secret generic x \\\n  --from-literal=pw=${M}`],
			['openssl pkcs12 -export -passout \\\n  pass:Hunter2pw -out a', `openssl pkcs12 -export -passout \\\n  pass:${M} -out a`],
			['(--password pass:Hunter2pw )', `(--password pass:${M} )`],
			['openssl pkcs12 -passin pass:is -in a', `openssl pkcs12 -passin pass:${M} -in a`],
			['openssl rsa -passin "pass:Hunter 2pw"', `openssl rsa -passin "pass:${M}"`],
			['lftp -u "user,Hunter2pw" ftp.example.com', `lftp -u "user,${M}" ftp.example.com`],
			['7z a "-pHunter 2pw" o.7z', `7z a "-p${M}" o.7z`],
			['smbclient //h/s -U "user%Hunter 2pw"', `smbclient //h/s -U "user%${M}"`],
			['echo Hunter2pw | sudo -u root -S true', `echo ${M} | sudo -u root -S true`],
			['echo Hunter2pw | sudo --stdin true', `echo ${M} | sudo --stdin true`],
			['mytool --token file:Hunter2pw', `mytool --token ${M}`],
		];
		for (const [text, expected] of cases) expect(scrubText(text), text).toBe(expected);
	});

	it('redacts the same options in argument lists, and keeps a prompt, a reference and another command\'s -p', () => {
		const cases: Array<[string, string[], string[]]> = [
			['az', ['login', '-u', 'app', '-p', 'Hunter2pw'], ['login', '-u', 'app', '-p', M]],
			['zip', ['-P', 'Hunter2pw', 'out.zip', 'f'], ['-P', M, 'out.zip', 'f']],
			['7z', ['a', '-pHunter2pw', 'a.7z'], ['a', `-p${M}`, 'a.7z']],
			['openssl', ['enc', '-k', 'Hunter2pw'], ['enc', '-k', M]],
			['openssl', ['pkcs12', '-passout', 'pass:Hunter2pw'], ['pkcs12', '-passout', `pass:${M}`]],
			['7z', ['x', '-p', 'a.7z'], ['x', '-p', 'a.7z']],
			['openssl', ['rsa', '-passin', 'env:PW'], ['rsa', '-passin', 'env:PW']],
			['az', ['vm', 'open-port', '-p', '8080'], ['vm', 'open-port', '-p', '8080']],
		];
		for (const [command, args, expected] of cases) {
			expect((redactJson({command, args}).value as {args: string[]}).args, `${command} ${args.join(' ')}`).toEqual(expected);
			expect((redactJson({args: [command, ...args]}).value as {args: string[]}).args.slice(1), `[${command}, ${args.join(', ')}]`).toEqual(expected);
		}
	});

	it('keeps prompts, references, other settings and other pipes', () => {
		for (const text of [
			'7z x -p a.7z',
			'zip -r out.zip dir',
			'net use Z: \\\\srv\\share /user:ops *',
			'net use Z: \\\\srv\\share /persistent:yes',
			'vault login -method=userpass username=ops',
			'vault login -',
			'git config --global user.name Ada',
			'aws configure set region eu-west-1',
			'echo hello | grep h',
			'printf "%s" "$PW" | docker login --password-stdin',
			'echo "$TOKEN" | gh auth login --with-token',
			'openssl rsa -passin env:PW -in k',
			'htpasswd -c .htpasswd admin',
			'htpasswd -D .htpasswd admin',
			'gh secret set API_KEY < key.txt',
			// The review's damage: file names, other tools' options, prose, paths, a configmap.
			'wget https://example.com/release.zip -P /opt/downloads',
			'scp backup.zip host:/tmp -P 2222',
			'Download file.7z and run mkdir -pv /opt/app',
			'curl --cacert /usr/local/etc/openssl/cert.pem -k https://host',
			'Test with openssl s_client or curl -k https://host:8443/health',
			'kubectl create configmap app --from-literal=ENV=production --from-literal=REPLICAS=3',
			'git config --global user.signingKey ~/.ssh/id_ed25519.pub',
			'az login --service-principal -u app -p cert.pem --tenant t',
			'unzip -P is insecure, see below',
			'zip -P and 7z -p take a password',
			'The zip -P option encrypts',
			'az login -p is deprecated',
			'net use /user:alice is how you pass a user',
			'net use Z: \\\\server\\share and then copy files',
			'Run vault login first, then vault kv get secret/x',
			'vault login with your root token',
			'git config user.password is a bad idea',
			'echo -n | gpg --passphrase-fd 0',
			'openssl rsa -passin env:PW -in k',
			'openssl rsa -passin file:/run/secrets/pw -in k',
			'tool --password env:DB_PASSWORD',
			'tool --password file:/run/secrets/pw',
			'tool --password fd:3',
			'kubectl create secret generic x --from-literal="pw=$PW"',
			'kubectl create configmap x --from-literal=a=b',
			'mongosh -u admin -p',
			'cmdkey /add:srv /user:backup /pass',
		]) {
			expect(scrubText(text), text).toBe(text);
		}
	});

	eachCostsLinearWork([
		'htpasswd -b '.repeat(20_000),
		'echo x '.repeat(20_000) + '| docker login --password-stdin',
		'net use \\\\a '.repeat(20_000),
		'git config a '.repeat(20_000),
		'vault login -a '.repeat(20_000),
		'-passin pass:'.repeat(20_000),
		'zip -P '.repeat(20_000),
		'net use /user:"a b" '.repeat(20_000),
		'kubectl create secret --from-literal=a='.repeat(20_000),
		'gh secret set <<< '.repeat(20_000),
		'smbclient -U a%'.repeat(20_000),
		`smbclient -U "${'a%'.repeat(20_000)}`,
		"kubectl create secret --from-literal='a=".repeat(20_000),
		'-passin "pass:'.repeat(20_000),
	]);
});

describe("fallbacks: Ruby's block and unbracketed fetch, a template literal", () => {
	it('redacts the fallback of a secret variable, byte for byte around it', () => {
		const cases: Array<[string, string]> = [
			['config.secret_key_base = ENV.fetch("SECRET_KEY_BASE") { "dev9f86d0818" }', `config.secret_key_base = ENV.fetch("SECRET_KEY_BASE") { "${M}" }`],
			['ENV.fetch("API_TOKEN") { |key| "tok9f86d0818" }', `ENV.fetch("API_TOKEN") { |key| "${M}" }`],
			['ENV.fetch "API_TOKEN", "tok9f86d0818"', `ENV.fetch "API_TOKEN", "${M}"`],
			["password: ENV.fetch 'DB_PASSWORD', 'Hunter2pw'", `password: ENV.fetch 'DB_PASSWORD', '${M}'`],
			['const token = process.env.API_TOKEN || `tok9f86d0818`;', `const token = process.env.API_TOKEN || \`${M}\`;`],
			['const key = process.env.API_KEY ?? `line one\nline two`;', `const key = process.env.API_KEY ?? \`${M}\`;`],
		];
		for (const [text, expected] of cases) expect(scrubText(text), text).toBe(expected);
	});

	it('keeps the fallback of other variables, and blocks that give no literal', () => {
		for (const text of [
			'ENV.fetch("PORT") { "3000" }',
			'ENV.fetch "PORT", "3000"',
			'ENV.fetch("API_TOKEN") { raise "missing API_TOKEN" }',
			'const url = process.env.API_URL || `http://localhost:${port}`;',
			'items.each { |x| "a" }',
		]) {
			expect(scrubText(text), text).toBe(text);
		}
	});

	eachCostsLinearWork(['process.env.API_TOKEN || `'.repeat(20_000), 'ENV.fetch("API_TOKEN") { '.repeat(20_000), 'ENV.fetch "API_TOKEN", '.repeat(20_000), `process.env.API_TOKEN || \`${'a'.repeat(100_000)}`]);
});

describe('.env values of many words; names that start with digits', () => {
	it('redacts a passphrase or seed phrase to the end of its .env line, and 2FA names, byte for byte around them', () => {
		const cases: Array<[string, string]> = [
			['SEED_PHRASE=abandon ability able about above absent', `SEED_PHRASE=${M}`],
			['export MNEMONIC=abandon ability able about # wallet', `export MNEMONIC=${M} # wallet`],
			['a=1\nDB_PASSWORD=Correct Horse 42!\r\nB=2', `a=1\nDB_PASSWORD=${M}\r\nB=2`],
			['  PASSPHRASE=one two three   ', `  PASSPHRASE=${M}   `],
			['2FA_SEED=JBSWY3DPEHPK3PXP', `2FA_SEED=${M}`],
			['2fa_secret: JBSWY3DPEHPK3PXP', `2fa_secret: ${M}`],
			['{"2faSecret": "JBSWY3DPEHPK3PXP"}', `{"2faSecret": "${M}"}`],
			// A command run with the variable set keeps its command (a flag, a path, a redirection).
			['PGPASSWORD=hunter2x psql -h db shop', `PGPASSWORD=${M} psql -h db shop`],
			['PGPASSWORD=hunter2x pg_dump shop > /srv/shop.sql', `PGPASSWORD=${M} pg_dump shop > /srv/shop.sql`],
			['MYSQL_PWD=hunter2x mysql "$DB"', `MYSQL_PWD=${M} mysql "$DB"`],
			['PGPASSWORD=hunter2x psql mydb', `PGPASSWORD=${M} psql mydb`],
			['PGPASSWORD=hunter2x pg_dumpall', `PGPASSWORD=${M} pg_dumpall`],
			['MYSQL_PWD=hunter2x mysqldump shop', `MYSQL_PWD=${M} mysqldump shop`],
			['DB_PASSWORD=hunter2x docker compose up', `DB_PASSWORD=${M} docker compose up`],
			['PGPASSWORD=hunter2x PGUSER=ops psql', `PGPASSWORD=${M} PGUSER=ops psql`],
			['PGPASSWORD=hunter2x ./backup.sh', `PGPASSWORD=${M} ./backup.sh`],
			['DB_PASSWORD=abc def # rotated in May', `DB_PASSWORD=${M} # rotated in May`],
			['DB_PASSWORD=correct horse battery staple', `DB_PASSWORD=${M}`],
			['DB_PASSWORD=Tr0ub4dor &3', `DB_PASSWORD=${M}`],
			['DB_PASSWORD=hello world [prod]', `DB_PASSWORD=${M}`],
			['DB_PASSWORD=Correct Horse\u00a0Battery Staple', `DB_PASSWORD=${M}`],
			['DB_PASSWORD=Correct Horse\rB=2', `DB_PASSWORD=${M}\rB=2`],
			['wallet_mnemonic=abandon ability (see docs)', `wallet_mnemonic=${M}`],
			['WALLET_SEED=abandon ability able', `WALLET_SEED=${M}`],
			['run: set SEED_PHRASE=abandon ability able', `run: set SEED_PHRASE=${M}`],
			// Quoted whole (a Compose list, systemd): to the quote.
			['  - "DB_PASSWORD=Correct Horse Battery"', `  - "DB_PASSWORD=${M}"`],
			["  - 'SEED_PHRASE=abandon ability able'", `  - 'SEED_PHRASE=${M}'`],
			['Environment="DB_PASSWORD=Correct Horse"', `Environment="DB_PASSWORD=${M}"`],
			// Names with digits: 2 is a word of its own unless it is 2FA or 2SV.
			['USER_2PASSWORD=hunter2x', `USER_2PASSWORD=${M}`],
			['ADMIN_1PASSWORD: hunter2x', `ADMIN_1PASSWORD: ${M}`],
			['2SV_SECRET=hunter2x', `2SV_SECRET=${M}`],
			// Keys and tokens hold no blanks: the words after one are not its; nor a password's in prose.
			['API_TOKEN=abc123def456ghi the rest', `API_TOKEN=${M} the rest`],
			['TOTP_SEED=JBSWY3DP oathtool', `TOTP_SEED=${M} oathtool`],
			['BYPASS_TOKEN=abc123 make deploy', `BYPASS_TOKEN=${M} make deploy`],
			['the password=hunter2x was wrong', `the password=${M} was wrong`],
		];
		for (const [text, expected] of cases) expect(scrubText(text), text).toBe(expected);
	});

	it('keeps times, dates, versions and numbers that only look like names starting with digits', () => {
		for (const text of ['meet at 10:30 sharp', 'at 2024-01-01T10:30:00 done', '3d: three days', 'x 1e5=100000', 'the 2FA setting: on', 'random_seed: 42 # fixed']) {
			expect(scrubText(text), text).toBe(text);
		}
	});

	eachCostsLinearWork([
		'PASSWORD=a '.repeat(20_000),
		'PASSWORD=a b\n'.repeat(20_000),
		`SEED_PHRASE=a${' b'.repeat(40_000)}`,
		`PASSWORD=a${' '.repeat(100_000)}b`,
		'"PASSWORD=a '.repeat(20_000),
		'2fa:'.repeat(20_000),
		'1'.repeat(100_000) + 'a:',
	]);
});

describe("PowerShell's ConvertTo-SecureString, chpasswd, psexec, rar, script variables", () => {
	it('redacts the plain text a SecureString or chpasswd is given, byte for byte around it', () => {
		const cases: Array<[string, string]> = [
			['$pw = ConvertTo-SecureString "Winter2024!x" -AsPlainText -Force', `$pw = ConvertTo-SecureString "${M}" -AsPlainText -Force`],
			['$pw = ConvertTo-SecureString -String "Winter 2024" -AsPlainText -Force', `$pw = ConvertTo-SecureString -String "${M}" -AsPlainText -Force`],
			['$pw = convertto-securestring -AsPlainText -Force -String Winter2024x', `$pw = convertto-securestring -AsPlainText -Force -String ${M}`],
			['ConvertTo-SecureString Winter2024x -AsPlainText -Force', `ConvertTo-SecureString ${M} -AsPlainText -Force`],
			['$pw = "Winter2024x" | ConvertTo-SecureString -AsPlainText -Force', `$pw = "${M}" | ConvertTo-SecureString -AsPlainText -Force`],
			['$c = New-Object PSCredential("admin", (ConvertTo-SecureString \'Winter2024x\' -AsPlainText -Force))', `$c = New-Object PSCredential("admin", (ConvertTo-SecureString '${M}' -AsPlainText -Force))`],
			["echo 'deploy:Winter2024x' | chpasswd", `echo 'deploy:${M}' | chpasswd`],
			['echo "root:Sup3r S3cret" | sudo chpasswd', `echo "root:${M}" | sudo chpasswd`],
			['echo ops:Winter2024x | chpasswd', `echo ops:${M} | chpasswd`],
			["printf '%s\\n' 'ops:Winter2024x' | chpasswd -c SHA512", `printf '%s\\n' 'ops:${M}' | chpasswd -c SHA512`],
			["chpasswd <<< 'ops:Winter2024x'", `chpasswd <<< 'ops:${M}'`],
			['psexec \\\\host -u admin -p Winter2024x cmd', `psexec \\\\host -u admin -p ${M} cmd`],
			['PsExec64.exe \\\\srv -u CORP\\ops -p "Winter 2024" -i cmd', `PsExec64.exe \\\\srv -u CORP\\ops -p "${M}" -i cmd`],
			['unrar x -pWinter2024x a.rar', `unrar x -p${M} a.rar`],
			['rar a -hpWinter2024x a.rar f', `rar a -hp${M} a.rar f`],
		];
		for (const [text, expected] of cases) expect(scrubText(text), text).toBe(expected);
	});

	it('keeps variables, expressions, prose, and what a script variable is given by a call', () => {
		for (const text of [
			'$pw = ConvertTo-SecureString $plain -AsPlainText -Force',
			'$pw = ConvertTo-SecureString $env:PW -AsPlainText -Force',
			'$pw = ConvertTo-SecureString (Get-Content pw.txt)',
			'$s = ConvertTo-SecureString $enc -Key $key',
			'The ConvertTo-SecureString cmdlet converts text',
			'echo "root:$PW" | chpasswd',
			'echo "ops:$(cat /run/pw)" | chpasswd',
			'echo hello:world | grep x',
			'$credential = Get-Credential',
			'$cred = New-Object PSCredential("admin", $pw)',
			'$password = Read-Host "Password" -AsSecureString',
			'unrar x -p- a.rar',
			'rar a -p a.rar f',
			'psexec -p is the password flag',
		]) {
			expect(scrubText(text), text).toBe(text);
		}
	});

	eachCostsLinearWork(['ConvertTo-SecureString '.repeat(20_000), '"a" '.repeat(20_000) + '| ConvertTo-SecureString', 'echo a:b '.repeat(20_000) + '| chpasswd', `echo "${'a:'.repeat(20_000)}`, 'chpasswd <<< a:'.repeat(20_000), '$a = '.repeat(20_000), 'psexec -p '.repeat(20_000), 'rar -p'.repeat(20_000)]);
});

describe("admin and network tools' passwords: -D properties, ldap, ipmitool, net user, openssl passwd, mkpasswd, snmp, nmcli, wpa_passphrase, rclone, kinit", () => {
	it('redacts the password, byte for byte around it', () => {
		const cases: Array<[string, string]> = [
			['java -Djavax.net.ssl.trustStorePassword=Winter2024x -jar a.jar', `java -Djavax.net.ssl.trustStorePassword=${M} -jar a.jar`],
			['mvn -Ddb.password="Winter 2024" test', `mvn -Ddb.password="${M}" test`],
			['ldapsearch -x -D cn=admin -wWinter2024x -b dc=example,dc=com', `ldapsearch -x -D cn=admin -w${M} -b dc=example,dc=com`],
			['ldappasswd -D cn=admin -W -s Winter2024x uid=bob', `ldappasswd -D cn=admin -W -s ${M} uid=bob`],
			['ipmitool -H bmc -U admin -P "Winter 2024" chassis status', `ipmitool -H bmc -U admin -P "${M}" chassis status`],
			['NET USER "Bob Smith" Winter2024x', `NET USER "Bob Smith" ${M}`],
			['openssl passwd -6 -salt abcdefgh Winter2024x', `openssl passwd -6 -salt ${M} ${M}`],
			['mkpasswd -m sha-512 -S saltsalt Winter2024x', `mkpasswd -m sha-512 -S saltsalt ${M}`],
			['snmpget -v3 -u ops -X Winter2024y -A Winter2024x bmc sysName.0', `snmpget -v3 -u ops -X ${M} -A ${M} bmc sysName.0`],
			['nmcli con modify home wifi-sec.psk Winter2024x', `nmcli con modify home wifi-sec.psk ${M}`],
			["wpa_passphrase 'My Net' Winter2024x", `wpa_passphrase 'My Net' ${M}`],
			['rclone config update nas pass Winter2024x', `rclone config update nas pass ${M}`],
			['echo -e "Winter2024x\\nWinter2024x" | smbpasswd -s -a bob', `echo -e "${M}" | smbpasswd -s -a bob`],
			['New-LocalUser -Name bob -Password (ConvertTo-SecureString Winter2024x -AsPlainText -Force)', `New-LocalUser -Name bob -Password (ConvertTo-SecureString ${M} -AsPlainText -Force)`],
			['tool --password (Winter2024x)', `tool --password ${M}`],
			['net.exe user /add bob Winter2024x', `net.exe user /add bob ${M}`],
			['net user bob hunter', `net user bob ${M}`],
			['mkpasswd --method sha-512 Winter2024x', `mkpasswd --method sha-512 ${M}`],
			['nmcli dev wifi connect office password hunter ifname wlan0', `nmcli dev wifi connect office password ${M} ifname wlan0`],
			['rclone config create nas sftp host h pass hunter user bob', `rclone config create nas sftp host h pass ${M} user bob`],
			['(echo Winter2024x; echo Winter2024x) | smbpasswd -s -a bob', `(echo ${M}; echo ${M}) | smbpasswd -s -a bob`],
			['(echo "Winter 2024"; echo "Winter 2024") | sudo smbpasswd -s -a bob', `(echo "${M}"; echo "${M}") | sudo smbpasswd -s -a bob`],
			['echo Winter2024x | sudo cryptsetup open /dev/sdb1 vault', `echo ${M} | sudo cryptsetup open /dev/sdb1 vault`],
			['echo "Winter2024x" | rclone obscure -', `echo "${M}" | rclone obscure -`],
			["echo 'Winter2024x' | openssl pkcs12 -in c.p12 -passin fd:0", `echo '${M}' | openssl pkcs12 -in c.p12 -passin fd:0`],
			['curl https://ldap.example.com/api -b "session=Winter2024x"', `curl https://ldap.example.com/api -b "session=${M}"`],
			['# ldap notes: curl -b session=Winter2024x https://x', `# ldap notes: curl -b session=${M} https://x`],
		];
		for (const [text, expected] of cases) expect(scrubText(text), text).toBe(expected);
	});

	it("keeps prose, prompts, redirections, option arguments and an LDAP tool's search base", () => {
		for (const text of [
			'ldapsearch -x -H ldap://dir -b dc=example,dc=com "(uid=bob)"',
			'ldapsearch -w is the bind password option',
			'ipmitool -I lanplus -H bmc -U admin -E chassis status',
			'net user bob * /add',
			'net user /domain',
			'openssl passwd -6 -stdin',
			'openssl passwd -in pw.txt',
			'mkpasswd -m sha-512',
			'mkpasswd --method=sha-512 --stdin',
			'wpa_passphrase myssid < pw.txt',
			'snmpwalk -v2c -c public -Os bmc',
			'nmcli connection show --active',
			'rclone config create nas sftp host nas.local user ops',
			'the -p (port) option',
			'Start-Process -Credential (Get-Credential)',
			'java -Dfile.encoding=UTF-8 -jar a.jar',
			'Start-Process -Credential (Get-Credential)',
			'- `net user jdoe` lists the account',
			'I ran net user bob yesterday and it listed the groups',
			'Use net user to list accounts',
			'With nmcli the password field is optional',
			'rclone config create lets you pass key value pairs',
			'mkpasswd -l 16 -d 2',
			'mkpasswd -l 12 bob',
			'echo "done" | mail -s kinit admin',
		]) {
			expect(scrubText(text), text).toBe(text);
		}
	});

	it('never takes a marker (or part of one) for a user name or an SSID: a second scrub changes nothing', () => {
		for (const text of ['net user --password=Winter2024x x', 'net user https://bob:Winter2024x@host/x', 'wpa_passphrase password=Winter2024x x', `net user ${M} /add`, `wpa_passphrase ${M} x`]) {
			const once = scrubText(text);
			expect(once, text).not.toMatch(/Winter2024x|\[REDACTED: \[REDACTED/);
			expect(scrubText(once), text).toBe(once);
		}
	});

	eachCostsLinearWork(['ldapsearch -w '.repeat(20_000), 'snmpwalk -A -X '.repeat(20_000), ' -A'.repeat(40_000), 'mkpasswd -m '.repeat(20_000), 'openssl passwd -salt '.repeat(20_000), 'net user '.repeat(20_000), 'nmcli a.b.'.repeat(20_000), 'ldapsearch -b '.repeat(20_000), `-D${'a.'.repeat(40_000)}`, `net user bob ${'a'.repeat(100_000)} x`, `nmcli password ${'a'.repeat(100_000)} x`, 'net user /a '.repeat(20_000), '(echo a; echo '.repeat(20_000), 'echo a | kinit '.repeat(20_000), 'curl ldap -b '.repeat(20_000), ' -B'.repeat(40_000), ' | sudo -B'.repeat(20_000), 'ldap -b '.repeat(20_000)]);
});

describe('password commands, expect scripts, SNMP communities (check_snmp too) and secret options quoted inside another option or a shell\'s -c command', () => {
	it('redacts the password, byte for byte around it', () => {
		const cases: Array<[string, string]> = [
			['restic backup --password-command "echo Winter2024x" /srv', `restic backup --password-command "echo ${M}" /srv`],
			["restic --password-command='printf %s Winter2024x' snapshots", `restic --password-command='printf %s ${M}' snapshots`],
			['export BORG_PASSCOMMAND="echo -n Winter2024x"', `export BORG_PASSCOMMAND="echo -n ${M}"`],
			[`RESTIC_PASSWORD_COMMAND='echo "Winter 2024"'`, `RESTIC_PASSWORD_COMMAND='echo "${M}"'`],
			['expect "password:"\nsend "Winter2024x\\r"', `expect "password:"\nsend "${M}\\r"`],
			['spawn ssh root@h; expect "Password:"; send "Winter2024x\\r"; interact', `spawn ssh root@h; expect "Password:"; send "${M}\\r"; interact`],
			['expect -exact "Enter passphrase for key: " { send -- "Winter2024x\\n" }', `expect -exact "Enter passphrase for key: " { send -- "${M}\\n" }`],
			['expect {\n  "*assword*" { send "Winter2024x\\r"; exp_continue }\n  eof\n}', `expect {\n  "*assword*" { send "${M}\\r"; exp_continue }\n  eof\n}`],
			['expect "*assphrase*"\nsend "Winter2024x\\r"', `expect "*assphrase*"\nsend "${M}\\r"`],
			["child.expect('Password:')\nchild.sendline('Winter2024x')", `child.expect('Password:')\nchild.sendline('${M}')`],
			['p.expect_exact("Enter PIN", timeout=5); p.sendline("Winter2024x")', `p.expect_exact("Enter PIN", timeout=5); p.sendline("${M}")`],
			['snmpwalk -v2c -c Winter2024x 10.0.0.1', `snmpwalk -v2c -c ${M} 10.0.0.1`],
			['snmpset -v1 -c"private rw" sw1 sysContact.0 s ops', `snmpset -v1 -c"${M}" sw1 sysContact.0 s ops`],
			['mvn release:prepare -Darguments="-Dgpg.passphrase=Winter2024x -DskipTests"', `mvn release:prepare -Darguments="-Dgpg.passphrase=${M} -DskipTests"`],
			[`tool --extra '--password "Winter 2024" -v'`, `tool --extra '--password "${M}" -v'`],
			['mvn "-Darguments=-Dgpg.passphrase=Winter2024x -DskipTests"', `mvn "-Darguments=-Dgpg.passphrase=${M} -DskipTests"`],
			['Environment="BORG_PASSCOMMAND=echo Winter2024x"', `Environment="BORG_PASSCOMMAND=echo ${M}"`],
			['encryption_passcommand: "echo Winter2024x"', `encryption_passcommand: "echo ${M}"`],
			['RESTIC_PASSWORD_COMMAND=/bin/echo Winter2024x', `RESTIC_PASSWORD_COMMAND=/bin/echo ${M}`],
			['export BORG_PASSCOMMAND="echo Winter2024x; true"', `export BORG_PASSCOMMAND="echo ${M}; true"`],
			['restic --password-command "echo correct horse battery" x', `restic --password-command "echo ${M}" x`],
			['expect "Password:"\n\n# type it\nsend "Winter2024x\\r"', `expect "Password:"\n\n# type it\nsend "${M}\\r"`],
			['expect -re {assword:}\nsend "Winter2024x\\r"', `expect -re {assword:}\nsend "${M}\\r"`],
			['expect {\n  -re "assword" {\n    send "Winter2024x\\r"\n  }\n}', `expect {\n  -re "assword" {\n    send "${M}\\r"\n  }\n}`],
			["child.expect(['Password:', pexpect.EOF])\n\nchild.send(f'Winter2024x\\n')", `child.expect(['Password:', pexpect.EOF])\n\nchild.send(f'${M}\\n')`],
			['environment:\n  - "JAVA_OPTS=-Ddb.password=Winter2024x -Xmx1g"\n', `environment:\n  - "JAVA_OPTS=-Ddb.password=${M} -Xmx1g"\n`],
			['docker run -e "JAVA_OPTS=-Dspring.datasource.password=Winter2024x" app', `docker run -e "JAVA_OPTS=-Dspring.datasource.password=${M}" app`],
			['  encryption_passcommand: echo Winter2024x   # comment\n', `  encryption_passcommand: echo ${M}   # comment\n`],
			['export BORG_PASSCOMMAND="printf -- Winter2024x"', `export BORG_PASSCOMMAND="printf -- ${M}"`],
			['"RESTIC_PASSWORD_COMMAND": "echo -n -e Winter2024x"', `"RESTIC_PASSWORD_COMMAND": "echo -n -e ${M}"`],
			['expect "Retype new password:"\nsend "Winter2024x\\r"\nexpect "Password changed"\nsend "exit\\r"', `expect "Retype new password:"\nsend "${M}\\r"\nexpect "Password changed"\nsend "exit\\r"`],
			['expect -re "assword: ?$"\nsend "Winter2024x\\r"', `expect -re "assword: ?$"\nsend "${M}\\r"`],
			['check_snmp -H h -C Winter2024x -o sysUpTime.0', `check_snmp -H h -C ${M} -o sysUpTime.0`],
			['/usr/lib/nagios/plugins/check_snmp -H h -P 3 -U u -A Winter2024x -X Winter2024y', `/usr/lib/nagios/plugins/check_snmp -H h -P 3 -U u -A ${M} -X ${M}`],
			['check_snmp -H h --community Winter2024x -c 5', `check_snmp -H h --community ${M} -c 5`],
			['expect "Password:"\nsend -s "Winter2024x\\r"', `expect "Password:"\nsend -s "${M}\\r"`],
			['expect "Password:"\nsend -i $spawn_id "Winter2024x\\r"', `expect "Password:"\nsend -i $spawn_id "${M}\\r"`],
			['expect "Password:"\nsleep 1\nsend "Winter2024x\\r"', `expect "Password:"\nsleep 1\nsend "${M}\\r"`],
			['expect "Password:"\nafter 500\nsend -- "Winter2024x\\r"', `expect "Password:"\nafter 500\nsend -- "${M}\\r"`],
			['child.expect("Password:")\ntime.sleep(0.5)\nchild.sendline("Winter2024x")', `child.expect("Password:")\ntime.sleep(0.5)\nchild.sendline("${M}")`],
			['export BORG_PASSCOMMAND="echo \\"Winter 2024x\\""', `export BORG_PASSCOMMAND="echo \\"${M}\\""`],
			['encryption_passcommand: "printf %s \\"Winter2024x\\""', `encryption_passcommand: "printf %s \\"${M}\\""`],
			['mvn sonar:sonar -Dsonar.login=Winter2024x -Dsonar.host.url=https://s', `mvn sonar:sonar -Dsonar.login=${M} -Dsonar.host.url=https://s`],
			['SONAR_LOGIN=Winter2024x', `SONAR_LOGIN=${M}`],
			['{"password": "$ecret$"}', `{"password": "${M}"}`],
			['docker exec db sh -c "mysqldump -uroot --password=Winter2024x shop"', `docker exec db sh -c "mysqldump -uroot --password=${M} shop"`],
			["su - postgres -c 'psql --password \"Winter 2024\" -d app'", `su - postgres -c 'psql --password "${M}" -d app'`],
			['powershell -Command "Connect-Vault -Token Winter2024x -Force"', `powershell -Command "Connect-Vault -Token ${M} -Force"`],
		];
		for (const [text, expected] of cases) expect(scrubText(text), text).toBe(expected);
	});

	it('keeps other commands, variables, other prompts and the public community', () => {
		for (const text of [
			'restic --password-command "pass show restic" backup /srv',
			"restic --password-command='echo $RESTIC_PW' snapshots",
			'export BORG_PASSCOMMAND="cat /run/secrets/borg"',
			'expect "login:"\nsend "admin\\r"',
			'expect "assword:"\nsend "$pass\\r"',
			'expect "Password:"\nsend "[lindex $argv 0]\\r"',
			'expect "(yes/no)?" { send "yes\\r" }',
			"child.expect('Password:')\nchild.sendline(password)",
			"child.expect('login: ')\nchild.sendline('admin')",
			'snmpget -v 2c -c public host sysName.0',
			"snmpwalk -v2c -c 'public' host",
			'snmpd -c snmpd.conf -f',
			'snmptrapd -c trapd.conf',
			'mvn release:prepare -Darguments="-DskipTests -Dmaven.javadoc.skip=true"',
			'docker run -e "JAVA_OPTS=-Xmx2g -Dfile.encoding=UTF-8" app',
			'git commit -m "Support --token and --password flags"',
			'mvn -Dmessage="Run with -Dgpg.passphrase to sign"',
			'expect "Password expired. Change? (y/n)"\nsend "y\\r"',
			"child.expect('Overwrite password file? (y/n)')\nchild.sendline('yes')",
			'--password-command "echo \\"$PW\\""',
			'snmpwalk -v2c -c community host',
			'snmpwalk -c Public host',
			'expect "Password:" { send "$pass\\r" }',
			'expect "password: " {send -- "$env(PW)\\r"}',
			'expect "Wrong password"\nsend "\\x03"',
			"child.expect('Password changed')\nchild.sendline('exit')",
			'BORG_PASSCOMMAND: echo is not recommended, use pass instead',
			'git commit -m "--password now required"',
			'mvn -Darguments="-Dgpg.passphrase=\\"Winter2024x\\""'.replace('Winter2024x', '$GPG_PASSPHRASE'),
			'CFLAGS=-O2 -Wall make',
			'expect {\n  "Password:" { send "[lindex $argv 0]\\r"; exp_continue }\n}',
			'command_line $USER1$/check_snmp -H $HOSTADDRESS$ -C $ARG1$ -o $ARG2$',
			'check_snmp -H h -C public -c 5 -w 3',
			'command_line $USER1$/check_mysql -H $HOSTADDRESS$ -u nagios --password=$USER3$',
			'expect "Password:"\nsleep 1\nsend "$pw\\r"',
			'export BORG_PASSCOMMAND="echo \\"$PW\\""',
			'ssh-copy-id --login alice host',
			'bash -c "echo --password is required; exit 1"',
			'sh -c "deploy --token $DEPLOY_TOKEN"',
			'psql -c "ALTER ROLE app VALID UNTIL \'infinity\'"',
		]) {
			expect(scrubText(text), text).toBe(text);
		}
	});

	it('a second scrub changes nothing', () => {
		for (const text of [
			'restic --password-command "echo  Winter2024x " x',
			'expect "Password:"\nsend "Winter2024x\\r"\nexpect "Password:"\nsend "Winter2024y\\r"',
			'mvn -Darguments="-Dpassword=\'Winter 2024\' -Dgpg.passphrase=Winter2024x"',
			'snmpwalk -c Winter2024x -c Winter2024y h',
		]) {
			const once = scrubText(text);
			expect(once, text).not.toMatch(/Winter2024|\[REDACTED: \[REDACTED/);
			expect(scrubText(once), text).toBe(once);
		}
	});

	eachCostsLinearWork([
		'expect "password '.repeat(20_000),
		'expect -a '.repeat(5_000),
		`expect "${'password'.repeat(20_000)}`,
		'"password" {'.repeat(20_000),
		'.expect("password")\n'.repeat(20_000),
		`.expect("password")\nx.sendline("${'a'.repeat(100_000)}`,
		'--password-command "echo '.repeat(5_000),
		`--password-command "echo ${'a'.repeat(100_000)}`,
		'snmpwalk -c '.repeat(5_000),
		`-Da="${' -Db'.repeat(30_000)}"`,
		`-Da="${' -Db="x'.repeat(20_000)}"`,
		`-Da=${'-Db='.repeat(20_000)}`,
		'expect "password"\n#\n'.repeat(20_000),
		'expect {password} {'.repeat(20_000),
		`BORG_PASSCOMMAND=echo ${'a '.repeat(40_000)}`,
		'.expect(["password"\n\n'.repeat(20_000),
		`A${'A'.repeat(100)}=-`.repeat(5_000),
		`expect "${'password '.repeat(30_000)}"`,
		`expect "password${' '.repeat(100_000)}"`,
		'expect "password"\nsleep 1\n'.repeat(20_000),
		'check_snmp -C '.repeat(5_000),
		`BORG_PASSCOMMAND="echo \\"${'a'.repeat(100_000)}`,
		`expect "password"\nsend -i ${'a'.repeat(100_000)}`,
		`sh -c "${' --password x'.repeat(20_000)}"`,
		'-c "a" '.repeat(20_000),
	]);
});
