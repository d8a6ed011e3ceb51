/**
 * What happens to each file of an agent's folder in a backup. Agent folders hold the markdown
 * persona files and a JSON config, but operators drop other things there too (.env files, keys).
 * Only prose and data formats we can reason about travel: JSON is redacted like gateway config,
 * anything else is left out with a warning, since it may hold credentials we cannot see.
 *
 * Backup and restore both use this, so restore compares a live file the same way it was backed up.
 */
export type AgentFilePolicy = 'copy' | 'redact-json' | 'skip';

export function agentFilePolicy(relativePath: string): AgentFilePolicy {
	const segments = relativePath.split('/');
	// A dotfile, or any file inside a dot-folder (`.ssh/notes.txt`, `.git/…`): left out. Restore
	// applies the same rule, so such a file in an older backup is reported and not restored.
	if (segments.some(segment => segment.startsWith('.'))) return 'skip';
	const name = segments.at(-1) ?? '';
	const lower = name.toLowerCase();
	if (lower.endsWith('.md') || lower.endsWith('.txt')) return 'copy';
	if (lower.endsWith('.json')) return 'redact-json';
	return 'skip';
}
