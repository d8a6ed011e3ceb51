import {nameSecrecy} from '../secret-names.js';
import {AUTH_SCHEMES, isPlaceholder, isSecretName, M, redactSpans, SETTING_VALUE} from './text-steps.js';

const isNameCode = (code: number) => (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95 || code === 46 || code === 45;
const isNameStart = (code: number) => (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95;
const DIGITS_THEN_LETTER = /^\d{1,8}[A-Za-z_]/;

/** A setting name found before a separator: where it starts (its quote or bracket included), how written. */
type FoundName = {index: number; name: string; quoted: boolean; blanks: number; subscript?: true};

/**
 * The setting name in front of a ':' or '=' at `separator`: letters, digits, `_ . -` (starting with
 * a letter or `_`, or with digits joined to a letter, at most 81 long), optionally quoted as in JSON (quotes escaped too, as in JSON
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
	// A name starts with a letter or `_`, or with digits joined to a letter (`2fa_secret`).
	if (start === end || end - start > 81 || !(isNameStart(text.charCodeAt(start)) || DIGITS_THEN_LETTER.test(text.slice(start, end)))) return undefined;
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
export function scrubAssignments(text: string): string {
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
	// cmd's `set /p NAME=prompt` asks for the value and `set /a NAME=expression` computes it (a number alone is the value).
	const prompt = /\bset[ \t]+\/([pa])[ \t]+"?$/i.exec(text.slice(Math.max(line.start, found.index - 40), found.index));
	if (prompt && (prompt[1]!.toLowerCase() === 'p' || !/^\d+[ \t"]*(?:\r?\n|$|[&|)])/.test(text.slice(at + 1, at + 41)))) return undefined;
	let valueStart = at + 1;
	while (text[valueStart] === ' ' || text[valueStart] === '\t') valueStart++;
	// `input('Password: ')`, `"Password: " + pw`: the quote after the separator closes the string the
	// name is written in, and code goes on after it (`"password="hunter2` in a shell joins a value to it);
	// after a prompt's colon a block opens too (expect's `"Password:" { send "$pw\r" }`).
	const opener = text[found.index - 1];
	const codeAfter = separator === ':' ? /^[ \t]*(?:$|\r?\n|[+),;.\]}{])/ : /^[ \t]*(?:$|\r?\n|[+),;.\]}])/;
	if (!found.quoted && (opener === '"' || opener === "'") && text[valueStart] === opener && codeAfter.test(text.slice(valueStart + 1, valueStart + 41))) return undefined;
	const spaced = found.blanks > 0 || valueStart > at + 1;
	const mode = separator === ':' ? (atLineStart ? 'line' : 'token-alone') : atLineStart && spaced ? 'line' : 'token';
	// `NAME=value` at a line's start is a .env or shell line, where nothing is called.
	const envLine = separator === '=' && atLineStart && !spaced && !found.quoted;
	const expression = envLine ? undefined : expressionEnd(text, valueStart, separator === ':' && atLineStart);
	if (expression !== undefined) {
		CODE_VALUE_END.lastIndex = expression;
		if (CODE_VALUE_END.test(text)) return {skip: expression};
		// `getenv('X') || 'hunter2'`: the computed part is kept, the literal it falls back to is the value.
		FALLBACK_OPERATOR.lastIndex = expression;
		const fallback = FALLBACK_OPERATOR.test(text) ? quotedLiteral(text, found.name, FALLBACK_OPERATOR.lastIndex) : undefined;
		// Only when the statement ends after the literal: `get_pw() || 'a' + 'b'` is redacted whole, below.
		if (fallback) {
			CODE_VALUE_END.lastIndex = fallback.span.end + 1;
			if (CODE_VALUE_END.test(text)) return fallback;
		}
	}
	// `token=$(curl …)`, `key=(…)`: a command or an expression computes the value; nothing is written there.
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
	if (separator === '=' && !spaced && !found.quoted && !quoted && mode === 'token') span.end = wordsValueEnd(text, found, span, envLine);
	// A subscript or a variable set in code is code: what it is given unquoted is computed (`= api_key`,
	// `= request.form['password']`, `$env:API_KEY = Read-Host …`), unless it looks like a key pasted in.
	if ((found.subscript || codeVariable(text, found) !== undefined) && !quoted && !looksLikeCredential(/^\S*/.exec(text.slice(span.start, span.end))![0].replace(/[;,]+$/, ''))) return undefined;
	// A variable set in code (`os.environ["API_KEY"] = "…"`, `$env:API_KEY = "…"`) takes a quoted literal whole, blanks and all.
	if (quoted && codeVariable(text, found) !== undefined) span.literal = true;
	return {name: found.name, span};
}

/** A password's name (`DB_PASSWORD`, `DB_PASS`, `MYSQL_PWD`), not a word that holds "pass" (`BYPASS_TOKEN`, `COMPASS_KEY`). */
const PASSWORD_NAME = /pass(?:word|wd|phrase|code)|pwd|(?:^|[_.-])pass(?:$|[_.-])/i;
/** A mnemonic's or seed phrase's name; `seed` alone names one only when its value starts with a lower-case word. */
const PHRASE_NAME = /mnemonic|phrase/i;
/**
 * The first word of the command a variable is set for (`PGPASSWORD=x psql mydb`): a program that
 * takes a password so, a name with a digit, `_`, `-` or `.` (`pg_dump`, `python3`, `run.sh`), a
 * path, another variable. A plain word is the password's (`DB_PASSWORD=correct horse battery`).
 */
const COMMAND_WORD =
	/^(?:psql|mysql|mariadb|mysqldump|mongosh|mongo|mongodump|mongorestore|sqlcmd|isql|sqlplus|clickhouse|docker|podman|kubectl|helm|make|exec|env|sudo|nohup|time|xargs|bash|sh|zsh|node|npm|npx|yarn|pnpm|python|ruby|php|perl|java|go|cargo|dotnet|deno|bun|restic|borg|rclone|duplicity|rsync|ssh|scp|sftp|lftp|curl|wget|git|aws|az|gcloud|terraform|ansible|vault|openssl|gpg|zip|unzip|tar|redis|valkey|oathtool|[a-z][a-z0-9]*[\d_.+-][\w.+-]*|\.{0,2}\/\S*|~\/\S*|[A-Za-z_]\w*=\S*)$/;
/** The characters that end a line (a class's body). */
const LINE_BREAK_CHARS = '\\n\\r\\u2028\\u2029';
const LINE_BREAK = new RegExp(`[${LINE_BREAK_CHARS}]`);
/** Blanks on the same line, then a word. */
const NEXT_WORD = new RegExp(`^[^\\S${LINE_BREAK_CHARS}]+(\\S{1,200})`);

/**
 * Where an unquoted `NAME=value` ends (`span` its first token) when the value may hold blanks.
 * dotenv and Compose read a .env line's value to the end of the line, before a ` #` comment:
 * `DB_PASSWORD=Correct Horse 42!`, `SEED_PHRASE=abandon ability able …`. Quoted whole
 * (`- "DB_PASSWORD=Correct Horse"`, systemd's `Environment="…"`), it runs to the quote. A password
 * goes on only at a line's start and when the next word is no command's (`PGPASSWORD=x psql
 * mydb` runs psql with it; "password=abc was wrong" is prose); a seed phrase goes on anywhere.
 */
function wordsValueEnd(text: string, found: FoundName, span: ValueSpan, envLine: boolean): number {
	const phrase = PHRASE_NAME.test(found.name) || (/seed/i.test(found.name) && /^[a-z]+$/.test(text.slice(span.start, span.end)));
	if (!phrase && !PASSWORD_NAME.test(found.name)) return span.end;
	const opener = text[found.index - 1];
	if (opener === '"' || opener === "'") {
		const limit = Math.min(text.length, span.end + 4096);
		for (let position = span.end; position < limit; position++) {
			if (text[position] === opener) return position;
			if (text[position] === '\n' || text[position] === '\r') break;
		}
		return span.end;
	}
	if (!phrase && !(envLine && !COMMAND_WORD.test(nextWord(text, span.end)))) return span.end;
	return lineValueEnd(text, span.end);
}

/** The word after `end` on the same line (after blanks), or '' when the line ends first. */
function nextWord(text: string, end: number): string {
	const found = NEXT_WORD.exec(text.slice(end, end + 400));
	return found?.[1] ?? '';
}

/**
 * The end of the last word from `end` to the line's end or a comment (` #`), looked for in 4096
 * characters at most (the words read so far when there are more). Linear: the caller goes on from it.
 */
function lineValueEnd(text: string, end: number): number {
	let position = end;
	let valueEnd = end;
	while (position - end <= 4096) {
		const blanks = position;
		while (position < text.length && /\s/.test(text[position]!) && !LINE_BREAK.test(text[position]!)) position++;
		if (position >= text.length || LINE_BREAK.test(text[position]!) || position === blanks || text[position] === '#') return valueEnd;
		while (position < text.length && !/\s/.test(text[position]!) && position - end <= 4096) position++;
		valueEnd = position;
	}
	return valueEnd;
}

/** A name in code, maybe dotted: what a call or a subscript starts with. */
const CODE_NAME = /[A-Za-z_$][\w$]{0,80}(?:\.[A-Za-z_$][\w$]{0,80}){0,8}/y;
/** One argument of a call or a subscript: a string literal (its text captured), a name (a keyword argument too), a number. */
const CODE_ARGUMENT = /\s{0,200}(?:"([^"\n\\]{0,100})"|'([^'\n\\]{0,100})'|[A-Za-z_$][\w$.]{0,80}(?:[ \t]*=[ \t]*(?:"([^"\n\\]{0,100})"|'([^'\n\\]{0,100})'|[\w$.]{1,80}))?|\d{1,20})\s{0,200}/y;
/**
 * What may follow a value computed in code: the end of the line or the text, a comma or semicolon
 * not before a literal (`password = f(), 'hunter2'` is a tuple holding one), a closing bracket, a comment,
 * or a fallback the environment-read step has redacted already (`|| "[REDACTED…]"`, Ruby's `{ "[REDACTED…]" }`).
 */
const CODE_VALUE_END = /[ \t]{0,200}(?:$|\r?\n|,(?=[ \t\r\n]|$)(?![ \t]*["'`])|;(?=[ \t\r\n]|$)(?![ \t]*["'`])|[)}\]]|(?<=[ \t])(?:#|\/\/)|(?:\|\||\?\?|\bor\b|\?:|\{(?:[ \t]{0,200}\|\w{0,40}\|)?)\s{0,200}(["'`])\[REDACTED[^"'`\n]{0,80}\1)/y;
/** An operator giving a fallback, before a literal: `||`, `??`, `or`, `?:`. */
const FALLBACK_OPERATOR = /[ \t]{0,200}(?:\|\||\?\?|\bor\b|\?:)\s{0,200}(?=["'`])/y;
/**
 * A read of a member of a settings or environment object (`process.env.DB_PASSWORD`,
 * `config.apiKey`, `settings.DB_PASSWORD`, `args.api_key`): no call, but computed all the same. Its
 * members are names without digits (`config.a8f5f167…`, `self.hunter2` may be a value); in YAML,
 * where nothing is code, only the environment's (ENV_MEMBER_READ).
 */
const MEMBER_READ = /^(?:process\.env|import\.meta\.env|os\.environ|config|conf|cfg|settings|args|argv|options|opts|env|secrets|credentials|creds|this|self|props|params|req|request|ctx|context)(?:\.[A-Za-z_$]+)+$/;
const ENV_MEMBER_READ = /^(?:process\.env|import\.meta\.env|os\.environ)(?:\.[A-Za-z_$]+)+$/;
/**
 * Calls that read or make a value rather than being given one, by their last name: getters, prompts,
 * environment, config and vault reads, generators (`secrets.token_hex(32)`). Not a transform
 * (`decrypt('…')`, `b64decode('…')`, `str('…')`), whose argument may be the secret itself.
 */
const READER = /^(?:get|read|load|fetch|lookup|input|prompt|ask|getpass|getenv|env|environ|vault|config|setting|credential|token_|urandom|randbytes|uuid|generate|random)/i;

/**
 * Where a value computed by a call or a subscript ends, or undefined when the value at `at` is not
 * one: `get_password()`, `getpass.getpass('Password: ')`, `request.form['password']`,
 * `vault.read("secret/app")`, `os.environ['GITHUB_TOKEN']`, `secrets.token_hex(32)`,
 * `hashlib.sha256(pw).hexdigest()`. It starts with a dotted name or a word starting lower-case
 * without digits; a reader call (READER) takes names, paths or prompts as literals, a call of a
 * dotted name variables (`decrypt('…')` may hold the secret), any other call nothing
 * (`summer(2024)`, `hunter(two)`); a subscript's keys are names; a member of a settings object is read
 * (MEMBER_READ). In a YAML line (`yaml`) only readers and the environment count: `trustno(one)`
 * there is a password. Whether the statement ends there is the caller's question (CODE_VALUE_END).
 * A password written with brackets (`P4ss(word)`, `Tr0ub4dor()`, `sk_k9()`) is no call.
 */
function expressionEnd(text: string, at: number, yaml: boolean): number | undefined {
	let position = at;
	for (let link = 0; link < 8; link++) {
		CODE_NAME.lastIndex = position;
		const name = CODE_NAME.exec(text)?.[0];
		if (!name || (link === 0 && !/\./.test(name) && !/^[a-z_$][A-Za-z_$]*$/.test(name))) return undefined;
		position += name.length;
		let groups = 0;
		for (; groups < 8 && (text[position] === '(' || text[position] === '['); groups++) {
			const call = text[position] === '(';
			const reader = groups === 0 && READER.test(name.replace(/^.*\./, ''));
			if (call && yaml && !reader) return undefined;
			const takes = !call ? 'keys' : reader ? 'reader' : /\./.test(name) || link > 0 ? 'variables' : 'none';
			const end = argumentsEnd(text, position + 1, call ? ')' : ']', takes);
			if (end === undefined) return undefined;
			position = end + 1;
		}
		if (groups === 0 && !(link === 0 && (yaml ? ENV_MEMBER_READ : MEMBER_READ).test(name))) return undefined;
		if (text[position] !== '.') break;
		position++;
	}
	return position;
}

/**
 * Where the arguments starting at `at` close (`close`'s index), or undefined when they may hold the
 * value: a `reader` call's literals are names, paths or prompts; a call of a dotted name takes
 * `variables` (no literal, not numbers alone), one of an undotted name `none` (`hunter(two)` may
 * be a password); a subscript's `keys` are names, variables and numbers.
 */
function argumentsEnd(text: string, at: number, close: string, takes: 'reader' | 'variables' | 'none' | 'keys'): number | undefined {
	let position = at;
	let named = false;
	for (let argument = 0; argument < 8; argument++) {
		while (position - at < 200 && /\s/.test(text[position] ?? '')) position++;
		if (text[position] === close && argument === 0) return position;
		if (takes === 'none') return undefined;
		CODE_ARGUMENT.lastIndex = position;
		const found = CODE_ARGUMENT.exec(text);
		if (!found) return undefined;
		const literal = found[1] ?? found[2] ?? found[3] ?? found[4];
		if (literal !== undefined && (takes === 'variables' || !(takes === 'keys' ? isKeyName(literal) : isNameOrPrompt(literal)))) return undefined;
		named ||= !/^\s*\d/.test(found[0]);
		position = CODE_ARGUMENT.lastIndex;
		// Numbers alone after a name that reads nothing (`abc.def(1)`) may be a password; `bcrypt.hash(pw, 10)` is code.
		if (text[position] === close) return takes === 'variables' && !named ? undefined : position;
		if (text[position] !== ',') return undefined;
		position++;
	}
	return undefined;
}

/** A literal that names a value rather than being it (`DB_PASSWORD`, `password`, `secret/app`, `database.password`, `Password: `), or one redacted already. */
function isNameOrPrompt(literal: string): boolean {
	return literal.startsWith('[REDACTED') || /^[A-Z_][A-Z0-9_]{0,80}$/.test(literal) || isSecretName(literal, true) || /[:?][ \t]*$/.test(literal) || /^[A-Za-z_][\w-]*(?:[./][A-Za-z_][\w-]*)+$/.test(literal);
}

/** A subscript's key that names a value: a name as a reader's argument would be, or a plain lower-case word (`config['db']`). */
function isKeyName(literal: string): boolean {
	return /^[a-z_]{1,40}$/.test(literal) || isNameOrPrompt(literal);
}

/**
 * The environment variable a name sets in code, or undefined: a subscript (`os.environ["FOO_KEY"]`,
 * `ENV['…']`), `process.env.FOO_KEY`, `import.meta.env.…` or PowerShell's `$env:FOO_KEY`; or a
 * script's `$variable = …`.
 */
function codeVariable(text: string, found: FoundName): string | undefined {
	// `$env:NAME`, and a `$variable = …` of PowerShell, PHP or Perl (`$credential = Get-Credential` calls
	// a cmdlet); `$NAME=value` unspaced, as a note may write it, stays a setting.
	if (found.subscript || /^env:$/i.test(text.slice(Math.max(0, found.index - 4), found.index)) || (!found.quoted && found.blanks > 0 && text[found.index - 1] === '$' && text[found.index - 2] !== '$')) return found.name;
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
	if (text[at] === '`') {
		// A template literal, over lines too: redacted whole, interpolations included.
		const length = text.slice(at + 1, at + 8193).indexOf('`');
		return length > 0 ? {name, span: {start: at + 1, end: at + 1 + length, literal: true, block: true}} : undefined;
	}
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
 * Python's `os.getenv`/`environ.get` (`default='…'` too), Ruby's `ENV.fetch` (with or without brackets), `getProperty` (not any
 * `get`: `config.get('credentials', 'aws_secret_access_key')` names an option, `labels.get('password',
 * 'Password')` a label). The first argument a quoted secret name, the second a quoted literal, maybe
 * on the next line.
 */
const SETTER_CALL = /\b(?:define|setenv|putenv|setdefault|store|SetEnvironmentVariable|setProperty|setItem|set|put|env|getenv|environ\.get|ENV\.(?:fetch|get)|getProperty|config)(?:[ \t]*\(|(?<=ENV\.fetch)[ \t]+)\s{0,200}(["'])([A-Za-z_][\w.:-]{0,80})\1[ \t]*,\s{0,200}(?:default[ \t]*=[ \t]*)?(?=["'])/gi;

/** Redacts the literal a setter call (SETTER_CALL) gives a secret name, whole (WordPress salts hold blanks). */
export function scrubSetterCalls(text: string): string {
	if (!text.includes('(') && !text.includes('ENV.fetch')) return text;
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
		// Ruby's block gives the fallback too: `ENV.fetch("X") { "…" }`, `{ |key| "…" }`.
		'\\s{0,200}(?:\\|\\||\\?\\?|\\bor\\b|\\?:|\\{(?:[ \\t]{0,200}\\|\\w{0,40}\\|)?)\\s{0,200}(?=["\'`])',
	'g',
);

/** Redacts the literal fallback (ENV_FALLBACK) of a read of a secret environment variable. */
export function scrubEnvFallbacks(text: string): string {
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

/** Secrets that may hold blanks: passwords and passphrases, and the words of a mnemonic or seed phrase. */
const MANY_WORDS = /pass|pwd|mnemonic|phrase|seed|psk/i;

/**
 * The part of a secret setting's value to redact, or undefined when it is no secret. Keys and
 * tokens hold no blanks (passwords and seed phrases may: MANY_WORDS): one followed by a comment, or that looks like a
 * credential, is redacted up to the blank; one followed by more words is prose ("Token: the unit
 * a model reads"). Placeholders are no secret, nor a number under a token name (a count).
 */
function secretPart(text: string, name: string, span: ValueSpan): ValueSpan | undefined {
	let value = text.slice(span.start, span.end);
	if (/\s/.test(value) && !MANY_WORDS.test(name) && !span.block && !span.literal) {
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
export function looksLikeCredential(value: string): boolean {
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
