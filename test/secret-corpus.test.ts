import fc from 'fast-check';
import {describe, expect, it} from 'vitest';
import {redactJson, scrubColumnValue, scrubText, scrubTextBytes} from '../source/core/redaction.js';
import {REDACTED_MARKER} from '../source/core/store/schema.js';
import {CORPUS_SECRETS, HARMLESS_TEXTS, SECRET_FORMS} from './helpers/secret-corpus.js';
import {eachCostsLinearWork} from './helpers/work-ratio.js';

const leaks = (text: string, secrets: readonly string[]) => secrets.filter(secret => text.includes(secret));

describe('the secret corpus against the scrubbers', () => {
	for (const form of SECRET_FORMS) {
		it(`${form.name}: scrubbed from text, a JSON value, an argv array and a markdown file`, () => {
			const text = scrubText(form.text);
			expect(leaks(text, form.secrets), text).toEqual([]);
			expect(text).toContain(REDACTED_MARKER);
			expect(scrubText(text)).toBe(text);

			expect(leaks(scrubColumnValue(form.text), form.secrets)).toEqual([]);
			const column = scrubColumnValue(JSON.stringify({steps: [{note: form.text, args: form.args ?? [form.text]}]}));
			expect(leaks(column, form.secrets), column).toEqual([]);

			const mcp = redactJson({mcpServers: {acme: {command: 'npx', args: form.args ?? [form.text], env: {NODE_ENV: 'production'}}, notes: form.text}});
			expect(leaks(JSON.stringify(mcp.value), form.secrets), JSON.stringify(mcp.value)).toEqual([]);
			expect(mcp.redacted.some(where => where.startsWith('mcpServers.acme.args['))).toBe(true);
			expect(mcp.redacted).toContain('mcpServers.notes');

			const markdown = scrubTextBytes(Buffer.from(`# Notes\n\nDeploy with:\n\n\`\`\`\n${form.text}\n\`\`\`\n`));
			expect(leaks(markdown.bytes.toString('utf8'), form.secrets)).toEqual([]);
			expect(markdown.count).toBeGreaterThan(0);
			expect(markdown.lines[0]).toBeGreaterThanOrEqual(6);
		});
	}

	it('leaves prose, code, UUIDs, digests, public keys and certificates alone', () => {
		for (const text of HARMLESS_TEXTS) {
			expect(scrubText(text)).toBe(text);
			expect(scrubColumnValue(text)).toBe(text);
			const bytes = Buffer.from(text);
			expect(scrubTextBytes(bytes)).toEqual({bytes, count: 0, lines: []});
		}
		expect(redactJson({args: ['-y', '--port', '8080', '--key-file', '/etc/x.pem', '--password-file', '/run/pw'], note: HARMLESS_TEXTS.join('\n')}).redacted).toEqual([]);
		// Another tool's list naming http as a value; HTTPie's host and port, an address.
		expect(redactJson({args: ['--scheme', 'http', '-a', 'admin:readonly'], mcp: {command: 'http', args: ['-a', '::1', '-a', 'db:5432', 'x']}}).redacted).toEqual([]);
		// Redacted once, an HTTPie list is left as it is (the marker holds a colon).
		const once = redactJson({mcp: {command: 'http', args: ['-A', 'bearer', '--auth=TOKEN1', '-a', 'TOKEN2', '-aalice:PW3']}});
		expect(once.redacted).toHaveLength(3);
		expect(redactJson(once.value).redacted).toEqual([]);
		// On Windows an MCP server runs the tool through `cmd /c`: the tool is the list's second element.
		const windows = redactJson({mcp: {command: 'cmd', args: ['/c', 'C:\\Tools\\xh.exe', '-4a', 'alice:LEAKcmd1', 'https://x']}, other: {command: 'cmd', args: ['/c', 'npx', 'http', '-a', 'alice:kept']}});
		expect(windows.value).toEqual({mcp: {command: 'cmd', args: ['/c', 'C:\\Tools\\xh.exe', '-4a', `alice:${REDACTED_MARKER}`, 'https://x']}, other: {command: 'cmd', args: ['/c', 'npx', 'http', '-a', 'alice:kept']}});
	});

	it('keeps the bytes of a file that is not UTF-8 and has no secret', () => {
		const latin = Buffer.from([0x23, 0x20, 0xe9, 0x74, 0xe9, 0x0a, 0xff, 0xfe]);
		expect(scrubTextBytes(latin)).toEqual({bytes: latin, count: 0, lines: []});
		const withSecret = Buffer.concat([latin, Buffer.from('\ntoken sk-LEAKbinary0123456789abcdef\n')]);
		const scrubbed = scrubTextBytes(withSecret);
		expect(scrubbed.bytes.includes('LEAKbinary')).toBe(false);
		expect(scrubbed.bytes.subarray(0, latin.length)).toEqual(latin);
		expect(scrubbed.lines).toEqual([3]);
	});
});

describe('scrubbing properties', () => {
	const piece = fc.oneof(
		{weight: 2, arbitrary: fc.constantFrom(...SECRET_FORMS.map(form => form.text))},
		{weight: 3, arbitrary: fc.string({maxLength: 40})},
		{weight: 1, arbitrary: fc.string({unit: 'binary', maxLength: 20})},
		{weight: 1, arbitrary: fc.constantFrom(...HARMLESS_TEXTS, REDACTED_MARKER, 'password=', 'https://u:', '@', '-----BEGIN RSA PRIVATE KEY-----', '"', '\n')},
	);

	it('is idempotent over text mixing every form with random text', () => {
		fc.assert(
			fc.property(fc.array(piece, {maxLength: 8}), fc.constantFrom('', ' ', '\n', ';', ',', '"', '='), (pieces, separator) => {
				const once = scrubText(pieces.join(separator));
				expect(scrubText(once)).toBe(once);
				const column = scrubColumnValue(pieces.join(separator));
				expect(scrubColumnValue(column)).toBe(column);
			}),
			{numRuns: 1500},
		);
	});

	it('lets no planted secret through when forms are separated from random words by white space', () => {
		const words = fc.string({unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz ABCXYZ0123456789.,!?()'.split('')), maxLength: 30});
		const mixed = fc.array(fc.oneof(fc.constantFrom(...SECRET_FORMS.map(form => form.text)), words), {minLength: 1, maxLength: 8});
		fc.assert(
			fc.property(mixed, fc.constantFrom(' ', '\n', '\n\n', ' \t'), (pieces, separator) => {
				const text = scrubText(pieces.join(separator));
				expect(leaks(text, CORPUS_SECRETS)).toEqual([]);
			}),
			{numRuns: 800},
		);
	});

	describe('works in linear time on hostile input: eight times the input costs about eight times the work, not sixty-four', () => {
		// The costliest inputs (a few seconds per scrub at 20,000 repeats) are shorter: each test scrubs
		// its input ten times, and under a loaded machine they outran the test timeout.
		// A scaling ratio, not a time limit: the cheapest of several runs at n and at 8n, taken in
		// turns so a busy machine slows both alike, counted in this process's CPU time (time spent
		// waiting for a core on a loaded machine is not work).
		eachCostsLinearWork(
			[
				'a'.repeat(200_000),
				'password='.repeat(20_000),
				'https://u:'.repeat(20_000) + '@',
				'-----BEGIN RSA PRIVATE KEY-----\n'.repeat(5_000),
				'-----BEGIN PRIVATE KEY----- '.repeat(5_000),
				'-----BEGIN PRIVATE KEY-----\\'.repeat(5_000),
				'-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0 '.repeat(3_000),
				'**a:** '.repeat(20_000),
				'https://' + 'a1'.repeat(40_000) + '@',
				'?x[y]'.repeat(20_000) + '=',
				'://h/hooks/a1'.repeat(20_000),
				'://h/hooks/' + 'a1'.repeat(50_000),
				'://' + 'a.'.repeat(50_000),
				'.office.com/webhookb2/a/IncomingWebhook/'.repeat(5_000),
				'.office.com/webhookb2/' + 'a'.repeat(100_000),
				'ifttt.com/trigger/a/with/key/'.repeat(5_000),
				'ifttt.com/trigger/' + 'a'.repeat(100_000),
				'$Ab1 <x1> '.repeat(20_000),
				'x@'.repeat(50_000),
				'mysql '.repeat(20_000),
				' a:1:b:c:'.repeat(20_000),
				' a:1:b:c:' + 'd\\:'.repeat(50_000),
				'http -a '.repeat(20_000),
				'sqlplus a/'.repeat(20_000),
				'connect a/'.repeat(20_000) + '\n',
				'jdbc:oracle:thin:a/'.repeat(10_000),
				' a.b:5432:c:d:x'.repeat(20_000),
				'/'.repeat(100_000) + 'sqlplus a/b',
				'"' + 'a'.repeat(100_000) + '\\sqlplus a/b',
				'"\\sqlplus'.repeat(20_000),
				'http -a x '.repeat(20_000),
				'http -a x' + ' -A'.repeat(50_000),
				'http -a bearer -A '.repeat(20_000),
				'http '.repeat(20_000) + 'x'.repeat(100_000) + ' bearer',
				"'/sqlplus ".repeat(20_000),
				"http -A bearer -a \\'".repeat(5_000),
				'http -A bearer "\\"'.repeat(20_000),
				'SQL> connect "a/'.repeat(20_000),
				'sqlplus "a/'.repeat(20_000),
				'-----BEGIN PRIVATE KEY-----\n' + 'MIIEvQIBADANBgkq '.repeat(10_000) + '"',
				'-----BEGIN PRIVATE KEY-----\n' + 'a_b'.repeat(50_000) + "='x'",
				'-----BEGIN PRIVATE KEY-----\n' + 'MIIEvQIBADANBgkq' + ' '.repeat(100_000) + "A='" + "'".repeat(10),
				' userid=a/'.repeat(20_000),
				'rman target '.repeat(20_000),
				'"password": "'.repeat(10_000),
				'eyJaaaaaaaaaa.'.repeat(20_000),
				('A'.repeat(60) + '=').repeat(3_000),
				'a/http '.repeat(20_000),
				'/'.repeat(100_000) + 'http -a a:b',
				'http -' + 'v'.repeat(100_000),
				'http -v'.repeat(20_000),
				'DGMGRL> connect a/'.repeat(20_000) + '\n',
				'RMAN> connect target a/'.repeat(20_000) + '\n',
				'connect target a/'.repeat(20_000) + '\n',
				'echo connect a/'.repeat(20_000) + '\n',
				'echo "conn a/b '.repeat(20_000) + '| rman',
				'http ^\n'.repeat(20_000) + ' -a a:b',
				'sshpass -v ^\n'.repeat(20_000),
				'echo' + ' '.repeat(100_000) + 'x',
				'printf' + '\t'.repeat(100_000) + 'x',
				'echo -n' + ' '.repeat(100_000) + 'x',
				"printf '%s\\n' 'conn a/".repeat(10_000),
				'echo conn a/b |'.repeat(20_000),
				'echo conn a/b\\$'.repeat(20_000),
				'curl -u $Env:'.repeat(5_000),
				'HTTP.EXE '.repeat(20_000),
				'a/HTTP.exe -A bearer '.repeat(10_000),
				'create user a identified by '.repeat(20_000),
				"SET PASSWORD = '" + "''".repeat(50_000),
				"CREATE USER a PASSWORD '".repeat(10_000),
				'mc alias set '.repeat(20_000),
				'a:1> auth a '.repeat(20_000) + '\n',
				'rabbitmqctl add_user '.repeat(20_000),
				'connect to a user b using '.repeat(20_000),
				'jenkins-cli -auth '.repeat(20_000),
				'curl -u \\\n'.repeat(20_000),
				'mysql \\\n'.repeat(20_000),
				'CREATE USER a PASSWORD '.repeat(5_000),
				'grant a to b identified by '.repeat(20_000),
				'127.0.0.1:6379> auth a '.repeat(20_000) + '\n',
				'/cqlsh'.repeat(20_000),
				'./cqlsh -p '.repeat(20_000),
				'C:\\' + 'a b\\'.repeat(20_000) + 'cqlsh -p x',
				'/a/b/snmpwalk -A'.repeat(2_500),
				'bin/net use '.repeat(10_000),
				'snmpa'.repeat(20_000) + ' -c x',
				'SNMPA'.repeat(20_000) + '.exe -A x',
				'-f /a/mongo -p '.repeat(5_000),
			],
			scrubText,
			7,
		);
	});
});
