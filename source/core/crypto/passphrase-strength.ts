/**
 * A simple, documented estimate of how guessable a new backup passphrase is (readme:
 * "Passphrase strength"). It looks only at length, the kinds of characters and how many different
 * characters there are; it is a guard against "abc" and "aaaaaaaaaaaa", not a cracking model.
 * The console and the CLI use the same rule: weak ones need an explicit yes (a warning when the
 * passphrase comes from a file or the environment).
 *
 * - weak: fewer than 12 characters, or fewer than 5 different characters, or under 16
 *   characters of a single kind;
 * - strong: 20 characters or more, or 14 or more mixing at least 3 kinds;
 * - fair: anything else.
 *
 * Kinds: lower-case letters, upper-case letters, digits, everything else (spaces, symbols,
 * letters without case). Characters are counted as code points.
 */
export type StrengthLevel = 'weak' | 'fair' | 'strong';

export type PassphraseStrength = {
	level: StrengthLevel;
	/** Characters (code points). */
	length: number;
	/** Kinds of characters used (1–4; 0 when empty). */
	kinds: number;
	/** Why it is weak, as a short phrase ("only 3 characters"); undefined unless weak. */
	reason?: string;
};

export const MIN_LENGTH = 12;
const MIN_DISTINCT = 5;
const SINGLE_KIND_MIN_LENGTH = 16;
const STRONG_LENGTH = 20;
const STRONG_MIXED_LENGTH = 14;

function kindOf(char: string): number {
	if (/\p{Ll}/u.test(char)) return 0;
	if (/\p{Lu}/u.test(char)) return 1;
	if (/\p{Nd}/u.test(char)) return 2;
	return 3;
}

export function passphraseStrength(passphrase: string): PassphraseStrength {
	const chars = [...passphrase];
	const length = chars.length;
	const distinct = new Set(chars).size;
	const kinds = new Set(chars.map(kindOf)).size;
	let reason: string | undefined;
	if (length < MIN_LENGTH) reason = `only ${length} character${length === 1 ? '' : 's'}; use ${MIN_LENGTH} or more`;
	else if (distinct < MIN_DISTINCT) reason = `only ${distinct} different character${distinct === 1 ? '' : 's'}`;
	else if (kinds === 1 && length < SINGLE_KIND_MIN_LENGTH) reason = `one kind of character; mix in capitals, digits or symbols, or use ${SINGLE_KIND_MIN_LENGTH}+ characters`;
	if (reason) return {level: 'weak', length, kinds, reason};
	const strong = length >= STRONG_LENGTH || (length >= STRONG_MIXED_LENGTH && kinds >= 3);
	return {level: strong ? 'strong' : 'fair', length, kinds};
}

/** "weak (only 3 characters; use 12 or more)", "fair", "strong": for a prompt or a hint line. */
export function describeStrength(strength: PassphraseStrength): string {
	return strength.reason ? `${strength.level} (${strength.reason})` : strength.level;
}
