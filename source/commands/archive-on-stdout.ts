/**
 * Whether stdout carries the archive itself (`--out -`): then a reader that closes it early got an
 * incomplete backup, which must never look like success (see cli.tsx). Its own module, so the CLI
 * entry reads it without loading what commands need (the gateway store, destinations).
 */
let archiveOnStdout = false;

export function setArchiveOnStdout(value: boolean): void {
	archiveOnStdout = value;
}

export function isArchiveOnStdout(): boolean {
	return archiveOnStdout;
}
