/**
 * Real-world shapes of credentials as operators paste them into commands, configs, URLs and notes.
 * Each form has the text as it would be written (`text`), the same thing as an argv array (`args`,
 * how an MCP server or a cron job would list it), and the part that must never reach a backup
 * (`secrets`, each unique to its form so a leak names the form).
 */
export type SecretForm = {name: string; text: string; args?: string[]; secrets: string[]};

const pem = (label: string, tag: string) =>
	`-----BEGIN ${label}-----\n` +
	`${tag}b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n` +
	`QyNTUxOQAAACBeZXhhbXBsZS1rZXktbWF0ZXJpYWwtbm90LXJlYWwtYXQtYWxsAAAAkL${tag}x\n` +
	`-----END ${label}-----`;

export const SECRET_FORMS: readonly SecretForm[] = [
	{name: 'url password with @', text: 'git clone https://deploy:Pw@LEAKurlat01@git.example/repo.git', args: ['clone', 'https://deploy:Pw@LEAKurlat01@git.example/repo.git'], secrets: ['LEAKurlat01']},
	{name: 'url password with @ and query', text: 'https://svc:a@b@LEAKurlat02@api.example:8443/v1?x=1', secrets: ['LEAKurlat02']},
	{name: 'Azure storage connection string', text: 'DefaultEndpointsProtocol=https;AccountName=acme;AccountKey=LEAKazure03Zm9vYmFyYmF6+/q0==;EndpointSuffix=core.windows.net', secrets: ['LEAKazure03Zm9vYmFyYmF6+/q0==']},
	{name: 'Service Bus connection string', text: 'Endpoint=sb://acme.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=LEAKsbus04qrstUVWX+yz=', secrets: ['LEAKsbus04qrstUVWX+yz=']},
	{name: 'Redis StackExchange string', text: 'cache.example:6380,password=LEAKredis05,ssl=True,abortConnect=False', secrets: ['LEAKredis05']},
	{name: 'Kafka JAAS config', text: 'org.apache.kafka.common.security.plain.PlainLoginModule required username="svc" password="LEAKjaas06";', secrets: ['LEAKjaas06']},
	{name: '--api-key VALUE', text: 'npx -y @acme/mcp --api-key LEAKcli07 --verbose', args: ['-y', '@acme/mcp', '--api-key', 'LEAKcli07', '--verbose'], secrets: ['LEAKcli07']},
	{name: '--api-key=VALUE', text: 'acme-sync --api-key=LEAKcli08 --dry-run', args: ['--api-key=LEAKcli08', '--dry-run'], secrets: ['LEAKcli08']},
	{name: '--password=VALUE', text: 'pg_dump --password=LEAKcli09 shop', args: ['--password=LEAKcli09', 'shop'], secrets: ['LEAKcli09']},
	{name: '--token VALUE', text: 'gh-mirror --token LEAKcli10 acme/repo', args: ['--token', 'LEAKcli10', 'acme/repo'], secrets: ['LEAKcli10']},
	{name: '--client-secret VALUE', text: 'oauth-cli login --client-secret LEAKcli11', args: ['login', '--client-secret', 'LEAKcli11'], secrets: ['LEAKcli11']},
	{name: 'curl -u user:pass', text: 'curl -u admin:LEAKcurl12 https://api.example/export', args: ['-u', 'admin:LEAKcurl12', 'https://api.example/export'], secrets: ['LEAKcurl12']},
	{name: 'Authorization: Bearer header', text: 'curl -H "Authorization: Bearer LEAKbearer13xyz" https://api.example/sync', args: ['-H', 'Authorization: Bearer LEAKbearer13xyz', 'https://api.example/sync'], secrets: ['LEAKbearer13xyz']},
	{name: 'Authorization: Basic header', text: "curl -H 'Authorization: Basic TEVBS2Jhc2ljMTQ6cGFzcw==' https://api.example", secrets: ['TEVBS2Jhc2ljMTQ6cGFzcw==']},
	{name: 'X-Api-Key header', text: 'curl -H "X-Api-Key: LEAKhdr15" https://api.example', args: ['--header', 'X-Api-Key: LEAKhdr15'], secrets: ['LEAKhdr15']},
	{name: 'env assignment before a command', text: 'OPENAI_API_KEY=LEAKenv16abcdefghijkl node sync.js', args: ['-e', 'OPENAI_API_KEY=LEAKenv16abcdefghijkl'], secrets: ['LEAKenv16abcdefghijkl']},
	{name: 'docker -e PASSWORD', text: 'docker run -e POSTGRES_PASSWORD=LEAKdocker17 postgres:16', args: ['run', '-e', 'POSTGRES_PASSWORD=LEAKdocker17', 'postgres:16'], secrets: ['LEAKdocker17']},
	{name: 'mysql -pSECRET', text: 'mysqldump -u root -pLEAKmysql18 shop > /srv/dump.sql', secrets: ['LEAKmysql18']},
	{name: 'sshpass -p', text: 'sshpass -p LEAKsshpass19 ssh ops@host uptime', args: ['sshpass', '-p', 'LEAKsshpass19', 'ssh', 'ops@host'], secrets: ['LEAKsshpass19']},
	{name: 'redis-cli -a', text: 'redis-cli -h cache -a LEAKrediscli20 ping', secrets: ['LEAKrediscli20']},
	{name: 'OpenSSH private key', text: pem('OPENSSH PRIVATE KEY', 'LEAKpem21'), secrets: ['LEAKpem21b3BlbnNzaC1rZXktdjEAAAAABG5vbmU', 'LEAKpem21x']},
	{name: 'RSA private key', text: pem('RSA PRIVATE KEY', 'LEAKpem22'), secrets: ['LEAKpem22b3BlbnNzaC1rZXktdjEAAAAABG5vbmU', 'LEAKpem22x']},
	{name: 'EC private key', text: pem('EC PRIVATE KEY', 'LEAKpem23'), secrets: ['LEAKpem23b3BlbnNzaC1rZXktdjEAAAAABG5vbmU', 'LEAKpem23x']},
	{name: 'encrypted private key', text: pem('ENCRYPTED PRIVATE KEY', 'LEAKpem24'), secrets: ['LEAKpem24b3BlbnNzaC1rZXktdjEAAAAABG5vbmU', 'LEAKpem24x']},
	{name: 'PKCS#8 private key', text: pem('PRIVATE KEY', 'LEAKpem25'), secrets: ['LEAKpem25b3BlbnNzaC1rZXktdjEAAAAABG5vbmU', 'LEAKpem25x']},
	{name: 'Slack webhook URL', text: 'https://hooks.slack.com/services/T0ACME26/B0ACME26/LEAKslack26abcdefXYZ', secrets: ['LEAKslack26abcdefXYZ']},
	{name: 'Slack app token', text: 'SLACK_APP=xapp-1-A0LEAK27-1234567890-abcdef0123456789abcdef', secrets: ['A0LEAK27-1234567890-abcdef0123456789abcdef']},
	{name: 'Slack bot token', text: 'bot xoxb-2LEAK28-1234567890123-AbCdEfGhIjKlMnOp', secrets: ['2LEAK28-1234567890123-AbCdEfGhIjKlMnOp']},
	{name: 'Slack user token', text: 'xoxp-3LEAK29-1234567890123-AbCdEfGhIjKlMnOp', secrets: ['3LEAK29-1234567890123-AbCdEfGhIjKlMnOp']},
	{name: 'Slack legacy tokens', text: 'xoxa-4LEAK30abcdefgh xoxs-5LEAK30abcdefgh xoxr-6LEAK30abcdefgh', secrets: ['4LEAK30abcdefgh', '5LEAK30abcdefgh', '6LEAK30abcdefgh']},
	{name: 'Discord webhook URL', text: 'https://discord.com/api/webhooks/123456789012345678/LEAKdiscord31_abcDEF-ghi', secrets: ['LEAKdiscord31_abcDEF-ghi']},
	{name: 'Telegram bot URL', text: 'https://api.telegram.org/bot123456789:AAHLEAKtelegram32abcdefghijklmnopq/sendMessage', secrets: ['AAHLEAKtelegram32abcdefghijklmnopq']},
	{name: 'AWS key pair', text: 'aws keys AKIALEAK33ABCDEFGHIJ wJalrXUtnFEMI/K7MDENG/bPxRfiLEAK33xAMPLE', secrets: ['AKIALEAK33ABCDEFGHIJ', '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']},
	{name: 'AWS credentials INI', text: '[default]\naws_access_key_id = ASIALEAK34ABCDEFGHIJ\naws_secret_access_key = LEAKaws34/K7MDENG/bPxRfiCYEXAMPLEKEYabcd\n', secrets: ['ASIALEAK34ABCDEFGHIJ', 'LEAKaws34/K7MDENG/bPxRfiCYEXAMPLEKEYabcd']},
	{name: 'Google API key', text: 'maps key AIzaSyLEAK35abcdefghijklmnopqrstuvwxy', secrets: ['AIzaSyLEAK35abcdefghijklmnopqrstuvwxy']},
	{name: 'Stripe secret key', text: 'stripe sk_live_LEAK36abcdefghijklmnopqrstuv', secrets: ['LEAK36abcdefghijklmnopqrstuv']},
	{name: 'Stripe restricted key', text: 'rk_live_LEAK37abcdefghijklmnopqrstuv', secrets: ['LEAK37abcdefghijklmnopqrstuv']},
	{name: 'Stripe webhook secret', text: 'signing whsec_LEAK38abcdefghijklmnopqrstuv', secrets: ['LEAK38abcdefghijklmnopqrstuv']},
	{name: 'GitLab token', text: "curl --header 'PRIVATE-TOKEN: glpat-LEAK39abcdefghijklmn' https://gitlab.example/api/v4/projects", secrets: ['LEAK39abcdefghijklmn']},
	{name: 'GitHub fine-grained token', text: 'github_pat_11LEAK40abcdefghijklm_nopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ012345', secrets: ['11LEAK40abcdefghijklm_nopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ012345']},
	{name: 'GitHub classic token', text: 'git push https://ghp_LEAK41abcdefghijklmnopqrstuvwxyz@github.com/acme/x', secrets: ['LEAK41abcdefghijklmnopqrstuvwxyz']},
	{name: 'npm token', text: '//registry.npmjs.org/:_authToken=npm_LEAK42abcdefghijklmnopqrstuvwxyz0123', secrets: ['LEAK42abcdefghijklmnopqrstuvwxyz0123']},
	{name: 'Anthropic key', text: 'sk-ant-api03-LEAK43abcdefghijklmnopqrstuvwxyz-AA', secrets: ['LEAK43abcdefghijklmnopqrstuvwxyz']},
	{name: 'OpenAI project key', text: 'sk-proj-LEAK44abcdefghijklmnopqrstuvwxyzT3BlbkFJ', secrets: ['LEAK44abcdefghijklmnopqrstuvwxyzT3BlbkFJ']},
	{name: 'Hugging Face token', text: 'HF hf_LEAK45abcdefghijklmnopqrstuvwxyzAB', secrets: ['LEAK45abcdefghijklmnopqrstuvwxyzAB']},
	{name: 'JWT', text: 'token eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJMRUFLNDYifQ.LEAK46signatureAbcdefgh', secrets: ['eyJzdWIiOiJMRUFLNDYifQ', 'LEAK46signatureAbcdefgh']},
	{name: 'basic auth in URL', text: 'https://admin:LEAK47@intranet.example/status', secrets: ['LEAK47']},
	{name: 'Azure SAS sig=', text: 'https://acme.blob.core.windows.net/c/b.bin?sv=2022-11-02&ss=b&srt=o&sp=r&se=2030-01-01&sig=LEAKsas48%2Babc%3D', secrets: ['LEAKsas48']},
	{name: 'token/key query parameters', text: 'https://in.example/hook?token=LEAKq49a&team=ops&key=LEAKq49b', secrets: ['LEAKq49a', 'LEAKq49b']},
	{name: 'database URLs', text: 'postgres://app:LEAKdb50a@db:5432/x mysql://root:LEAKdb50b@db/x mongodb+srv://u:LEAKdb50c@cluster0.example.net/ amqp://guest:LEAKdb50d@rabbit:5672/ redis://:LEAKdb50e@cache:6379/0', secrets: ['LEAKdb50a', 'LEAKdb50b', 'LEAKdb50c', 'LEAKdb50d', 'LEAKdb50e']},
	{name: '.env lines', text: 'FOO_SECRET=LEAKenv51a\nDB_PASSWORD="LEAKenv51b"\nexport GITHUB_TOKEN=LEAKenv51c\n', secrets: ['LEAKenv51a', 'LEAKenv51b', 'LEAKenv51c']},
	{name: 'YAML secrets', text: 'db:\n  user: app\n  password: LEAKyaml52a\n  client_secret: "LEAKyaml52b"\n', secrets: ['LEAKyaml52a', 'LEAKyaml52b']},
	{name: 'INI/TOML secrets', text: '[smtp]\npassword = correct horse LEAKini53a\napi_key = "LEAKini53b"\ntoken = LEAKini53c ; rotated monthly\nsecret: LEAKini53d # from the vault\n', secrets: ['LEAKini53a', 'LEAKini53b', 'LEAKini53c', 'LEAKini53d']},
	{name: 'JSON inside text', text: 'config: {"endpoint": "https://x.example", "password": "LEAKjson54", "apiKey": "LEAKjson54b"}', secrets: ['LEAKjson54', 'LEAKjson54b']},
	{name: 'SQL Server connection string', text: 'Server=tcp:db.example,1433;Database=shop;User Id=sa;Password=LEAKmssql55;Encrypt=True', secrets: ['LEAKmssql55']},
	{name: 'Google OAuth token', text: 'ya29.a0LEAK56abcdefghijklmnopqrstuvwxyz', secrets: ['a0LEAK56abcdefghijklmnopqrstuvwxyz']},
	{name: 'SendGrid key', text: 'SG.LEAK57abcdefghijklmnop.qrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456', secrets: ['LEAK57abcdefghijklmnop', 'qrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456']},
	{name: 'Service Bus SAS signature', text: 'SharedAccessSignature sr=https%3A%2F%2Facme.servicebus.windows.net&sig=LEAKsas58xyz&se=1700000000&skn=RootManage', secrets: ['LEAKsas58xyz']},
	{name: 'Groq key', text: 'GROQ key gsk_LEAK60aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789abcdefghij', secrets: ['LEAK60aBcDeFgHiJkLmNoPqRsTuVwXyZ']},
	{name: 'Google OAuth client secret', text: 'client secret GOCSPX-LEAK61aBcDeFgHi_JkLmNoPqRsTu', secrets: ['LEAK61aBcDeFgHi_JkLmNoPqRsTu']},
	{name: 'Perplexity key', text: 'pplx-LEAK62aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789abcdefghij', secrets: ['LEAK62aBcDeFgHiJkLmNoPqRsTuVwXyZ']},
	{name: 'Replicate token', text: 'REPLICATE r8_LEAK63aBcDeFgHiJkLmNoPqRsTuVwXyZ01234', secrets: ['LEAK63aBcDeFgHiJkLmNoPqRsTuVwXyZ01234']},
	{name: 'Tavily key', text: 'search with tvly-dev-LEAK64aBcDeFgHiJkLmNoPqRsTuVwXyZ', secrets: ['LEAK64aBcDeFgHiJkLmNoPqRsTuVwXyZ']},
	{name: 'NVIDIA key', text: 'nvapi-LEAK65aBcDeFgHiJkLmNoPqRsTuVwXyZ_0123456789-abcdefghijklmnopqrstuv', secrets: ['LEAK65aBcDeFgHiJkLmNoPqRsTuVwXyZ']},
	{name: 'xAI key', text: 'grok xai-LEAK66aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOP', secrets: ['LEAK66aBcDeFgHiJkLmNoPqRsTuVwXyZ']},
	{name: 'Docker Hub token', text: 'docker login -u ops --password-stdin <<< dckr_pat_LEAK67aBcDeFgHiJkLmNoPqRsTu', secrets: ['LEAK67aBcDeFgHiJkLmNoPqRsTu']},
	{name: 'Vault token', text: 'vault hvs.LEAK68aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789', secrets: ['LEAK68aBcDeFgHiJkLmNoPqRsTuVwXyZ']},
	{name: 'Databricks token', text: 'databricks dapi0123456789abcdef0123456789abcdef', secrets: ['0123456789abcdef0123456789abcdef']},
	{name: 'url password with / and #', text: 'postgres://app:LEAK/url#69?x@db.example:5432/shop', args: ['--db', 'postgres://app:LEAK/url#69?x@db.example:5432/shop'], secrets: ['LEAK/url#69?x', 'url#69']},
];

/** Every secret of the corpus. */
export const CORPUS_SECRETS: readonly string[] = SECRET_FORMS.flatMap(form => form.secrets);

/** Text that looks technical but holds no secret: must come through a scrub unchanged. */
export const HARMLESS_TEXTS: readonly string[] = [
	'# Ledger\n\nI keep the books. Every token of context counts, so I summarize long threads before I answer.\n',
	'Rotate the key every quarter; the password policy lives in the wiki (ask ops, never paste it here).',
	'Token budget: 4096 per reply. Secret sauce: patience.',
	'Run `npm test` then `git push origin main`; see https://example.com/docs?page=2&sort=asc#install.',
	'```ts\nconst max_tokens = 4096;\nconst primary_key = "id";\nfunction login(user: string, password: string) { return check(user, password); }\n```\n',
	'request id 3f2b8c1e-9a4d-4c6b-8f0e-1d2c3b4a5e6f, object 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
	'commit 4b825dc642cb6eb9a060e54bf8d69288fbd4904b by Ada <ada@example.com>',
	'cron: 0 3 * * * /usr/local/bin/digest --since=yesterday --format=json --max-items=50',
	'Connect with ssh ops@bastion.example -p 2222 and docker run -p 8080:80 nginx.',
	'Server=tcp:db.example,1433;Database=shop;Integrated Security=true;Encrypt=True',
	'password_hash: argon2id, token_count: 1200, auth: oauth2, key: value',
	'- [x] Reviewed the API key rotation runbook\n- [ ] Update the Slack channel topic',
	'mailto:ops@example.com and https://user@example.com/profile and git@github.com:acme/repo.git',
	'-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEexample\n-----END PUBLIC KEY-----',
	'-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUexample\n-----END CERTIFICATE-----',
	'## Glossary\n\nToken: the smallest unit of text a model reads.\nSecret: none, everything here is public.\nAuthorization: required for admin endpoints.\n',
	'Send the header `Authorization: Bearer <token>` and set `api_key: ${API_KEY}` in the config; TOKEN=$GITHUB_TOKEN works too.',
];
