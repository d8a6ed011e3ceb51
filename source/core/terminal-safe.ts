/**
 * Text from an archive or a gateway (names, ids, paths) made safe to print on a terminal: every
 * control character (C0, DEL, C1: ESC and CSI start the sequences that recolour, move, clear or
 * retitle a terminal), format character (bidi overrides that reorder what follows) and line or
 * paragraph separator is shown as `\u{..}` instead of being sent raw. Idempotent on text it made.
 */
const UNSAFE = /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/gu;

export function terminalSafe(text: string): string {
	return text.replace(UNSAFE, char => `\\u{${char.codePointAt(0)!.toString(16).toUpperCase()}}`);
}

/**
 * JSON text with the characters JSON leaves raw but a terminal obeys (DEL, C1 controls, bidi and
 * other format characters, line separators) written as \u escapes: the same JSON value.
 */
export function terminalSafeJson(value: unknown, indent?: number): string {
	return JSON.stringify(value, null, indent).replace(/[\u007F-\u009F\p{Cf}\p{Zl}\p{Zp}]/gu, char => char.split('').map(unit => `\\u${unit.charCodeAt(0).toString(16).padStart(4, '0')}`).join(''));
}
