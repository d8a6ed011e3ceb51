/**
 * What `schedule install` prints: a systemd user unit or a crontab line that runs
 * `lifeboat schedule daemon` with this node binary and this Lifeboat build (absolute paths), and
 * the environment it needs. Only settings are written, never a secret: credentials and the
 * backup passphrase go in an EnvironmentFile the operator writes (chmod 600).
 */
import path from 'node:path';
import {configDir} from '../core/destinations/named-destinations.js';
import {CLI_PATH, stopGraceMs} from './schedule-runner.js';

/** Settings (never secrets) the daemon's backups read from the environment, copied when set. */
const SETTINGS = ['LIFEBOAT_S3_ENDPOINT', 'LIFEBOAT_AZURE_ENDPOINT', 'LIFEBOAT_SSH_KEY', 'AWS_PROFILE', 'AWS_REGION', 'AWS_CONFIG_FILE', 'AWS_SHARED_CREDENTIALS_FILE', 'AWS_ENDPOINT_URL', 'AWS_ENDPOINT_URL_S3', 'LIFEBOAT_BUSY_TIMEOUT_MS', 'LIFEBOAT_SCHEDULE_STOP_GRACE'];

function environment(env: NodeJS.ProcessEnv): Array<[string, string]> {
	const pairs: Array<[string, string]> = [['LIFEBOAT_CONFIG_DIR', configDir(env)]];
	for (const key of SETTINGS) if (env[key]) pairs.push([key, env[key]!]);
	return pairs;
}

/** systemd quoting: one "…" word, backslash and quote escaped, % doubled (specifier). */
function unitWord(text: string): string {
	return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/%/g, '%%')}"`;
}

/** POSIX shell quoting, with cron's % escaped (cron turns a bare % into a newline). */
function shellWord(text: string): string {
	const quoted = /^[A-Za-z0-9_@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
	return quoted.replace(/%/g, '\\%');
}

function systemdUnit(env: NodeJS.ProcessEnv): string {
	const config = configDir(env);
	const lines = [
		'# Lifeboat schedule daemon: save as ~/.config/systemd/user/lifeboat-schedule.service, then',
		'#   systemctl --user daemon-reload && systemctl --user enable --now lifeboat-schedule',
		'#   loginctl enable-linger "$USER"   # keep it running when you are logged out',
		'# Logs (one JSON line per run): journalctl --user -u lifeboat-schedule',
		'[Unit]',
		'Description=Lifeboat backup schedules',
		'Wants=network-online.target',
		'After=network-online.target',
		'',
		'[Service]',
		'Type=simple',
		`ExecStart=${unitWord(process.execPath)} ${unitWord(CLI_PATH)} schedule daemon`,
		'ExecReload=/bin/kill -HUP $MAINPID',
		...environment(env).map(([key, value]) => `Environment=${unitWord(`${key}=${value}`)}`),
		'# Secrets (LIFEBOAT_BACKUP_PASSPHRASE for encrypted schedules without --passphrase-file,',
		'# cloud credentials) go in a file only you can read (chmod 600), never in this unit:',
		`# EnvironmentFile=${path.join(config, 'daemon.env')}`,
		'UMask=0077',
		'NoNewPrivileges=true',
		'Restart=on-failure',
		'RestartSec=30',
		'# SIGTERM to the daemon only: it stops the running backup itself (one signal, so the backup',
		`# cleans up) and kills it after ${stopGraceMs(env) / 1000} s (LIFEBOAT_SCHEDULE_STOP_GRACE, set before install).`,
		'KillMode=mixed',
		`TimeoutStopSec=${Math.max(120, Math.ceil(stopGraceMs(env) / 1000) + 60)}`,
		'',
		'[Install]',
		'WantedBy=default.target',
		'',
	];
	return lines.join('\n');
}

function crontabLine(env: NodeJS.ProcessEnv): string {
	const log = path.join(configDir(env), 'schedule-daemon.log');
	const assignments = environment(env).map(([key, value]) => `${key}=${shellWord(value)}`);
	const command = `${assignments.join(' ')} ${shellWord(process.execPath)} ${shellWord(CLI_PATH)} schedule daemon >>${shellWord(log)} 2>&1`;
	return [
		'# Lifeboat schedule daemon, started at boot (add with: crontab -e). The daemon itself reads',
		'# each schedule\'s cron expression; start it now too (nohup the same command &).',
		'# Secrets (LIFEBOAT_BACKUP_PASSPHRASE, cloud credentials) never go in the crontab: use',
		'# --passphrase-file in the schedule, and credential files.',
		`@reboot ${command}`,
		'',
	].join('\n');
}

export function installText(kind: 'systemd' | 'cron', env: NodeJS.ProcessEnv): string {
	return kind === 'systemd' ? systemdUnit(env) : crontabLine(env);
}
