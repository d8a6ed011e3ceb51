/**
 * Failure reports to a schedule's webhook: one JSON POST with a timeout. https anywhere; plain
 * http only to a loopback address (127.0.0.0/8, ::1, localhost), where nothing crosses a network
 * unencrypted. A URL with a user name or password is refused (the schedules file holds no
 * secret); a token in the path or query, as chat webhooks use, is kept and never printed.
 */
import http from 'node:http';
import https from 'node:https';
import {LifeboatError} from '../errors.js';

export const WEBHOOK_TIMEOUT_MS = 10_000;

function isLoopback(hostname: string): boolean {
	const host = hostname.replace(/^\[|\]$/g, '');
	return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

/** Checks a webhook URL at add time; returns it canonical. */
export function checkWebhookUrl(text: string): string {
	let url: URL;
	try {
		url = new URL(text);
	} catch {
		// Not quoted: a chat webhook's text carries its token (hooks.slack.com/services/… without https://).
		throw new LifeboatError('usage', '--webhook is not a URL (give it as https://host/path)');
	}
	if (url.username || url.password) throw new LifeboatError('usage', '--webhook must not carry a user name or password (the schedules file holds no secret)');
	if (url.protocol === 'http:' && !isLoopback(url.hostname)) throw new LifeboatError('usage', `--webhook http:// is allowed only to a loopback address (127.0.0.1, ::1, localhost): use https:// for ${url.hostname}`);
	if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new LifeboatError('usage', `--webhook must be an https:// URL (got ${url.protocol})`);
	return url.href;
}

/** Whether `schedule add` would take this webhook (its text is never quoted: it may hold a token). */
export function isWebhookUrl(text: string): boolean {
	try {
		checkWebhookUrl(text);
		return true;
	} catch {
		return false;
	}
}

/** The URL without path or query (which may hold a token), for lists and messages. */
export function webhookLabel(text: string): string {
	try {
		const url = new URL(text);
		return `${url.origin}/…`;
	} catch {
		return '(invalid URL)';
	}
}

/**
 * POSTs `body` as JSON; resolves when a 2xx answer came, rejects with one line otherwise (a URL
 * that is not a webhook's too: a rejection, never a throw, and never quoting the URL).
 */
export async function postJson(target: string, body: unknown, timeoutMs = WEBHOOK_TIMEOUT_MS): Promise<void> {
	if (!isWebhookUrl(target)) throw new Error(`${webhookLabel(target)} is not a webhook URL (https://, or http:// to a loopback address)`);
	const url = new URL(target);
	const payload = Buffer.from(JSON.stringify(body));
	const transport = url.protocol === 'https:' ? https : http;
	let deadline: NodeJS.Timeout | undefined;
	return new Promise<void>((resolve, reject) => {
		const late = () => new Error(`${webhookLabel(target)} did not answer within ${Math.round(timeoutMs / 1000)} s`);
		const request = transport.request(url, {method: 'POST', headers: {'content-type': 'application/json', 'content-length': payload.length, 'user-agent': 'lifeboat-schedule'}, timeout: timeoutMs}, response => {
			response.resume();
			response.on('end', () => {
				const status = response.statusCode ?? 0;
				if (status >= 200 && status < 300) resolve();
				else reject(new Error(`${webhookLabel(target)} answered HTTP ${status}`));
			});
			response.on('error', reject);
		});
		// `timeout` is the socket's idle time; a server that answers a byte at a time meets this one.
		deadline = setTimeout(() => {
			reject(late());
			request.destroy();
		}, timeoutMs);
		request.on('timeout', () => request.destroy(late()));
		request.on('error', error => reject(new Error(`${webhookLabel(target)}: ${error.message}`)));
		request.end(payload);
	}).finally(() => clearTimeout(deadline));
}
