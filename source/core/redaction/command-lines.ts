import {isPlaceholder, isSecretName, keepHead, M, POWERSHELL_SCOPES, redactSpans, SKIP, stepsWhere, type Replacer, type Step} from './text-steps.js';


/**
 * A command-line value redacted, or undefined when it is no secret: quoted, the quotes are kept and
 * all inside them redacted; a variable or a command's output (`"$SSHPASS"`, `"$(cat pw)"`, `%KEY%`) is kept.
 */
function redactedArgument(value: string): string | undefined {
	const inner = unquoted(value);
	const quote = inner === value ? '' : value[0]!;
	return isPlaceholder(inner) || /^(?:\$\(|`)/.test(inner) ? undefined : `${quote}${M}${quote}`;
}

/** A value without the quotes around it (`"x"` or `'x'`), or the value itself. */
function unquoted(value: string): string {
	return value.length > 1 && (value[0] === '"' || value[0] === "'") && value.endsWith(value[0]) ? value.slice(1, -1) : value;
}

/** What ends a bare command-line word: a blank, a quote, a pipe, a command separator or a backquote (a class's body). */
const BARE_END = `\\s"'|;&\``;
/** One command-line value: quoted, or a bare token that ends at a backquote (which in a shell starts a command, in markdown closes inline code). */
const ARGUMENT = `("[^"\\n]*"|'[^'\\n]*'|[^${BARE_END}]+)`;
/**
 * A line continuation: a blank, then `\` (POSIX shells), `^` (cmd) or a backquote (PowerShell), and a
 * line break (a `\` right after a word ends a markdown line with a hard break, which continues no command).
 */
const CONTINUATION = '(?<=[ \\t])[\\\\^`]\\r?\\n';
/**
 * Before an option after a run of COMMAND_CHAR: a blank, or the start of a line continued from the one
 * before (`docker login -u bob \\` then `-p X` at the line's start).
 */
const OPTION_GAP = '(?:[ \\t]|(?<=[\\\\^`]\\r?\\n))';
/** curl's options that take `user:password` (a quoted value may hold blanks; on the next line after a continuation too). */
const USER_OPTION = `(?:^|\\s)(?:-u|--user|--proxy-user)(?:[ \\t]+(?:${CONTINUATION}[ \\t]*)?|=)`;
/** One character of a command line up to a pipe, a command separator or a backquote, a line continuation taken whole. */
const COMMAND_CHAR = `(?:[^\\n|;&\`\\\\]|\\\\(?!\\r?\\n)|${CONTINUATION})`;

/**
 * A tool's option that carries a password, `head` matching up to where its value starts (with no
 * capturing group): `mysql -pX`, `sshpass -p X`, `docker login -p X`, `setx … /p X`; the value may
 * stand on the next line after a continuation.
 */
function passwordOption(head: string, flags = 'g'): [RegExp, Replacer] {
	return [
		new RegExp(`(${head}(?:${CONTINUATION}[ \\t]*)?)${SKIP}(?![\\\\^\`]\\r?\\n)${ARGUMENT}`, flags),
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
	passwordOption(`\\bsetx\\b${COMMAND_CHAR}{0,200}?${OPTION_GAP}\\/p[ \\t]+`, 'gi'),
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

/** Container and registry tools whose `login` takes a password with `-p`. */
const REGISTRY_TOOLS = '(?:docker|podman|nerdctl|buildah|skopeo|oras)';
/** A Windows program's extension after its name (`sqlcmd.exe`, `rabbitmqctl.bat`), in any case. */
const WINDOWS_PROGRAM = String.raw`(?:\.(?:[Ee][Xx][Ee]|[Bb][Aa][Tt]|[Cc][Mm][Dd]))`;
/**
 * Where a command starts, before a program's path: a line's start (after a list's bullet, a crontab
 * schedule, a prompt's `$`, `#` or `>`), a shell's separator (`;`, `|`, `&`, `(`, `{`, `$(`, a
 * backquote), `NAME=` (`ExecStart=`, `PATH=x /usr/bin/…`), `--`, or a word
 * that runs the command after it (`sudo -u bob`, `env -i`, `xargs -0`, `cmd /c`, prose's `Run`, with up to five
 * options); then blanks and an opening quote. A path anywhere else is an argument (`go test
 * ./internal/mongo -p 1`, `find /usr/lib/7z -print`, `docker run myorg/mongo -p 27017:27017`).
 */
const COMMAND_START = String.raw`(?<=(?:^|[\n;|&({` + '`' + String.raw`]|\$\(|[$#>](?=[ \t])|(?:^|\n)[ \t]*(?:[-*]|@\w{1,20}|(?:[\d*/,-]{1,20}[ \t]+){4}[\d*/,-]{1,20})|(?:^|[\s;"'])[A-Za-z_][\w.]{0,50}=|(?<![\w-])(?:sudo|doas|exec|env|nohup|time|nice|ionice|xargs|setsid|stdbuf|runuser|call|start|command|watch|timeout|strace|[Rr]un|[Tt]hen|[Tt]ry|[Ee]xecute|[Ii]nvoke|--|cmd(?:\.exe)?[ \t]+\/[cCkK])(?:[ \t]+-{1,2}\w[\w-]{0,30}(?:[ \t]+(?![-/\\.~])[^\s;|&]{1,50})?){0,5}|(?<![\w-])[A-Za-z_]\w{0,50}=[^\s;|&]{0,200})[ \t]*["']?)`;
/** A path's folders, `/` or `\\` separated (not both): at most 20 parts of 100 characters, so a look-behind over them costs bounded work. */
const UNIX_FOLDER = String.raw`(?:\/[\w.+-]{1,100}){0,20}\/`;
const WINDOWS_FOLDER = String.raw`(?:\\[\w .()+-]{1,100}){0,20}\\`;
/** A relative path without `./` is a program's only in a program folder (`bin/neo4j-admin`; `myorg/mongo` is an image). */
const PROGRAM_FOLDER = String.raw`(?<=(?<![\w.-])(?:bin|sbin|scripts|Scripts|tools|Tools|libexec|\.bin|Binn)[/\\])`;
/** Folders from a root, home, drive or `.`/`..` (alternatives, to be grouped where used). */
const ROOTED_FOLDER = String.raw`(?:~|\.{1,2}|[A-Za-z]:)?${UNIX_FOLDER}|(?:\.{1,2}|[A-Za-z]:|%\w{1,50}%)?${WINDOWS_FOLDER}`;
/**
 * The folder a program is run from (`/usr/local/bin/`, `./`, `~/bin/`, `bin/`, `C:\\Program Files\\X\\`, `.\\`,
 * `%ProgramFiles%\\…\\`) where a command starts, or after `key: ` (YAML, JSON) when it starts at a root, home or
 * drive (`command: /opt/…/cqlsh`; `Supported: mysql/mongo -p 27017` is prose).
 */
const COMMAND_FOLDER = String.raw`(?:${COMMAND_START}(?:${ROOTED_FOLDER}|[\w.-]{1,100}(?:${UNIX_FOLDER}|${WINDOWS_FOLDER})${PROGRAM_FOLDER})|(?<=:[ \t]{1,20}["']?)(?:${ROOTED_FOLDER}))`;
/**
 * A regular expression's fragment matching its letters in any case (`[Ss][Qq][Ll]…`; a class's
 * letters both ways): Windows names a program in any case.
 */
function anyCaseFragment(fragment: string): string {
	let out = '';
	let inClass = false;
	for (let index = 0; index < fragment.length; index++) {
		const char = fragment[index]!;
		if (char === '\\') {
			out += char + (fragment[index + 1] ?? '');
			index++;
		} else if (inClass) {
			if (char === ']') inClass = false;
			else if (/[a-z]/i.test(char) && fragment[index + 1] === '-' && /[a-z]/i.test(fragment[index + 2] ?? '')) {
				const to = fragment[index + 2]!;
				out += `${char.toLowerCase()}-${to.toLowerCase()}${char.toUpperCase()}-${to.toUpperCase()}`;
				index += 2;
				continue;
			} else if (/[a-z]/i.test(char)) {
				out += char.toLowerCase() + char.toUpperCase();
				continue;
			}
			out += char;
		} else if (char === '[') {
			inClass = true;
			out += char;
		} else out += /[a-z]/i.test(char) ? `[${char.toLowerCase()}${char.toUpperCase()}]` : char;
	}
	return out;
}
/** The quote closing a quoted program path before its arguments (`"C:\\…\\docker.exe" login`): only after a path, not a quoted word of prose (`the "openssl" passwd command`). */
const CLOSING_QUOTE = String.raw`(?:(?<=[/\\][\w.+-]{1,60})["'](?=[ \t]))?`;
/**
 * A program's word as a command names it: as written, or in any case before a Windows program's
 * extension (`SQLCMD.EXE`, `Docker.exe`); the extension, and a closing quote before a blank
 * (`"C:\\Program Files\\Docker\\docker.exe" login`), go with it.
 */
const programWord = (command: string) => `(?:${command}|${anyCaseFragment(command)}(?=${WINDOWS_PROGRAM}))${WINDOWS_PROGRAM}?${CLOSING_QUOTE}`;
/**
 * A command word where a command starts: not a file's extension (`backup.zip -P 2222`) nor a
 * folder (`…/openssl/cert.pem -k`, `-v /srv/mongo:/data`), but alone or the last part of a path run
 * where a command starts (`sudo /opt/cassandra/bin/cqlsh`, `& "C:\\Tools\\racadm.exe"`), see programWord and
 * COMMAND_START; after a folder the word must end before a blank. The word is matched first (a pattern starting
 * with a look-behind is tried at every position: three times the work on prose) and what comes
 * before it looked behind at; so a word of variable length must be bounded (`snmp[a-z]{0,20}`),
 * or each shorter match tried would look behind over the whole word again.
 */
const at = (command: string) => {
	const word = `(?:${command}|${anyCaseFragment(command)}(?=${WINDOWS_PROGRAM}))`;
	const ended = `(?=${WINDOWS_PROGRAM}?["']?(?:\\s|$))`;
	return `${word}(?<=(?<![\\w./\\\\-])${word}|${COMMAND_FOLDER}${word}${ended})${WINDOWS_PROGRAM}?${CLOSING_QUOTE}`;
};

/** A variable's name and its `=` (`JAVA_OPTS=`), before an option it is set to. */
const VARIABLE_SET = '[A-Z_][A-Z0-9_]{0,80}=';
/**
 * A flag and its value (groups: the flag up to its value, its name, the value): `--password X`,
 * `-Ddb.password=X`, also right after a variable's `=` (`JAVA_OPTS=-Ddb.password=X`). Whether it is a
 * secret is judged by its name (flagReplacer). (`mysql --password shop` prompts and `shop` is the
 * database, but whoever wrote it may have meant a password: it is redacted too.)
 */
const FLAG = `(-(?<=(?:^|[\\s"'\\[,(]|\\b${VARIABLE_SET})-)-?([A-Za-z][\\w.-]{0,60})(?:=|[ \\t]+(?:${CONTINUATION}[ \\t]*)?(?!-|[\\\\^\`]\\r?\\n|[<>])))${SKIP}(?!\\((?=[A-Za-z]+-[A-Za-z][\\w-]*[ \\t)]|[A-Za-z][\\w-]*[ \\t]|\\$)|env:[A-Za-z_]\\w*(?![^\\s"',;&|\`])|fd:\\d+(?![^\\s"',;&|\`])|file:(?:~?\\/|\\.\\.?\\/)|pass:["']?\\[REDACTED)("[^"\\n]*"|'[^'\\n]*'|[^\\s"',;&|\`]+)`;
/** FLAG, for the options passed on inside another flag's value (one level). */
const INNER_FLAG = new RegExp(FLAG, 'g');

/** A secret flag's value redacted; another flag's value that starts with an option, or a shell's command (`sh -c "…"`), has its options scrubbed (one level). */
function flagReplacer(match: string, flag: string, name: string, value: string): string {
	return isSecretName(name) ? secretFlag(match, flag, value) : passedOn(match, flag, value, /^(?:c|command|cmd)$/i.test(name));
}

/** A secret flag's value redacted, its quotes kept, unless it is a placeholder, a command's output or a CI expression (`${{ secrets.X }}`). */
function secretFlag(match: string, flag: string, value: string): string {
	if (redactedArgument(value) === undefined || value.startsWith('${{')) return match;
	const quote = /^["']/.test(value) ? value[0]! : '';
	return `${flag}${quote}${M}${quote}`;
}

/** A value that starts with an option, or with a variable set to one. */
const STARTS_WITH_OPTION = new RegExp(`^[ \\t]*(?:${VARIABLE_SET})?-`);

/**
 * Options passed on in a value (`-Darguments="-Dgpg.passphrase=X -DskipTests"`), scrubbed
 * themselves, one level deep (a bare `-Da=-Db=-Db=…` would otherwise recurse once per option).
 * Only a value that starts with an option (or a variable set to one: `-e "JAVA_OPTS=-Dpw=X"`), or
 * a quoted `command` a shell runs (`sh -c "mysqldump --password=X db"`): "Fix --password flag" (a
 * commit message) is prose, and so is an option's prose value ("--password now required").
 */
function passedOn(match: string, flag: string, value: string, command: boolean): string {
	const inner = unquoted(value);
	const quote = inner === value ? '' : value[0]!;
	// A quote escaped inside (`"-Dpw=\\"x\\""`) ended the value early: what it holds is not known.
	if (!(STARTS_WITH_OPTION.test(inner) || (command && quote)) || inner.endsWith('\\')) return match;
	const scrubbed = inner.replace(INNER_FLAG, (innerMatch: string, innerFlag: string, name: string, innerValue: string) =>
		isSecretName(name) && !PROSE_WORD.test(unquoted(innerValue)) ? secretFlag(innerMatch, innerFlag, innerValue) : innerMatch,
	);
	return flag + quote + scrubbed + quote;
}

/** The value a tool's `config set` stores under a name: `aws configure set aws_secret_access_key X`, `git config user.password X`, `dotnet user-secrets set "Stripe:SecretKey" X`. */
const CONFIG_SET =
	`(?:${programWord('aws')}(?:[ \\t]+--profile[ \\t]+\\S+)?[ \\t]+configure(?:[ \\t]+--profile[ \\t]+\\S+)?[ \\t]+set|(?:npm|pnpm|yarn)[ \\t]+config[ \\t]+set|git[ \\t]+config|dotnet[ \\t]+user-secrets[ \\t]+set|pip[ \\t]+config[ \\t]+set|poetry[ \\t]+config)`;
/** Commands that read a password or token from their input: what is echoed or given as a here-string to them is one. */
const READS_SECRET_FROM_STDIN =
	'(?:--password-stdin|--with-token|--token-stdin|--passphrase-stdin|--passphrase-fd[ \\t=]+0|\\bgh[ \\t]+secret[ \\t]+set\\b|\\bsudo\\b[^\\n|;&]{0,200}?[ \\t](?:-[A-Za-z]*S|--stdin)\\b|\\bpasswd[ \\t]+--stdin|\\bhtpasswd[ \\t]+-[A-Za-z]*i|(?:cryptsetup|kinit)\\b(?<=\\|[ \\t]*(?:sudo(?:[ \\t]+-\\S+){0,10}[ \\t]+)?(?:cryptsetup|kinit)\\b)|\\brclone[ \\t]+obscure[ \\t]+-(?![\\w-])|-passin[ \\t]+(?:stdin|fd:0)\\b|\\bsmbpasswd\\b[^\\n|;&]{0,200}?[ \\t]-[A-Za-z]*s\\b)';
/**
 * Words that follow a tool's option in prose rather than a password ("unzip -P is insecure", "vault
 * login with your root token"). Kept, as are file paths (`az login -p cert.pem`) and URLs without a password.
 */
const PROSE_WORD =
	/^(?:is|are|was|were|and|or|but|the|a|an|to|with|for|from|first|then|option|options|flag|flags|switch|takes?|encrypts?|prompts?|asks?|here|below|above|only|also|if|when|in|on|of|as|at|by|will|can|could|may|might|must|should|would|does|do|not|no|your|you|this|that|these|it|its|sets?|means?|uses?|works?|instead|again|now|later|etc\.?)[,.:;!?]?$/i;

/** A tool's password value redacted (redactedArgument), unless it reads as prose, a path or a URL without a password. */
function toolValue(value: string): string | undefined {
	const inner = unquoted(value);
	if (PROSE_WORD.test(inner) || /^(?:~?\/|\.\.?\/|[A-Za-z]:\\)|\.(?:pem|crt|cer|pfx|p12|key|pub)$/i.test(inner) || /^[a-z][\w+.-]*:\/\/[^@\s]*$/i.test(inner)) return undefined;
	return redactedArgument(value);
}

/** Keeps the first group (what leads to the value) and redacts the value (the second) as toolValue judges it. */
const keepToolValue: Replacer = (_match, head = '', value = '') => head + (toolValue(value) ?? value);

/** A tool's password option, `head` matching up to its value (no capturing group), the value judged by toolValue. */
function toolPasswordOption(head: string, flags = 'g', tail = ''): [RegExp, Replacer] {
	// Not a redirection (`wpa_passphrase myssid < pw.txt`): in a shell an unquoted `<` or `>` is one.
	// With a tail, the value is the whole word (no shorter one is tried against the tail: linear work).
	const whole = tail ? `(?![^${BARE_END}])${tail}` : '';
	// The value may stand on the next line after a continuation (never the continuation itself).
	return [new RegExp(`(${head}(?:${CONTINUATION}[ \\t]*)?)${SKIP}(?![-<>]|[\\\\^\`]\\r?\\n)${ARGUMENT}${whole}`, flags), keepToolValue];
}

/**
 * After a plain word (`net user bob X`, `nmcli … password X`), a value that reads as a password:
 * quoted, holding a character other than a letter, or ending the command or followed by an
 * option. "net user bob yesterday and …", "the password field is optional" are prose.
 */
const PASSWORD_LIKE = `(?:(?<=["'])|(?<=[^\\sA-Za-z]\\S*)|(?=[ \\t]*(?:$|[\\r\\n;&|)]|[ \\t][-/])))`;

/**
 * A name before a password (`net user NAME X`, `wpa_passphrase SSID X`): double-quoted (or as
 * `quoted` also allows), or a bare word that starts with no blank, quote, marker, backquote, `-`
 * or any of `notFirst`.
 */
function nameWord(notFirst: string, quoted = ''): string {
	return `(?:"[^"\\n]{1,200}"|${quoted ? `${quoted}|` : ''}[^\\s"${notFirst}\\[\`-][^\\s\\[\`]*)`;
}

/**
 * The same option quoted whole with its value (`"-pX y"`, `-U "user%X y"`, `"pass:X y"`): `before` up
 * to the quote, `inside` from it to where the value starts; the value runs to the closing quote.
 */
function quotedToolOption(before: string, inside: string, flags = 'g'): [RegExp, Replacer] {
	return [new RegExp(`(${before})(["'])(${inside})${SKIP}([^"'\\n]+)(?=\\2)`, flags), (match, head: string, quote: string, start: string, value: string) => (redactedArgument(value) ? head + quote + start + M : match)];
}

/**
 * `htpasswd -b FILE USER PASSWORD` and `htpasswd -nb USER PASSWORD` (`-b` takes the password from
 * the command line; `-C` takes a cost): the argument after the file and the user.
 */
function scrubHtpasswd(text: string): string {
	return text.replace(/\bhtpasswd((?:[ \t]+(?:-[A-Za-z]*C[ \t]+\d+|-[A-Za-z]+|--))+)((?:[ \t]+(?:"[^"\n]*"|'[^'\n]*'|[^\s"'|;&`<>]+)){1,3})/g, (match, flags: string, args: string) => {
		if (!/-[A-Za-z]*b/.test(flags)) return match;
		const tokens = [...args.matchAll(/[ \t]+("[^"\n]*"|'[^'\n]*'|[^\s"'|;&`<>]+)/g)];
		const token = tokens[/-[A-Za-z]*n/.test(flags) ? 1 : 2];
		const redacted = token && toolValue(token[1]!);
		if (!token || !redacted) return match;
		const offset = 'htpasswd'.length + flags.length + token.index + token[0].length - token[1]!.length;
		return match.slice(0, offset) + redacted + match.slice(offset + token[1]!.length);
	});
}

const SECRET_LITERAL = new RegExp(`(--from-literal(?:=|[ \\t]+)(?:(["'])[^\\s="']{1,200}=${SKIP}(?=[^"'\\n]+\\2)|[^\\s="']{1,200}=${SKIP}))((?<=["'][^\\s="']{1,200}=)[^"'\\n]+|"[^"\\n]*"|'[^'\\n]*'|[^${BARE_END}]+)`, 'g');
/** One `kubectl create secret` command, continued over lines too. */
const CREATE_SECRET = new RegExp(`\\bcreate[ \\t]+secret\\b${COMMAND_CHAR}{0,2000}`, 'g');

/** `kubectl create secret … --from-literal=NAME=X`: every literal of a secret, whatever its name (a configmap's are settings). */
function scrubSecretLiterals(text: string): string {
	if (!text.includes('--from-literal')) return text;
	return text.replace(CREATE_SECRET, command =>
		command.replace(SECRET_LITERAL, (_match, head: string, _quote: string | undefined, value: string) => head + (redactedArgument(value) ?? value)),
	);
}

/** The word a password prompt holds (`*assword*` and `*assphrase*` are expect's globs). */
const PROMPT_WORD = '(?:[Pp]ass(?:word|phrase|code)|assword|assphrase|PASSWORD|PASSPHRASE|\\bPIN\\b)';

/** A quoted password prompt (`"Password:"`, `'Enter passphrase'`, `"*assword*"`, Tcl's `{assword:}`), between `open` and `close`. */
function passwordPrompt(open: string, close = open): string {
	const inside = `[^${close}\\n]`;
	// It ends as a prompt does (`:`, `*`, `?`, `>`, a regular expression's `$` or `)`, or the word itself): "Password changed" is no prompt.
	return `\\${open}(?=${inside}{0,200}?${PROMPT_WORD})${inside}{0,200}(?<=(?:[:*?>$)]|${PROMPT_WORD})[ \\t]{0,20})\\${close}`;
}

/** Between an expect and its send: line breaks, with blank, comment or pause lines (`sleep 1`, `after 500`, `time.sleep(0.5)`; up to three). */
const LINES_BETWEEN = '(?:[ \\t]*(?:#[^\\r\\n]{0,200}|(?:time\\.)?sleep(?:[ \\t]+|\\()[\\d.]{1,10}\\)?[ \\t;]*|after[ \\t]+\\d{1,10}[ \\t;]*)?\\r?\\n){1,4}[ \\t]*';
/** An answer to a yes-or-no prompt, or control characters (`\x03`), not a password. */
const ANSWER = /^(?:y|n|yes|no|(?:\\(?:x[0-9A-Fa-f]{2}|[0-7]{1,3}|[a-z]))+)$/i;
/** A bare word a password command echoes: no backslash (`\"$PW\"` is kept), and no `#` first (a comment). */
const ECHOED_WORD = `[^${BARE_END}\\\\#][^${BARE_END}\\\\]*`;
/** What a password command echoes: one quoted argument (also in escaped quotes inside a quoted command, `"echo \\"X\\""`) or up to 20 bare words. */
const ECHOED = `("[^"\\n]*"|'[^'\\n]*'|\\\\"[^"\\\\\\n]*\\\\"|${ECHOED_WORD}(?:[ \\t]+${ECHOED_WORD}){0,20})`;

/** What echo gives: ARGUMENT, a bare word ending before a `)` (`(echo X; echo X) | smbpasswd -s`). */
const ECHO_ARGUMENT = `("[^"\\n]*"|'[^'\\n]*'|[^${BARE_END})]+)`;
/**
 * A second echo in the group (`(echo X; echo Y) | …`), to its `)` or the pipe; blanks stand on
 * either side of the `)` apart (two optional runs side by side would be tried at every split).
 */
const ECHO_AGAIN = `(?:echo|printf)[ \\t]+[^\\n|;&)]{1,200}`;

/** chpasswd's `user:` (its quote captured), then its password: a bare token, or all up to the closing quote. */
const CHPASSWD_USER = `(["']?)[^\\s:"'|;&]{1,200}:`;
const CHPASSWD_PASSWORD = `([^${BARE_END}]+|(?<=["'][^\\s:"']{1,200}:)[^"'\\n]+)`;

/** The user kept, the password redacted unless it is a variable. */
function chpasswdReplacer(_match: string, head: string, _quote: string, value: string): string {
	return head + (variableOrValue(value) ?? value);
}

/** The Nagios plugin check_snmp, also by its path (`$USER1$/check_snmp`, `/usr/lib/nagios/plugins/check_snmp`). */
const CHECK_SNMP = '(?<![\\w.-])check_snmp';

/** File name extensions of code, configuration, logs and documents (a `file:line:…` is no host). */
const FILE_EXTENSION = '(?:[chmr]|cc|cpp|cxx|hh|hpp|py|pyi|js|mjs|cjs|ts|tsx|jsx|go|rs|java|kt|kts|scala|rb|php|cs|fs|vb|swift|mm|sh|bash|zsh|ps1|psm1|bat|cmd|pl|pm|lua|sql|yml|yaml|json|jsonl|toml|ini|cfg|conf|env|properties|md|rst|adoc|txt|log|out|err|csv|tsv|html?|css|scss|less|xml|lock|gradle|tf|vue|svelte|dart|exs?|erl|hs|ml|clj|proto|graphql|ipynb|dockerfile)';

/** A PowerShell variable's scope (`$env:TOKEN`, `$Env:TOKEN`: in any case): a placeholder, not a `user:` before a password (`$env:USER:X` is one). */
const POWERSHELL_SCOPE = `\\$(?:${POWERSHELL_SCOPES.map(anyCase).join('|')}):`;
/** A letter class per letter: `[Ee][Nn][Vv]`. */
function anyCase(word: string): string {
	return [...word].map(letter => `[${letter.toUpperCase()}${letter}]`).join('');
}
/** A user before a password: a PowerShell variable (`$env:USER`), or up to the colon. */
const userBefore = (chars: string) => `(?:${POWERSHELL_SCOPE}\\w+|(?!${POWERSHELL_SCOPE})${chars})`;
/** HTTPie's and xh's command names. */
const HTTPIE_NAMES = '(?:https?|xhs?)';
/**
 * The same in any case, which only a Windows name with `.exe` is taken in (`HTTP.EXE`, `XH.exe`; the
 * argument list's check too): a bare, quoted or other path's `HTTP` is prose's word (`the "HTTP" API
 * accepts -a admin:role`, `docs/bin/HTTP`).
 */
const HTTPIE_ANY_CASE = '(?:[Hh][Tt][Tt][Pp][Ss]?|[Xx][Hh][Ss]?)';
/** `.exe` in any case (Windows names are). */
const EXE = '\\.[Ee][Xx][Ee]';
/** A path in quotes that ends in HTTPie's or xh's name (`"C:\\Program Files\\xh\\xh.exe"`), its closing quote matched, checked behind it. */
const quotedHttpie = (quote: string) => `${quote}(?<=${quote}(?:[^${quote}\\n]{0,200}[\\\\/])?(?:${HTTPIE_NAMES}|${HTTPIE_ANY_CASE}${EXE})${quote})`;
/**
 * HTTPie's and xh's command words, before a blank (`https://…` is a URL): where a command starts,
 * by a path into a program folder (`/usr/bin/http`, `~/.local/bin/xh`, `venv\\Scripts\\http`), by any
 * path with `.exe` (`C:\\Tools\\xh.exe`, `HTTP.EXE`: in any case), or quoted (`"C:\\Program Files\\xh\\xh.exe"`); not a user or
 * group name (`sudo -u http …`, Arch Linux's web server account), nor a folder that ends in the name
 * (`/srv/http`, `https://x.example/http`). The name comes first and what stands before it is checked
 * behind it (a pattern that began with the optional path would try it at every character).
 */
const HTTPIE_WORD =
	`\\b${HTTPIE_ANY_CASE}(?<!(?:-u|--user|-g|--group)[ \\t=]+${HTTPIE_ANY_CASE})` +
	`(?:(?<=(?:^|[^\\w./\\\\-])${HTTPIE_NAMES})(?:${EXE})?` +
	`|(?<=(?:^|[\\s"'])(?:[^\\s"']{0,200}[\\\\/])?(?:bin|Scripts)[\\\\/]${HTTPIE_NAMES})(?:${EXE})?` +
	`|${EXE}(?<=(?:^|[\\s"'])(?:[^\\s"']{0,200}[\\\\/])?${HTTPIE_ANY_CASE}${EXE})` +
	`|(?:${EXE})?(?:${quotedHttpie('"')}|${quotedHttpie("'")}))(?=[ \\t])`;
/**
 * HTTPie's and xh's short options that take no value, which may be bundled before `-a` or `-A`
 * (`-va alice:X`, `-vA bearer`, xh's `-4a`: argparse and clap read them one by one).
 */
const HTTPIE_FLAGS = '[jfxhbvFdcSqIm46]';
/** The same, and the start of the command after it. */
const HTTPIE = `${HTTPIE_WORD}${COMMAND_CHAR}{0,200}?`;
const HTTPIE_COMMAND = new RegExp(HTTPIE_WORD, 'g');
/**
 * One shell word after blanks or a line continuation: quoted parts (a double-quoted one with its
 * escapes), escaped characters (`don\'t`) and bare ones up to a blank or a command separator; a quote
 * never closed is a character of the word.
 */
const SHELL_WORD = /(?:[ \t]|(?<=[ \t])[\\^`]\r?\n)+((?:"(?:[^"\\\n]|\\.)*"|'[^'\n]*'|\\[^\r\n]|[^\s"'|;&`\\]|["'])+)/y;
/** How far a command is read for its auth options: its first words, within their first characters (the `-a` values not counted). */
const COMMAND_WORDS = 40;
const COMMAND_SPAN = 600;

/**
 * HTTPie's and xh's bearer token (`http -a X -A bearer`, `xh --auth-type=bearer --auth=X`): with
 * `-A bearer` (`--auth-type bearer`, `=bearer`) among a command's words, every `-a` (`--auth`) value
 * without a `:` is a token, whichever comes first. Read word by word, so a `-A bearer` inside a quoted
 * argument (a header's text) is none. (`user:X` values are redacted by the patterns above.) Each
 * command is read once, from the end of the one before it: linear work.
 */
function scrubHttpieBearer(text: string): string {
	if (!text.includes('bearer')) return text;
	const spans: Array<[number, number, string]> = [];
	HTTPIE_COMMAND.lastIndex = 0;
	for (let match = HTTPIE_COMMAND.exec(text); match; match = HTTPIE_COMMAND.exec(text)) {
		const command = httpieAuthWords(text, match.index + match[0].length);
		if (command.bearer) {
			for (const [at, value] of command.values) {
				const redacted = toolValue(value);
				if (redacted) spans.push([at, at + value.length, redacted]);
			}
		}
		HTTPIE_COMMAND.lastIndex = Math.max(HTTPIE_COMMAND.lastIndex, command.end);
	}
	return redactSpans(text, spans);
}

/**
 * One word of an HTTPie command (or element of its argument list) after `previous`: whether it sets
 * `-A bearer` (`--auth-type bearer`, `-A=bearer`), and where in it an `-a` (`--auth`) value starts
 * (0 after a separate `-a`; after `-a` or `--auth=` attached), if it is one.
 */
function httpieAuthWord(previous: unknown, word: string): {bearer: boolean; valueAt: number | undefined} {
	const before = typeof previous === 'string' ? previous : '';
	const type = HTTPIE_TYPE_OPTION.test(before) ? word : HTTPIE_TYPE_ATTACHED.exec(word)?.[1];
	const valueAt = HTTPIE_AUTH_OPTION.test(before) ? 0 : HTTPIE_AUTH_ATTACHED.exec(word)?.[0].length;
	return {bearer: type !== undefined && unquoted(type) === 'bearer', valueAt};
}

/** `-A` (`--auth-type`) whose value is the next word, after bundled flags too (`-vA`). */
const HTTPIE_TYPE_OPTION = new RegExp(`^(?:-${HTTPIE_FLAGS}{0,10}A|--auth-type)$`);
/** `-A` with its value attached (`-Abearer`, `-A=bearer`, `-vAbearer`, `--auth-type=bearer`): the value. */
const HTTPIE_TYPE_ATTACHED = new RegExp(`^(?:-${HTTPIE_FLAGS}{0,10}A=?|--auth-type=)(.+)$`, 's');
/** `-a` (`--auth`) whose value is the next word, after bundled flags too (`-va`). */
const HTTPIE_AUTH_OPTION = new RegExp(`^(?:-${HTTPIE_FLAGS}{0,10}a|--auth)$`);
/** `-a` with its value attached (`-aX`, `-vaX`, `--auth=X`): up to where the value starts. */
const HTTPIE_AUTH_ATTACHED = new RegExp(`^(?:-${HTTPIE_FLAGS}{0,10}a|--auth=)(?=.)`, 's');

/**
 * The words of the command that starts at `start`, read for HTTPie's auth: whether one sets
 * `-A bearer`, the `-a` values without a `:` (where each starts), and where the reading stopped.
 */
function httpieAuthWords(text: string, start: number): {bearer: boolean; values: Array<[number, string]>; end: number} {
	const values: Array<[number, string]> = [];
	let bearer = false;
	let previous = '';
	let end = start;
	let spent = 0;
	for (let count = 0; count < COMMAND_WORDS && spent <= COMMAND_SPAN; count++) {
		SHELL_WORD.lastIndex = end;
		const match = SHELL_WORD.exec(text);
		if (!match) break;
		end = SHELL_WORD.lastIndex;
		const word = match[1]!;
		const auth = httpieAuthWord(previous, word);
		bearer ||= auth.bearer;
		const value = auth.valueAt === undefined ? '' : word.slice(auth.valueAt);
		// Not an option nor a redirection, and no `user:password` (redacted by the patterns above).
		const token = value !== '' && !/^[-<>]/.test(value) && !unquoted(value).includes(':');
		if (token) values.push([end - value.length, value]);
		spent += match[0].length - (token ? value.length : 0);
		previous = word;
	}
	return {bearer, values, end};
}

/** An Oracle login's user and its slash (the user quoted or not), and its password: up to the `@` of the connect string. */
const ORACLE_USER = `(?:"[A-Za-z_][\\w$#.]{0,127}"|["']?[A-Za-z_][\\w$#.]{0,127})\\/`;
/**
 * `echo` or `printf` (`-n`/`-e`/`-E`, `--`, a `'%s\n'` format), an opening quote, then SQL*Plus's
 * CONNECT (`conn`, RMAN's `connect target|catalog|auxiliary`) and a blank. Blanks only where nothing
 * else can stand (two runs of them side by side would be tried at every split: quadratic work).
 */
const ECHOED_CONNECT =
	`\\b(?:echo|printf)[ \\t]+(?:-[neE]+[ \\t]+|--[ \\t]+)*(?:'%s(?:\\\\n)?'[ \\t]+|"%s(?:\\\\n)?"[ \\t]+)?(?:["'][ \\t]*)?` +
	`conn(?:ect)?[ \\t]+(?:(?:target|catalog|auxiliary)[ \\t]+)?`;
/**
 * An echoed login's password: ORACLE_PASSWORD's, ending at the shell's syntax too (`&`, `|`, `)`, a
 * redirection) and at a `\n`, `\r` or `\t` escape; other escapes are its characters (`Pa\$sw0rd`).
 */
const ECHOED_PASSWORD = `("[^"\\n]{1,200}"|(?:[^\\s@"'/;&|()<>\\\\]|\\\\[^nrt\\s]){1,200})(?=(@)|[\\s"';&|()<>]|\\\\[nrt\\s]|$)`;
/** Quoted (blanks and `@` inside), or bare to the `@` (or a `;` ending the statement); the group after it is the `@` when one follows. */
const ORACLE_PASSWORD = `("[^"\\n]{1,200}"|[^\\s@"'/;]{1,200})(?=(@)|[\\s"';]|$)`;
/**
 * An Oracle tool where a command starts, by its path too (`C:\\oracle\\bin\\sqlplus.exe`,
 * `/u01/…/bin/sqlplus`), or quoted with its closing quote: alone, by a path without blanks
 * (`"bin/sqlplus"`), by one from a drive, a root, `~`, `.` or a variable (`'/opt/oracle bin/sqlplus'`),
 * or with `.exe` (`"C:\\Program Files\\…\\sqlplus.exe"`); `See "Chapter 3/sqlplus" input/output` is
 * prose. The name comes first and its start is checked behind it: a pattern that began with the
 * optional path would try it at every character.
 */
const oracleTool = (names: string) => {
	const quoted = (quote: string) => {
		const path = `(?:(?:[A-Za-z]:|[\\\\/~.$%])[^${quote}\\n]{0,200}[\\\\/]|[^\\s${quote}]{0,200}[\\\\/])`;
		return `(?<=${quote}${path}?${names})${quote}|(?<=${quote}[^${quote}\\n]{0,200}[\\\\/]${names})\\.exe${quote}`;
	};
	return `\\b${names}(?:(?<=(?:^|[\\s"'])(?:[^\\s"']{0,200}[\\\\/])?${names})(?:\\.exe)?\\b|${quoted('"')}|${quoted("'")})`;
};

/** The login's password, unless it reads as a file (`sqlplus scripts/run.sql`: no `@`, a dot). */
function oracleReplacer(match: string, head: string, value: string, at: string | undefined): string {
	if (!at && value.includes('.') && !value.startsWith('"')) return match;
	return head + (toolValue(value) ?? value);
}

/**
 * PostgreSQL's password file (`.pgpass`, PGPASSFILE): lines of `host:port:database:user:password`,
 * after a blank or in quotes; the password (`\:` and `\\` escaped) runs to the line's end or the
 * closing quote (`echo "db:5432:app:app:X" >> ~/.pgpass`). So that grep's and compilers' `file:line:…`
 * and `name:port:a:b:c` settings stay, the host is `*`, `localhost`, an address or a dotted name that
 * is no file name (`config.yml`, `app.log`), the port `*` or four or five digits, and a password of
 * digits only is kept (a count).
 */
const PGPASS_HOST = `(?:\\*|localhost|\\[[0-9A-Fa-f:.]{2,45}\\]|(?:[0-9A-Fa-f]{0,4}\\\\:){2,7}[0-9A-Fa-f]{0,4}|(?![^\\s:]{0,253}\\.${FILE_EXTENSION}:)[A-Za-z0-9-]{1,63}(?:\\.[A-Za-z0-9-]{1,63}){1,10})`;
const PGPASS_LINE = new RegExp(`((?:(?<!\\S)|(?=["']))(["']?)${PGPASS_HOST}:(?:\\*|\\d{4,5}):(?:\\*|[\\w$.-]{1,63}):(?:\\*|[\\w$.@-]{1,63}):)${SKIP}((?:[^\\r\\n"'\\\\]|\\\\.){1,1024})(?=\\2(?:\\s|$))`, 'g');

function scrubPgpass(text: string): string {
	if (!text.includes(':')) return text;
	return text.replace(PGPASS_LINE, (match, head: string, _quote: string, value: string) => (/^\d+$/.test(value) || isPlaceholder(value) ? match : head + M));
}

/**
 * An SQL string: in single quotes (`''` and MySQL's `\'` inside are quotes; not starting with one, nor
 * holding a double quote, nor starting with a blank and `+`, `||`, `.` or `,`: `'" + pw + "'` and
 * `' + repr(pw) + '` are code's), in double quotes (no single quote inside), in
 * shell-escaped double quotes (`\"X\"`, inside a double-quoted `mysql -e "…"`), or PostgreSQL's `$$X$$`.
 */
const SQL_STRING = `('(?!'|[ \\t]*(?:\\+|\\|\\||\\.|,))(?:[^'"\\\\\\n]|''|\\\\[^\\n]){1,1024}'|"[^"'\\n]{1,1024}"|\\\\"[^"'\\\\\\n]{1,1024}\\\\"|\\$\\$[^$\\n]{1,1024}\\$\\$)`;
/** An authentication plugin's name after IDENTIFIED WITH or VIA, quoted or not. */
const SQL_PLUGIN = `["'\`]?[\\w-]{1,64}["'\`]?`;
/** An SQL user's or role's name: bare, quoted, with MySQL's `@host`. */
const SQL_NAME = `(?:"[^"\\n]{1,128}"|'[^'\\n]{1,128}'|\`[^\`\\n]{1,128}\`|[\\w$#.-]{1,128})(?:@(?:"[^"\\n]{1,253}"|'[^'\\n]{1,253}'|\`[^\`\\n]{1,253}\`|[\\w.%:-]{1,253}))?`;
/** The start of a statement that sets a user's password. */
const SQL_USER_STATEMENT = `\\b(?:(?:create(?:[ \\t]+or[ \\t]+replace)?|alter)[ \\t]+(?:user|role|login))\\b`;
/**
 * The rest of one statement up to a keyword: no `;`, no sentence's end (a `.`, `!` or `?` before a blank),
 * no comment (`--`, `#`; Oracle's `C##NAME` is a name), no blank line or T-SQL `GO`; line breaks otherwise.
 */
const SQL_GAP = `(?:[^;.!?#\\n-]|[.!?](?=\\S)|#(?<=[\\w#]#)|-(?!-)|\\n(?![ \\t]*(?:\\r?\\n|--|#|go\\b))){0,300}?`;
/** Before an SQL value: nothing, or one line break (`PASSWORD` then the value on the next line). */
const SQL_BREAK = `(?:[ \\t]*\\r?\\n[ \\t]*)?`;
/** An unquoted SQL password (Oracle's, SAP HANA's): no keyword (in any case) of what may follow `PASSWORD` or `IDENTIFIED BY`, no variable. */
const SQL_BARE = `(?!(?:${['values', 'password', 'random', 'null', 'externally', 'globally', 'expire', 'history', 'reuse', 'require', 'lock_time', 'disable', 'default', 'never', 'interval', 'lock', 'unlock', 'account', 'replace'].map(anyCase).join('|')})\\b|[:&?\\\\])([^\\s;"'()]{1,200})`;
/** MinIO's alias URL: a URL or a variable. */
const MC_URL = `(?:["']?(?:https?:\\/\\/|\\$)[^\\s"']{1,300}["']?)`;
/** redis-cli's prompt: `host:port>` (a name or an address; `[::1]`), a database (`[1]`), a transaction (`(TX)`); the old `redis host:port>` too. */
const REDIS_PROMPT = `(?:redis[ \\t]+)?(?:\\[[0-9A-Fa-f:.]{2,45}\\]|[\\w-]{0,63}[A-Za-z.][\\w.-]{0,190}):\\d{2,5}(?:\\[\\d{1,2}\\])?(?:\\(TX\\))?>`;

const SQLPLUS_VARIABLE = /^&&?(?:[A-Za-z_]\w*|\d+)$/;

/** An SQL value redacted inside its quotes (escaped ones too: `\"X\"` keeps its backslashes). */
const sqlReplacer: Replacer = (match, head: string, value: string) => {
	if (value.startsWith('\\"')) return redactedArgument(value.slice(2, -2)) && !SQLPLUS_VARIABLE.test(value.slice(2, -2)) ? `${head}\\"${M}\\"` : match;
	// SQL*Plus's substitution variables (`&pw`, `&&pw`, `&1`) are no password.
	return SQLPLUS_VARIABLE.test(unquoted(value)) ? match : head + (toolValue(value) ?? value);
};

/** A quoted SQL value (its group) or a bare one (the next group) redacted, as sqlReplacer does. */
const sqlQuotedOrBare: Replacer = (match, head: string, quoted: string | undefined, bare: string | undefined) => sqlReplacer(match, head, quoted ?? bare!);

/** A word of a command line before a password argument: quoted, bare, or what an earlier step left (`[REDACTED: …]`). */
const PRIOR_WORD = `(?:\\[REDACTED[^\\]\\n]{0,100}\\]|"[^"\\n]{0,200}"|'[^'\\n]{0,200}'|[^\\s"'[-][^\\s"']{0,300})`;

/** Redis's passwords (every pattern holds `auth` or `requirepass`). */
const REDIS_PASSWORD_STEPS: Step[] = [
	// Redis: `requirepass X` and `masterauth X` (a line of redis.conf: the value ends it; `CONFIG SET`; the
	// server's `--requirepass X`, as an element of a list too), and `AUTH [user] X` at redis-cli's prompt
	// (`127.0.0.1:6379> AUTH X`, `[::1]:6379(TX)>`) or after `redis-cli` (`redis-cli -h h AUTH X`): the
	// password is the command's last word. Quoted (`echo "requirepass X" >> redis.conf`, in a sed expression).
	toolPasswordOption(`^[ \\t]*(?:requirepass|masterauth)(?::[ \\t]*|[ \\t]+)`, 'gim', `(?=[ \\t]*(?:#[^\\n]*)?\\r?$)`),
	[new RegExp(`((?<=["'/])(?:requirepass|masterauth)[ \\t]+)${SKIP}([^\\s"'/]{1,200})(?=["'/])`, 'gi'), keepToolValue],
	toolPasswordOption(`\\bconfig[ \\t]+set[ \\t]+(?:requirepass|masterauth)[ \\t]+`, 'gi'),
	toolPasswordOption(`(?<=[\\s"'[,])--(?:requirepass|masterauth)(?:["']?[ \\t]*,[ \\t]*(?=["'])|[ \\t]*\\r?\\n[ \\t]*-[ \\t]+|[ \\t]+|=)`),
	toolPasswordOption(`^[ \\t]*${REDIS_PROMPT}[ \\t]*auth[ \\t]+(?:${PRIOR_WORD}[ \\t]+)?`, 'gim', `(?=[ \\t]*\\r?$)`),
	toolPasswordOption(`${at('(?:redis|valkey)-cli')}\\b${COMMAND_CHAR}{0,200}?[ \\t]auth[ \\t]+(?:${PRIOR_WORD}[ \\t]+)?`, 'gi', `(?=[ \\t]*(?:$|[\\r\\n;&|]))`),
];

/** Passwords SQL statements set (every pattern holds `password` or `identified`). */
const SQL_PASSWORD_STEPS: Step[] = [
	// SQL: CREATE [OR REPLACE] or ALTER USER, ROLE or LOGIN … [WITH] [ENCRYPTED] PASSWORD 'X' (PostgreSQL; SQL
	// Server's `= N'X'`; Snowflake's `= 'X'`; SAP HANA's bare `PASSWORD X` right after the name), … IDENTIFIED
	// [WITH plugin] BY 'X' (MySQL, MariaDB, ClickHouse; Oracle's bare `IDENTIFIED BY X`), MariaDB's IDENTIFIED
	// VIA plugin USING PASSWORD('X'), MySQL's GRANT … ON … TO u IDENTIFIED BY 'X', and SET PASSWORD [FOR u] =
	// 'X'. Only within such a statement: up to its `;`, over lines but not past a sentence's end, a comment or
	// a blank line (prose says "create user accounts. Each is identified by …").
	[new RegExp(`(${SQL_USER_STATEMENT}${SQL_GAP}\\bpassword[ \\t]*(?:=[ \\t]*)?[NE]?${SQL_BREAK})${SKIP}${SQL_STRING}`, 'gi'), sqlReplacer],
	[new RegExp(`(${SQL_USER_STATEMENT}${SQL_GAP}\\bidentified[ \\t]+(?:with[ \\t]+${SQL_PLUGIN}[ \\t]+)?by[ \\t]*(?:(?:password|values)[ \\t]+)?${SQL_BREAK})${SKIP}${SQL_STRING}`, 'gi'), sqlReplacer],
	[new RegExp(`(${SQL_USER_STATEMENT}${SQL_GAP}\\bidentified[ \\t]+(?:via|with)[ \\t]+${SQL_PLUGIN}[ \\t]+using[ \\t]+(?:password[ \\t]*\\([ \\t]*)?${SQL_BREAK})${SKIP}${SQL_STRING}`, 'gi'), sqlReplacer],
	[new RegExp(`(\\bgrant\\b[^;\\n]{0,200}?[ \\t]on[ \\t]+(?:(?:table|function|procedure)[ \\t]+)?[^\\s;]{1,200}[ \\t]+to[ \\t]+${SQL_NAME}[ \\t]+identified[ \\t]+by[ \\t]+(?:password[ \\t]+)?${SQL_BREAK})${SKIP}${SQL_STRING}`, 'gi'), sqlReplacer],
	// Bare (Oracle's, SAP HANA's): in capitals, or ending the statement at its `;`; never a keyword
	// (`PASSWORD EXPIRE`, MySQL's `PASSWORD HISTORY 5`, `IDENTIFIED BY RANDOM PASSWORD`).
	[new RegExp(`(\\b(?:CREATE|ALTER)[ \\t]+USER[ \\t]+(?:IF[ \\t]+(?:NOT[ \\t]+)?EXISTS[ \\t]+)?${SQL_NAME}[ \\t]+(?:IDENTIFIED[ \\t]+BY|PASSWORD)[ \\t]+)${SKIP}${SQL_BARE}(?=[\\s;]|$)`, 'g'), keepToolValue],
	[new RegExp(`(\\b(?:create|alter)[ \\t]+user[ \\t]+(?:if[ \\t]+(?:not[ \\t]+)?exists[ \\t]+)?${SQL_NAME}[ \\t]+(?:identified[ \\t]+by|password)[ \\t]+)${SKIP}${SQL_BARE}(?=[ \\t]*;)`, 'gi'), keepToolValue],
	// Oracle's GRANT … TO u IDENTIFIED BY X (no ON): the value ends the statement.
	[new RegExp(`(\\bgrant\\b[^;\\n]{0,200}?[ \\t]to[ \\t]+${SQL_NAME}[ \\t]+identified[ \\t]+by[ \\t]+)${SKIP}(?:${SQL_STRING}|${SQL_BARE})(?=[ \\t]*(?:;|\\r?$))`, 'gim'), sqlQuotedOrBare],
	[new RegExp(`(\\bset[ \\t]+password(?:[ \\t]+for[ \\t]+${SQL_NAME})?[ \\t]*=[ \\t]*(?:(?:old_)?password[ \\t]*\\([ \\t]*)?)${SKIP}${SQL_STRING}`, 'gi'), sqlReplacer],
	// After a password redacted: MySQL's and Oracle's `REPLACE 'old'`, MySQL's next user in the same statement
	// (`…, 'bob'@'%' IDENTIFIED BY 'X'`); MySQL's PASSWORD('X') function (in capitals,
	// or after `=` or SELECT: `set authentication_string=password('X')`).
	[new RegExp(`(\\bidentified[ \\t]+by[ \\t]*['"]?\\[REDACTED[^\\]\\n]{0,100}\\]['"]?[ \\t]+replace[ \\t]+)${SKIP}(?:${SQL_STRING}|([^\\s;"'()]{1,200}))`, 'gi'), sqlQuotedOrBare],
	[new RegExp(`(\\[REDACTED[^\\]\\n]{0,100}\\]['"]?[ \\t]*,[ \\t]*${SQL_NAME}[ \\t]+identified[ \\t]+(?:with[ \\t]+${SQL_PLUGIN}[ \\t]+)?by[ \\t]*)${SKIP}${SQL_STRING}`, 'gi'), sqlReplacer],
	[new RegExp(`(\\b(?:OLD_)?PASSWORD\\([ \\t]*)${SKIP}${SQL_STRING}(?=[ \\t]*\\))`, 'g'), sqlReplacer],
	[new RegExp(`((?:=|\\bselect)[ \\t]*(?:old_)?password\\([ \\t]*)${SKIP}${SQL_STRING}(?=[ \\t]*\\))`, 'gi'), sqlReplacer],
	// PostgreSQL's user mappings and foreign servers (`OPTIONS (user 'app', password 'X')`), Neo4j's `SET PASSWORD FROM 'X' TO 'Y'`.
	[new RegExp(`(\\boptions[ \\t]*\\([^);\\n]{0,300}?\\bpassword[ \\t]+)${SKIP}${SQL_STRING}`, 'gi'), sqlReplacer],
	[
		new RegExp(`(\\bset[ \\t]+password[ \\t]+from[ \\t]+)${SKIP}${SQL_STRING}([ \\t]+to[ \\t]+)${SKIP}${SQL_STRING}`, 'gi'),
		(match, head: string, old: string, to: string, value: string) => sqlReplacer(match, head, old) + sqlReplacer(match, to, value),
	],
];

/**
 * Password options of other tools, and values that are secrets by where they stand: `az login -p X`,
 * `zip`/`unzip -P X` (`-rP` too), 7-Zip's `-pX` (attached: a bare `-p` prompts), `openssl enc … -k X`,
 * OpenSSL's `pass:X` after -pass, -passin or -passout, `gh secret set NAME --body X` (`-bX`), `sqlcmd -P X`,
 * `mongosh -p X`, `smbclient -U user%X`, `cmdkey /pass:X`, `lftp -u user,X`, `net use … /user:NAME X` and
 * `net use \\server\share X`, kubectl's secret literals, a secret name's value in a tool's `config set`
 * (poetry's `http-basic.NAME USER X` too), what is echoed or given as a here-string to a command that
 * reads its password from its input, `vault login TOKEN` (its last argument), and `htpasswd -b`. A value
 * that reads as prose, a path or a URL is kept (toolValue).
 */
const OTHER_TOOL_PATTERNS: Step[] = [
	toolPasswordOption(`${at('az')}[ \\t]+login\\b${COMMAND_CHAR}{0,200}?${OPTION_GAP}-p[ \\t]*`),
	toolPasswordOption(`${at('(?:un)?zip')}\\b${COMMAND_CHAR}{0,200}?${OPTION_GAP}-[A-Za-z]*P[ \\t]+`),
	quotedToolOption(`${at('7z[arz]?')}\\b${COMMAND_CHAR}{0,200}?${OPTION_GAP}`, '-p'),
	toolPasswordOption(`${at('7z[arz]?')}\\b${COMMAND_CHAR}{0,200}?${OPTION_GAP}-p`),
	toolPasswordOption(`${at('openssl')}[ \\t]+(?:enc|aes\\S*|des\\S*|bf\\S*|camellia\\S*|chacha20\\S*|rc4\\S*|sm4\\S*)\\b${COMMAND_CHAR}{0,200}?${OPTION_GAP}-k[ \\t]+`),
	// After `pass:` the password is literal, never prose.
	quotedToolOption(`(?<![\\w-])--?(?:pass|passin|passout|password|passphrase)(?:[ \\t]+(?:${CONTINUATION}[ \\t]*)?|=)`, 'pass:'),
	passwordOption(`(?<![\\w-])--?(?:pass|passin|passout|password|passphrase)(?:[ \\t]+(?:${CONTINUATION}[ \\t]*)?|=)pass:`),
	toolPasswordOption(`${at('gh')}[ \\t]+secret[ \\t]+set\\b${COMMAND_CHAR}{0,200}?${OPTION_GAP}(?:-b[ \\t]*|--body(?:[ \\t]+|=))`),
	toolPasswordOption(`${at('(?:sqlcmd|bcp)')}\\b${COMMAND_CHAR}{0,200}?${OPTION_GAP}-P[ \\t]+`),
	toolPasswordOption(`${at('mongo(?:sh|dump|restore|import|export|stat|top)?')}\\b${COMMAND_CHAR}{0,200}?${OPTION_GAP}-p[ \\t]+`),
	quotedToolOption(`${at('(?:smbclient|rpcclient|smbcacls|smbget|smbmap)')}\\b${COMMAND_CHAR}{0,200}?${OPTION_GAP}(?:-U[ \\t]*|--user(?:=|[ \\t]+))`, `[^\\s%"']{1,200}%`),
	toolPasswordOption(`${at('(?:smbclient|rpcclient|smbcacls|smbget|smbmap)')}\\b${COMMAND_CHAR}{0,200}?${OPTION_GAP}(?:-U[ \\t]*|--user(?:=|[ \\t]+))[^\\s%"']{1,200}%`),
	toolPasswordOption(`${at('cmdkey')}\\b${COMMAND_CHAR}{0,200}?${OPTION_GAP}\\/pass:`, 'gi'),
	quotedToolOption(`${at('lftp')}\\b${COMMAND_CHAR}{0,200}?${OPTION_GAP}-u[ \\t]+`, `[^\\s,"']{1,200},`),
	toolPasswordOption(`${at('lftp')}\\b${COMMAND_CHAR}{0,200}?${OPTION_GAP}-u[ \\t]+[^\\s,"']{1,200},`),
	toolPasswordOption(`${at('net')}[ \\t]+use\\b${COMMAND_CHAR}{0,200}?${OPTION_GAP}\\/u(?:ser)?:(?:"[^"\\n]{1,200}"|[^\\s"]\\S*)[ \\t]+(?![/*])`, 'gi'),
	toolPasswordOption(`${at('net')}[ \\t]+use(?:[ \\t]+(?:[A-Za-z]:|\\*))?[ \\t]+(?:"\\\\\\\\[^"\\n]{1,300}"|\\\\\\\\\\S+)[ \\t]+(?![/*])`, 'gi'),
	toolPasswordOption(`${at('psexec(?:64)?(?:\\.exe)?')}\\b${COMMAND_CHAR}{0,200}?${OPTION_GAP}-p[ \\t]+`, 'gi'),
	toolPasswordOption(`${at('(?:un)?rar(?:\\.exe)?')}\\b${COMMAND_CHAR}{0,200}?${OPTION_GAP}-h?p`, 'gi'),
	toolPasswordOption(`${at('ldap(?:search|modify|add|delete|modrdn|compare|whoami|passwd|exop|vc)')}\\b${COMMAND_CHAR}{0,200}?${OPTION_GAP}-w[ \\t]*`),
	toolPasswordOption(`${at('ldappasswd')}\\b${COMMAND_CHAR}{0,200}?${OPTION_GAP}-[as][ \\t]*`),
	toolPasswordOption(`${at('ipmitool')}\\b${COMMAND_CHAR}{0,200}?${OPTION_GAP}-P[ \\t]*`),
	toolPasswordOption(`${at('ncftp(?:get|put|ls|batch)?')}\\b${COMMAND_CHAR}{0,200}?${OPTION_GAP}-p[ \\t]+`),
	// cqlsh, Neo4j's cypher-shell, rdesktop, SAP HANA's hdbsql and Dell's racadm take it as `-p X` or `-pX`
	// (racadm's `set iDRAC.Users.N.Password X` too); Sybase's isql as `-P X` or `-PX`, Mosquitto's clients as
	// `-P X` or `--pw X` (their `-p` is a port); FreeRDP as `/p:X`.
	toolPasswordOption(`${at('(?:cqlsh|cypher-shell|rdesktop|hdbsql|racadm)')}\\b${COMMAND_CHAR}{0,200}?${OPTION_GAP}-p[ \\t]*`),
	toolPasswordOption(`${at('racadm')}\\b${COMMAND_CHAR}{0,200}?${OPTION_GAP}set[ \\t]+[\\w.]{0,100}\\.password[ \\t]+`, 'gi'),
	toolPasswordOption(`${at('isql')}\\b${COMMAND_CHAR}{0,200}?${OPTION_GAP}-P[ \\t]*`),
	toolPasswordOption(`${at('mosquitto_(?:pub|sub|rr)')}\\b${COMMAND_CHAR}{0,200}?${OPTION_GAP}(?:-P[ \\t]+|--pw(?:[ \\t]+|=))`),
	toolPasswordOption(`${at('(?:[wx]freerdp3?|sdl-freerdp3?|wlfreerdp)')}(?:\\.exe)?\\b${COMMAND_CHAR}{0,200}?${OPTION_GAP}\\/p:`, 'gi'),
	// Jenkins' CLI: `-auth user:X` (the user kept; `-auth @file` reads a file).
	quotedToolOption(`\\bjenkins-cli\\b${COMMAND_CHAR}{0,200}?${OPTION_GAP}-auth[ \\t]+`, `${userBefore(`[^\\s:"'[@]{1,200}`)}:`),
	toolPasswordOption(`\\bjenkins-cli\\b${COMMAND_CHAR}{0,200}?${OPTION_GAP}-auth[ \\t]+${userBefore(`[^\\s:"'[@-][^\\s:"'[]{0,200}`)}:`),
	// A password as a tool's argument: `neo4j-admin [dbms] set-initial-password X`, RabbitMQ's `rabbitmqctl
	// add_user NAME X` and `change_password NAME X`, MinIO's `mc alias set NAME URL KEY X` (`mcli`; `mc config
	// host add`; the URL a URL or a variable, so a usage line's `HOSTNAME` is none; its access key may have gone
	// already), Db2's `connect to DB user NAME using X` (after `db2` on the line, in capitals, or ending a statement).
	toolPasswordOption(`${at('neo4j-admin')}(?:[ \\t]+dbms)?[ \\t]+set-initial-password[ \\t]+`),
	toolPasswordOption(`${at('rabbitmqctl')}(?:\\.bat)?\\b${COMMAND_CHAR}{0,200}?${OPTION_GAP}(?:add_user|change_password|authenticate_user)[ \\t]+${PRIOR_WORD}[ \\t]+`),
	toolPasswordOption(`${at('mc(?:li)?')}(?:\\.exe)?[ \\t]+(?:alias[ \\t]+set|config[ \\t]+host[ \\t]+add)(?:[ \\t]+--(?:api|path|lookup)(?:[ \\t]+|=)\\S+|[ \\t]+--?[\\w-]+)*[ \\t]+${PRIOR_WORD}[ \\t]+${MC_URL}[ \\t]+${PRIOR_WORD}[ \\t]+`),
	toolPasswordOption(`\\bdb2\\b[^\\n]{0,200}?\\b(?:connect|attach)[ \\t]+to[ \\t]+[\\w$#@.]{1,128}[ \\t]+user[ \\t]+${PRIOR_WORD}[ \\t]+using[ \\t]+`, 'gi'),
	toolPasswordOption(`\\b(?:CONNECT|ATTACH)[ \\t]+TO[ \\t]+[\\w$#@.]{1,128}[ \\t]+USER[ \\t]+${PRIOR_WORD}[ \\t]+USING[ \\t]+`),
	toolPasswordOption(`\\b(?:connect|attach)[ \\t]+to[ \\t]+[\\w$#@.]{1,128}[ \\t]+user[ \\t]+${PRIOR_WORD}[ \\t]+using[ \\t]+`, 'gi', `(?=[ \\t]*;)`),
	// Db2's `new X confirm X` after its `using X`.
	[new RegExp(`(\\busing[ \\t]+\\[REDACTED[^\\]\\n]{0,100}\\][ \\t]+new[ \\t]+)${SKIP}([^\\s;"']{1,200})([ \\t]+confirm[ \\t]+)${SKIP}([^\\s;"']{1,200})`, 'gi'), (_match, head: string, _value: string, confirm: string) => `${head}${M}${confirm}${M}`],
	// Redis and SQL: each group scans a text only when a word all its patterns need is there.
	stepsWhere(/auth|requirepass/i, REDIS_PASSWORD_STEPS),
	stepsWhere(/password|identified/i, SQL_PASSWORD_STEPS),
	// net-snmp's -A (authentication) and -X (privacy) passphrases: both may stand in one command.
	toolPasswordOption(`${OPTION_GAP}-[AX](?<=(?:${at('snmp[a-z]{0,20}')}|${CHECK_SNMP})\\b${COMMAND_CHAR}{0,200}?${OPTION_GAP}-[AX])[ \\t]*`),
	toolPasswordOption(`${at('net')}(?:\\.exe)?[ \\t]+user(?:[ \\t]+\\/\\w+){0,5}[ \\t]+${nameWord('/*')}[ \\t]+(?![/*])`, 'gi', PASSWORD_LIKE),
	// The password after the options (never an option's own argument: `mkpasswd -m sha-512` reads it from its input).
	toolPasswordOption(`${at('openssl')}[ \\t]+passwd(?:[ \\t]+(?:-(?:salt|in)[ \\t]+(?![-[])\\S+|-\\S+)){0,20}[ \\t]+(?<!-(?:salt|in)[ \\t]+)`),
	toolPasswordOption(`${at('mkpasswd')}(?![^\\n|;&]{0,200}?[ \\t]-[ldcC][ \\t]*\\d)(?:[ \\t]+(?:(?:-[mSRP]|--(?:method|salt|rounds|password-fd))[ \\t]+(?![-[])\\S+|--?[\\w-]+(?:=\\S+)?)){0,20}[ \\t]+(?<!(?:[ \\t]-[mSRP]|--(?:method|salt|rounds|password-fd))[ \\t]+)`),
	toolPasswordOption(`${at('wpa_passphrase')}[ \\t]+${nameWord("'", `'[^'\\n]{1,200}'`)}[ \\t]+`),
	toolPasswordOption(`${at('nmcli')}\\b${COMMAND_CHAR}{0,200}?${OPTION_GAP}(?:password|(?:[\\w-]+\\.)+(?:psk|password|wep-key[0-3]|leap-password|private-key-password))[ \\t]+`, 'g', `(?:${PASSWORD_LIKE}|(?=[ \\t]+(?:ifname|name|bssid|hidden|private)\\b))`),
	toolPasswordOption(`${at('rclone')}[ \\t]+config[ \\t]+(?:create|update)\\b${COMMAND_CHAR}{0,200}?${OPTION_GAP}(?:pass|password2?|secret_access_key|client_secret|account_key|key|token|pass_phrase)[ \\t]+`, 'g', `(?:${PASSWORD_LIKE}|(?=[ \\t]+(?:user|host|port|type|url|vendor|provider|endpoint|region|account|key_file|shell_type|env_auth)\\b))`),
	toolPasswordOption(`${at('rclone')}[ \\t]+obscure[ \\t]+`),
	// ngrok's `config add-authtoken X` (the old `authtoken X`) and `config add-api-key X`.
	toolPasswordOption(`${at('ngrok')}(?:[ \\t]+config)?[ \\t]+(?:add-)?(?:authtoken|api-key)[ \\t]+`),
	// HTTPie and xh: `http -a user:X`, `--auth user:X`, `--auth=user:X` (the user kept; a user alone is
	// prompted for a password), and the token given with `-A bearer` (`--auth-type=bearer`), before or after it.
	quotedToolOption(`${HTTPIE}[ \\t](?:-${HTTPIE_FLAGS}{0,10}a[ \\t]*|--auth(?:=|[ \\t]+))`, `${userBefore(`[^\\s:"'[]{1,200}`)}:`),
	toolPasswordOption(`${HTTPIE}[ \\t](?:-${HTTPIE_FLAGS}{0,10}a[ \\t]*|--auth(?:=|[ \\t]+))${userBefore(`[^\\s:"'[-][^\\s:"'[]{0,200}`)}:`),
	scrubHttpieBearer,
	// Oracle's `user/X@db` logins: sqlplus, sqlldr, Data Pump, dgmgrl and `rman target` (to a blank or
	// the `@`; `sqlplus / as sysdba` names no user; the login quoted whole too, `"user/X@db"`), SQL*Plus's
	// `CONNECT user/X@db` (with its `@` only, "connect input/output" is prose, but without it at the `SQL>`
	// and `DGMGRL>` prompts and after RMAN's `CONNECT TARGET`, where a dot is no file's), and JDBC's
	// `jdbc:oracle:thin:user/X@host`.
	[new RegExp(`(${oracleTool('(?:sqlplus|sqlldr|expdp|impdp|dgmgrl)')}(?:[ \\t]+-\\w+)*[ \\t]+${ORACLE_USER})${SKIP}${ORACLE_PASSWORD}`, 'gi'), oracleReplacer],
	[new RegExp(`([ \\t]userid=(?<=${oracleTool('(?:sqlplus|sqlldr|expdp|impdp|exp|imp)')}${COMMAND_CHAR}{0,200}?[ \\t]userid=)${ORACLE_USER})${SKIP}${ORACLE_PASSWORD}`, 'gi'), oracleReplacer],
	[new RegExp(`([ \\t](?:target|catalog|auxiliary)(?<=${oracleTool('rman')}${COMMAND_CHAR}{0,200}?[ \\t](?:target|catalog|auxiliary))(?:[ \\t]*=[ \\t]*|[ \\t]+)${ORACLE_USER})${SKIP}${ORACLE_PASSWORD}`, 'gi'), oracleReplacer],
	[new RegExp(`(^[ \\t]*conn(?:ect)?[ \\t]+${ORACLE_USER}|\\bjdbc:oracle:(?:thin|oci8?):${ORACLE_USER})${SKIP}${ORACLE_PASSWORD}(?=@)`, 'gim'), oracleReplacer],
	// At SQL*Plus's and Data Guard's prompts a CONNECT is one, and so is RMAN's `CONNECT TARGET|CATALOG|AUXILIARY`
	// (in a script too): with the `@` or without (a local database).
	[new RegExp(`(^[ \\t]*(?:(?:SQL|DGMGRL)>[ \\t]*conn(?:ect)?|(?:RMAN>[ \\t]*)?conn(?:ect)?[ \\t]+(?:target|catalog|auxiliary))[ \\t]+${ORACLE_USER})${SKIP}${ORACLE_PASSWORD}`, 'gim'), keepToolValue],
	// A CONNECT echoed or printed for a tool (`echo "connect target sys/X@prod" | rman`, `printf 'conn
	// u/X\n' | sqlplus /nolog`, `echo conn u/X> in.sql && sqlplus @in.sql`): with an `@`, or SQL*Plus,
	// RMAN or DGMGRL as a word after a `|`, `&`, `;` or `(` on the line, so in a later command
	// (`| sudo -u oracle sqlplus`); `echo "connect input/output"` is prose, and so is `echo "connect
	// target TCP/IP stack" and rman docs`.
	[new RegExp(`(${ECHOED_CONNECT}${ORACLE_USER})${SKIP}${ECHOED_PASSWORD}(?=@|[^\\n|&;(]{0,300}[|&;(][^\\n]{0,200}?(?<=[\\s|&;(/\\\\"'])(?:sqlplus|rman|dgmgrl)(?:\\.exe)?(?![\\w.-]))`, 'gi'), oracleReplacer],
	scrubPgpass,
	// .npmrc's `_auth=` (base64 of user:password), alone or after a registry (`//host/:_auth=`).
	[new RegExp(`((?:^|:)[ \\t]*_auth[ \\t]*=[ \\t]*)${SKIP}("[^"\\n]*"|'[^'\\n]*'|[^\\s"';#]+)`, 'gm'), (match, head: string, value: string) => head + (redactedArgument(value) ?? match.slice(head.length))],
	scrubSecretLiterals,
	[
		new RegExp(`(\\b${CONFIG_SET}(?:[ \\t]+(?:--(?:profile|file|location|project|id)[ \\t]+\\S+|-f[ \\t]+\\S+|--?[\\w-]+(?:=\\S+)?))*[ \\t]+(["']?)([^\\s"'=]{1,200})\\2[ \\t]+)${SKIP}${ARGUMENT}`, 'g'),
		(match, head: string, _quote: string, name: string, value: string) => (isSecretName(name, true) || name === '_auth' ? head + (toolValue(value) ?? value) : match),
	],
	toolPasswordOption(`\\bpoetry[ \\t]+config(?:[ \\t]+--[\\w-]+)*[ \\t]+http-basic\\.\\S+[ \\t]+(?:"[^"\\n]*"|'[^'\\n]*'|[^\\s"']\\S*)[ \\t]+`),
	[
		new RegExp(`(\\b(?:echo|printf)[ \\t]+(?:--[ \\t]+)?(?:-[ne]+[ \\t]+|'%s(?:\\\\n)?'[ \\t]+|"%s(?:\\\\n)?"[ \\t]+)?)${SKIP}(?!-)${ECHO_ARGUMENT}(?=[ \\t]*(?:(?:;[ \\t]*${ECHO_AGAIN})?\\)[ \\t]*|;[ \\t]*${ECHO_AGAIN})?\\|${COMMAND_CHAR}{0,200}?${READS_SECRET_FROM_STDIN})`, 'g'),
		(_match, head: string, value: string) => head + (redactedArgument(value) ?? value),
	],
	[
		new RegExp(`(${READS_SECRET_FROM_STDIN}${COMMAND_CHAR}{0,200}?<<<[ \\t]*)${SKIP}${ARGUMENT}`, 'g'),
		(_match, head: string, value: string) => head + (redactedArgument(value) ?? value),
	],
	[
		new RegExp(`(\\bvault[ \\t]+login\\b(?:[ \\t]+-[\\w-]+(?:=\\S+)?)*[ \\t]+)${SKIP}("[^"\\n]+"|'[^'\\n]+'|[^\\s"'|;&\`=-][^\\s"'|;&\`=]*)(?=[ \\t]*(?:$|[\\r\\n|;&#]))`, 'gm'),
		keepToolValue,
	],
	scrubHtpasswd,
	// A password command that echoes it: restic's `--password-command "echo X"`, `RESTIC_PASSWORD_COMMAND`,
	// `BORG_PASSCOMMAND` (`BORG_NEW_PASSCOMMAND`, borgmatic's `encryption_passcommand:`), quoted or to the line's end.
	[
		new RegExp(`((?:--password-command|\\b(?:RESTIC_PASSWORD_COMMAND|BORG_(?:NEW_)?PASSCOMMAND|encryption_passcommand)["']?)(?:[ \\t]*[:=][ \\t]*|[ \\t]+)(["']?)[ \\t]*(?:\\/[\\w./-]{0,100}\\/)?(?:echo|printf)[ \\t]+(?:-[neE]+[ \\t]+|--[ \\t]+){0,3}(?:'%s(?:\\\\n)?'[ \\t]+|"%s(?:\\\\n)?"[ \\t]+|%s(?:\\\\n)?[ \\t]+)?)${SKIP}${ECHOED}(?=[ \\t]*(?:\\2|$|[\\r\\n;&|#]))`, 'gm'),
		(match, head: string, quote: string, value: string) => {
			if (value.startsWith('\\"')) return variableOrValue(value.slice(2, -2)) ? `${head}\\"${M}\\"` : match;
			return (quote && value.startsWith(quote)) || PROSE_WORD.test(value.split(/[ \t]/)[0]!) ? match : head + (variableOrValue(value) ?? value);
		},
	],
	// What an expect script sends after a password prompt: Tcl's `expect "…assword:"` (or `{…assword…}`)
	// then `send "X\r"` (`;`, `{` or line breaks between, blank or comment lines too; `"*assword*" {
	// send "X\r" }` in an expect block), and pexpect's `.expect('Password:')` then `.sendline('X')`.
	// A yes or no answers a question ("Password expired. Change? (y/n)"), a variable or `[…]` computes it.
	[
		new RegExp(`((?:\\bexpect(?:[ \\t]+-[\\w-]+){0,5}[ \\t]+(?:${passwordPrompt('"')}|${passwordPrompt('{', '}')})[ \\t]*(?:\\{[ \\t]*(?:\\r?\\n[ \\t]*)?|;[ \\t]*|${LINES_BETWEEN})|^[ \\t]*(?:-[\\w-]+[ \\t]+){0,3}${passwordPrompt('"')}[ \\t]*\\{[ \\t]*(?:\\r?\\n[ \\t]*)?)(?:exp_)?send(?:[ \\t]+(?:-[sh]|-raw|-i[ \\t]+[^\\s"]{1,80}))?(?:[ \\t]+--)?[ \\t]+")${SKIP}((?:[^"\\\\\\n]|\\\\[^rn\\n]){1,1024})(?=(?:\\\\[rn])*")`, 'gm'),
		(match, head: string, value: string) => (/^[$[]/.test(value) || ANSWER.test(value) ? match : head + M),
	],
	[
		new RegExp(`(\\.expect(?:_exact)?\\([ \\t]*\\[?[ \\t]*[rbu]?(?:${passwordPrompt('"')}|${passwordPrompt("'")})[^\\n]{0,200}?\\)[ \\t]*(?:;[ \\t]*|${LINES_BETWEEN})[\\w.]{1,80}\\.send(?:line)?\\([ \\t]*[rbuf]{0,2}(["']))${SKIP}((?:(?!\\2)[^\\n\\\\]|\\\\[^\\nrn]){1,1024})(?=(?:\\\\[rn])*\\2[ \\t]*\\))`, 'g'),
		(match, head: string, _quote: string, value: string) => (ANSWER.test(value) || /^\{/.test(value) ? match : head + M),
	],
	// SNMP v1/v2c's community (`snmpwalk -v2c -c X host`, the Nagios plugin's `check_snmp -C X`); the default `public` and a placeholder are no secret.
	[
		new RegExp(`((?:${at('snmp(?!d\\b|trapd\\b)[a-z]{0,20}')}\\b${COMMAND_CHAR}{0,200}?${OPTION_GAP}-c|${CHECK_SNMP}\\b${COMMAND_CHAR}{0,200}?${OPTION_GAP}(?:-C|--community(?:=|(?=[ \\t]))))[ \\t]*)${SKIP}(?![-<>])${ARGUMENT}`, 'g'),
		(match, head: string, value: string) => (/^(?:public|community(?:[_-]?string)?)$/i.test(unquoted(value)) ? match : head + (toolValue(value) ?? value)),
	],
	// PowerShell: `ConvertTo-SecureString "…" -AsPlainText -Force`, `"…" | ConvertTo-SecureString …`.
	// Unquoted, the word after the cmdlet is its value only with -String or -AsPlainText ("the
	// ConvertTo-SecureString cmdlet converts…" is prose); an expression in brackets computes it.
	[
		new RegExp(`(${at('ConvertTo-SecureString')}((?:[ \\t]+-(?:AsPlainText|Force)\\b)*)[ \\t]+(-String(?:[ \\t]+|:))?)${SKIP}(?![-(])${ARGUMENT}(?=(${COMMAND_CHAR}{0,200}?${OPTION_GAP}-AsPlainText\\b)?)`, 'gi'),
		(match, head: string, switches: string, named: string | undefined, value: string, plainAfter: string | undefined) =>
			/^["']/.test(value) || named || plainAfter || /AsPlainText/i.test(switches) ? head + (variableOrValue(value) ?? value) : match,
	],
	[new RegExp(`${SKIP}("[^"\\n]+"|'[^'\\n]+')(?=[ \\t]*\\|[ \\t]*ConvertTo-SecureString\\b)`, 'gi'), (_match, value: string) => variableOrValue(value) ?? value],
	// `echo 'user:pass' | chpasswd` (also through sudo, printf, a here-string): the user is kept.
	[
		new RegExp(`(\\b(?:echo|printf)[ \\t]+(?:-[ne]+[ \\t]+|'%s(?:\\\\n)?'[ \\t]+|"%s(?:\\\\n)?"[ \\t]+)?${CHPASSWD_USER})${SKIP}${CHPASSWD_PASSWORD}(?=\\2[ \\t]*\\|${COMMAND_CHAR}{0,200}?\\bchpasswd\\b)`, 'g'),
		chpasswdReplacer,
	],
	[new RegExp(`(\\bchpasswd\\b${COMMAND_CHAR}{0,200}?<<<[ \\t]*${CHPASSWD_USER})${SKIP}${CHPASSWD_PASSWORD}(?=\\2)`, 'g'), chpasswdReplacer],
];

/** A value redacted (redactedArgument) unless it is a variable (`$pw`, `$env:PW`, `${PW}`), which only names it. */
function variableOrValue(value: string): string | undefined {
	const inner = unquoted(value);
	return /^\$(?:\{[\w:]+\}|[\w:]+)$/.test(inner) ? undefined : redactedArgument(value);
}

/** Command-line secrets, in the order they are looked for (scrub-text.ts runs them after URLs and headers). */
export const COMMAND_LINE_PATTERNS: Step[] = [
	// Other tools first: OpenSSL's `-pass pass:'…'` is theirs (the flag rule below keeps `env:X` and `file:X`).
	...OTHER_TOOL_PATTERNS,
	// Command lines: a secret flag and its value (on the next line after a `\` continuation too), `curl -u user:pass`
	// (quoted or not, attached as `-uuser:pass`), and tools that take a password inline.
	[new RegExp(FLAG, 'g'), flagReplacer],
	[new RegExp(`(${USER_OPTION}(["'])${userBefore(`[^\\s:"'[]+`)}:)${SKIP}(?!\\d+\\2)((?:(?!\\2)[^\\n]){1,1024})(?=\\2)`, 'g'), keepHead],
	[new RegExp(`(${USER_OPTION}["']?${userBefore(`[^\\s:"'[]+`)}:)${SKIP}(?!\\d+(?:[\\s"']|$))[^\\s"'\`]+`, 'g'), keepHead],
	[new RegExp(`(\\bcurl\\b${COMMAND_CHAR}{0,200}?${OPTION_GAP}-[A-Za-z]{0,10}u[ \\t]*(?:${CONTINUATION}[ \\t]*)?(["'])[^\\s:"']{1,200}:)${SKIP}(?!\\d+\\2)((?:(?!\\2)[^\\n]){1,1024})(?=\\2)`, 'g'), (match, head: string, _quote: string, value: string) => (redactedArgument(value) ? head + M : match)],
	[new RegExp(`(\\bcurl\\b${COMMAND_CHAR}{0,200}?${OPTION_GAP}-[A-Za-z]{0,10}u[ \\t]*(?:${CONTINUATION}[ \\t]*)?[^\\s:"'-][^\\s:"']{0,200}:)${SKIP}(?!\\d+(?:[\\s"']|$))([^\\s"'\`]+)`, 'g'), (match, head: string, value: string) => (redactedArgument(value) ? head + M : match)],
	passwordOption(`\\b(?:mysql|mysqldump|mysqladmin|mysqlimport|mariadb|mariadb-dump)\\b${COMMAND_CHAR}{0,200}?${OPTION_GAP}-p`),
	passwordOption(`\\bsshpass(?:(?:[ \\t]|${CONTINUATION})+-[veh]){0,3}(?:[ \\t]|${CONTINUATION})+-p[ \\t]*`),
	passwordOption(`\\bredis-cli\\b${COMMAND_CHAR}{0,200}?${OPTION_GAP}-a[ \\t]+`),
	// The login command ends where a sentence or inline code does (`, `, `. `, a backquote) or another
	// command starts: `docker login` then `docker run -p 8080:80` keeps its port.
	passwordOption(
		`\\b(?:${programWord(REGISTRY_TOOLS)}|${programWord('helm')}[ \\t]+registry)[ \\t]+login\\b(?:(?!(?:${REGISTRY_TOOLS}|helm)\\b)[^\\n|;&\`,.\\\\]|\\.(?=\\S)|\\\\(?!\\r?\\n)|${CONTINUATION}){0,200}?${OPTION_GAP}-p(?:[ \\t]+|=)?`,
	),
	...WINDOWS_PATTERNS,
	scrubNetrc,
];

/** A tool's name as an argument list's element: alone or a path's last part (`/usr/bin/…`, `C:\\Tools\\SQLCMD.EXE`: in any case before a Windows program's extension). */
const argvTool = (name: string) => new RegExp(`(?:^|[/\\\\])(?:${name}|${anyCaseFragment(name)}(?=${WINDOWS_PROGRAM}))${WINDOWS_PROGRAM}?$`);

/**
 * Tools whose short options carry a password: the option, whether its value may be attached
 * (`-pSECRET`) or be the next element, and the subcommand it needs when it means something else
 * elsewhere (`docker run -p` is a port). Each counts only after its tool (and subcommand) in the
 * list; `valueOptions` when the tool's options end at the program it runs (`sshpass -p X ssh -p
 * 2222`: the second is ssh's port), naming its options that take a value.
 */
const ARGV_PASSWORD_OPTIONS: Array<{tool: RegExp; option: string; attached: boolean; separate: boolean; subcommand?: string; valueOptions?: readonly string[]}> = [
	{tool: argvTool('sshpass'), option: '-p', attached: true, separate: true, valueOptions: ['-f', '-d', '-p', '-P']},
	{tool: argvTool('(?:docker|podman|nerdctl|buildah|skopeo|oras)'), option: '-p', attached: true, separate: true, subcommand: 'login'},
	{tool: argvTool('redis-cli'), option: '-a', attached: false, separate: true},
	{tool: argvTool('(?:mysql|mysqldump|mysqladmin|mysqlimport|mariadb|mariadb-dump)'), option: '-p', attached: true, separate: false},
	{tool: argvTool('az'), option: '-p', attached: false, separate: true, subcommand: 'login'},
	{tool: argvTool('(?:un)?zip'), option: '-P', attached: false, separate: true},
	{tool: argvTool('7z[arz]?'), option: '-p', attached: true, separate: false},
	{tool: argvTool('openssl'), option: '-k', attached: false, separate: true},
	{tool: argvTool('(?:cqlsh|rdesktop)'), option: '-p', attached: true, separate: true},
	{tool: argvTool('(?:hdbsql|racadm)'), option: '-p', attached: false, separate: true},
	{tool: argvTool('isql'), option: '-P', attached: true, separate: true},
	{tool: argvTool('(?:mosquitto_(?:pub|sub|rr)|sqlcmd|bcp)'), option: '-P', attached: false, separate: true},
	{tool: argvTool('mosquitto_(?:pub|sub|rr)'), option: '--pw', attached: false, separate: true},
];
/** curl, whose `-uuser:pass` keeps its user. */
const ARGV_CURL = argvTool('curl');

/** Where a tool of ARGV_PASSWORD_OPTIONS stands in a list: not seen, seen but before its subcommand, or its options being read. */
type ToolStage = 'unseen' | 'tool' | 'options';

/**
 * Secrets an argument list holds in the element after a flag (`["--api-key", "X"]`,
 * `["-u", "user:pass"]`, `["sshpass", "-p", "X"]`, `["docker", "login", "-p", "X"]`): indexes to redact, and the replacement.
 * `command` is the program the list belongs to, when it is named beside it.
 */
export function argvSecrets(args: readonly unknown[], command: string | undefined): Map<number, string> {
	const out = new Map<number, string>();
	const stages = ARGV_PASSWORD_OPTIONS.map(entry => (command !== undefined && entry.tool.test(command) ? (entry.subcommand ? 'tool' : 'options') : 'unseen') as ToolStage);
	let curl = command !== undefined && ARGV_CURL.test(command);
	args.forEach((arg, index) => {
		if (typeof arg !== 'string') return;
		const next = args[index + 1];
		ARGV_PASSWORD_OPTIONS.forEach((entry, which) => {
			// The tool's name as an option's value (`-u docker`) starts nothing.
			if (entry.tool.test(arg) && !(stages[which] === 'options' && String(args[index - 1]).startsWith('-'))) stages[which] = entry.subcommand ? 'tool' : 'options';
			else if (stages[which] === 'tool' && arg === entry.subcommand) stages[which] = 'options';
			else if (stages[which] === 'options') toolOption(entry, arg, next, index, out);
			if (stages[which] === 'options' && entry.valueOptions && !arg.startsWith('-') && !entry.tool.test(arg) && !entry.valueOptions.includes(String(args[index - 1]))) stages[which] = 'unseen';
		});
		if (ARGV_CURL.test(arg)) curl = true;
		// curl's `-uuser:pass`, also after other short options (`-sSfuuser:pass`).
		const user = curl ? /^(-[A-Za-z]{0,10}u[^\s:-][^:]*:)(?!\d+$)(.+)$/.exec(arg) : null;
		if (user && redactedArgument(user[2]!) !== undefined) out.set(index, `${user[1]}${M}`);
		// OpenSSL's `-passin pass:X` (and -pass, -passout): the password after `pass:`.
		if (typeof next === 'string' && /^-(?:pass|passin|passout|password|passphrase)$/.test(arg) && /^pass:./.test(next) && !isPlaceholder(next.slice(5))) out.set(index + 1, `pass:${M}`);
		if (typeof next !== 'string' || next.startsWith('-') || isPlaceholder(next)) return;
		const flag = /^--?([A-Za-z][\w-]{0,60})$/.exec(arg);
		if (!flag) return;
		// Redis's `--requirepass X` and `--masterauth X` (a server's command in a list).
		if (isSecretName(flag[1]!) || /^--(?:requirepass|masterauth)$/.test(arg)) out.set(index + 1, M);
		else if ((['-u', '--user', '--proxy-user'].includes(arg) || (curl && /^-[A-Za-z]{1,10}u$/.test(arg))) && /^[^:]+:(?!\d+$).+/.test(next) && redactedArgument(next.slice(next.indexOf(':') + 1)) !== undefined) out.set(index + 1, `${next.slice(0, next.indexOf(':'))}:${M}`);
	});
	const start = httpieStart(args, command);
	if (start !== undefined) httpieArgv(args, start, out);
	return out;
}

/** HTTPie and xh in an argument list. */
const ARGV_HTTPIE = new RegExp(`(?:^|[/\\\\])${HTTPIE_NAMES}(?:\\.exe)?$`, 'i');

/**
 * Where HTTPie's or xh's arguments start in a list: after the tool, the list's own command, its first
 * element, or its second after Windows' `cmd /c` (an MCP server's usual form there);
 * `["--scheme", "http", "-a", "x:y"]` is another tool's.
 */
function httpieStart(args: readonly unknown[], command: string | undefined): number | undefined {
	const tool = (value: unknown) => typeof value === 'string' && ARGV_HTTPIE.test(value);
	if (tool(command)) return 0;
	if (tool(args[0])) return 1;
	if (command !== undefined && /(?:^|[/\\])cmd(?:\.exe)?$/i.test(command) && /^\/[ck]$/i.test(String(args[0])) && tool(args[1])) return 2;
	return undefined;
}

/**
 * HTTPie's `-a user:X` (`--auth`, attached `-aX`, `--auth=X`) in an argument list, the user kept;
 * with `-A bearer` (`--auth-type bearer`, `=bearer`) in the list, a value without a `:` is the token.
 */
function httpieArgv(args: readonly unknown[], start: number, out: Map<number, string>): void {
	const values: Array<{index: number; head: string; value: string}> = [];
	let bearer = false;
	args.forEach((arg, index) => {
		if (typeof arg !== 'string' || index < start) return;
		const auth = httpieAuthWord(index > start ? args[index - 1] : undefined, arg);
		bearer ||= auth.bearer;
		if (auth.valueAt !== undefined && !/^[-<>]/.test(arg.slice(auth.valueAt))) values.push({index, head: arg.slice(0, auth.valueAt), value: arg.slice(auth.valueAt)});
	});
	for (const {index, head, value} of values) {
		const colon = value.indexOf(':');
		const secret = colon < 0 ? (bearer ? value : undefined) : value.slice(colon + 1);
		// `host:8080` and `::1` are no user and password.
		if (secret === undefined || secret === '' || colon === 0 || isPlaceholder(value) || isPlaceholder(secret) || (colon > 0 && /^\d+$/.test(secret))) continue;
		out.set(index, `${head}${colon < 0 ? '' : value.slice(0, colon + 1)}${M}`);
	}
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
