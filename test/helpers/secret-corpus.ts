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
	{name: 'escaped JSON in text', text: 'SOUL: {\\"name\\":\\"acme\\",\\"apiKey\\":\\"LEAKesc70+/ab=\\"}', secrets: ['LEAKesc70']},
	{name: 'percent-encoded access_token', text: 'https://login.example/authorize?next=%2Fcb%3Faccess_token%3DLEAKpct71%26state%3Dx', secrets: ['LEAKpct71']},
	{name: 'auth/ticket/session query parameters', text: 'https://app.example/x?auth=LEAKqp72a&ticket=LEAKqp72b&sessionid=LEAKqp72c&session_id=LEAKqp72d', secrets: ['LEAKqp72a', 'LEAKqp72b', 'LEAKqp72c', 'LEAKqp72d']},
	{name: 'Cookie and Set-Cookie headers', text: 'curl -H "Cookie: session=LEAKck73a; theme=dark" https://x\nSet-Cookie: sid=LEAKck73b; Path=/; HttpOnly', secrets: ['LEAKck73a', 'LEAKck73b']},
	{name: 'secret name with a space', text: 'API key: LEAKsp74aB3cD4eF (rotate monthly)', secrets: ['LEAKsp74aB3cD4eF']},
	{name: 'markdown table row', text: '\n| WEATHER_API_KEY | LEAKtab75 |\n', secrets: ['LEAKtab75']},
	{name: 'YAML block scalar', text: '\npassword: |\n  LEAKblk76a\n  LEAKblk76b\nuser: bob\n', secrets: ['LEAKblk76a', 'LEAKblk76b']},
	{name: 'XML config attributes', text: '<add key="ApiKey" value="LEAKxml77a"/> <entry key="password">LEAKxml77b</entry> <client_secret>LEAKxml77c</client_secret>', secrets: ['LEAKxml77a', 'LEAKxml77b', 'LEAKxml77c']},
	{name: 'url password with @ and /', text: 'git clone https://deploy:p@LEAKurl78/w0rd78@git.example/repo.git', secrets: ['LEAKurl78', 'w0rd78']},
	{name: 'url percent-encoded inside another', text: 'https://app.example/login?next=postgres%3A%2F%2Fapp%3ALEAKenc79%40db.example%2Fshop&x=1', secrets: ['LEAKenc79']},
	{name: 'markdown table without outer pipes', text: '\nName | Value\n--- | ---\nPassword | LEAKtab80\nHost | db\n', secrets: ['LEAKtab80']},
	{name: 'environment subscripts in code', text: 'os.environ["X_API_KEY"] = "LEAKsub81a"\nENV[\'SECRET_KEY\'] = \'LEAKsub81b\'\n$_ENV["DB_PASSWORD"]="LEAKsub81c";', secrets: ['LEAKsub81a', 'LEAKsub81b', 'LEAKsub81c']},
	{name: 'PHP array with secret keys', text: "return [\n    'password' => 'LEAKphp82a',\n    \"api_key\" => \"LEAKphp82b\",\n];", secrets: ['LEAKphp82a', 'LEAKphp82b']},
	{name: 'wp-config define', text: "define('DB_PASSWORD', 'LEAKwp83a');\ndefine( \"AUTH_KEY\" , \"LEAKwp83b x!y|z\" );", secrets: ['LEAKwp83a', 'LEAKwp83b', 'x!y|z']},
	{name: 'docker login -p', text: 'docker login -u ci -p LEAKdock84 registry.example', args: ['docker', 'login', '-u', 'ci', '-p', 'LEAKdock84', 'registry.example'], secrets: ['LEAKdock84']},
	{name: 'quoted inline passwords', text: "sshpass -p'LEAKq85a LEAKq85d' ssh ops@host\nmysql -uroot -p\"LEAKq85b LEAKq85e\" shop\ncurl -u 'ops:LEAKq85c LEAKq85f' https://x.example", secrets: ['LEAKq85a', 'LEAKq85b', 'LEAKq85c', 'LEAKq85d', 'LEAKq85e', 'LEAKq85f']},
	{name: '.netrc entries', text: 'machine api.example login bob password LEAKnetrc86a\nmachine git.example\n  login ci\n  password LEAKnetrc86b\n', secrets: ['LEAKnetrc86a', 'LEAKnetrc86b']},
	{name: 'Windows environment variables', text: 'setx OPENAI_API_KEY LEAKwin87a /M\r\nset "DB_PASSWORD=LEAKwin87b x"\r\n$env:GITHUB_TOKEN = "LEAKwin87c"\r\n', secrets: ['LEAKwin87a', 'LEAKwin87b', 'LEAKwin87c']},
	{name: 'commands continued over lines', text: 'docker login -u ci \\\n  -p LEAKcont88a registry.example\nmysqldump -u root \\\n  -pLEAKcont88b shop\nacme-sync --api-key \\\n  LEAKcont88c --dry-run\n', secrets: ['LEAKcont88a', 'LEAKcont88b', 'LEAKcont88c']},
	{name: 'Ruby symbols and literal fallbacks', text: "{:password => 'LEAKrb89a'}\n'password' => env('DB_PASSWORD', 'LEAKrb89b'),\nSECRET_KEY = os.environ.get('SECRET_KEY', 'LEAKrb89c')\nENV.fetch(\"API_TOKEN\", \"LEAKrb89d\")\n", secrets: ['LEAKrb89a', 'LEAKrb89b', 'LEAKrb89c', 'LEAKrb89d']},
	{name: 'other spellings of a variable set', text: "DEFINE('DB_PASSWORD', 'LEAKsp90a');\n${env:OPENAI_API_KEY} = 'LEAKsp90b'\nSet-Item Env:\\GITHUB_TOKEN LEAKsp90c\nsetx /M API_KEY LEAKsp90d\nos.environ[ 'SECRET_KEY' ] = 'LEAKsp90e'\nos.putenv('DB_PASSWORD', 'LEAKsp90f')\n", secrets: ['LEAKsp90a', 'LEAKsp90b', 'LEAKsp90c', 'LEAKsp90d', 'LEAKsp90e', 'LEAKsp90f']},
	{name: 'curl -uuser:pass attached', text: 'curl -sS -uadmin:LEAKcurl91 https://api.example/export', args: ['curl', '-uadmin:LEAKcurl91', 'https://api.example/export'], secrets: ['LEAKcurl91']},
	{name: 'Rails secret_key_base and peppers', text: 'SECRET_KEY_BASE=LEAKrails92a0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\nproduction:\n  secret_key_base: LEAKrails92b\nPASSWORD_PEPPER=LEAKrails92c\nPEPPER=LEAKrails92d\n', secrets: ['LEAKrails92a', 'LEAKrails92b', 'LEAKrails92c', 'LEAKrails92d']},
	{name: 'keytool -storepass and -keypass', text: 'keytool -genkeypair -alias gw -keystore gw.jks -storepass LEAKjks93a -keypass LEAKjks93b -dname CN=gw', args: ['-genkeypair', '-keystore', 'gw.jks', '-storepass', 'LEAKjks93a', '-keypass', 'LEAKjks93b'], secrets: ['LEAKjks93a', 'LEAKjks93b']},
	{name: 'seeds and mnemonics', text: 'TOTP_SEED=LEAKseed94a\nWALLET_MNEMONIC="LEAKseed94b LEAKseed94e able"\nseed_phrase: LEAKseed94c LEAKseed94f absorb\nprivkey=LEAKseed94d\n', secrets: ['LEAKseed94a', 'LEAKseed94b', 'LEAKseed94e', 'LEAKseed94c', 'LEAKseed94f', 'LEAKseed94d']},
	{name: "other tools' passwords", text: 'az login -u app -p LEAKtool95a\nzip -P LEAKtool95b out.zip f\nopenssl pkcs12 -export -passout pass:LEAKtool95c -out a.p12\nhtpasswd -b .htpasswd admin LEAKtool95d\naws configure set aws_secret_access_key LEAKtool95e\necho "LEAKtool95f" | docker login -u ci --password-stdin\nnet use Z: \\\\srv\\share /user:ops LEAKtool95g\n', secrets: ['LEAKtool95a', 'LEAKtool95b', 'LEAKtool95c', 'LEAKtool95d', 'LEAKtool95e', 'LEAKtool95f', 'LEAKtool95g']},
	{name: '.env values of many words, 2FA names', text: 'SEED_PHRASE=LEAKenv96a LEAKenv96b LEAKenv96c\nexport DB_PASSWORD=LEAKenv96d LEAKenv96e # ops\n2FA_SEED=LEAKenv96f\n2fa_secret: LEAKenv96g\n', secrets: ['LEAKenv96a', 'LEAKenv96b', 'LEAKenv96c', 'LEAKenv96d', 'LEAKenv96e', 'LEAKenv96f', 'LEAKenv96g']},
	{name: 'SecureString and chpasswd', text: '$pw = ConvertTo-SecureString "LEAKps97a" -AsPlainText -Force\n"LEAKps97b" | ConvertTo-SecureString -AsPlainText -Force\necho \'deploy:LEAKps97c\' | chpasswd\n', secrets: ['LEAKps97a', 'LEAKps97b', 'LEAKps97c']},
	{
		name: "admin tools' passwords",
		text: 'java -Djavax.net.ssl.keyStorePassword=LEAKadm98a -jar gw.jar\nldapsearch -x -D cn=admin,dc=example,dc=com -w LEAKadm98b -b dc=example,dc=com\nipmitool -I lanplus -H bmc -U admin -P LEAKadm98c power status\nnet user deploy LEAKadm98d /add\nopenssl passwd -6 LEAKadm98e\nmkpasswd -m sha-512 LEAKadm98f\nsnmpwalk -v3 -l authPriv -u ops -a SHA -A LEAKadm98g -x AES -X LEAKadm98h bmc\nncftpput -u ops -p LEAKadm98i ftp.example /in f\n',
		secrets: ['LEAKadm98a', 'LEAKadm98b', 'LEAKadm98c', 'LEAKadm98d', 'LEAKadm98e', 'LEAKadm98f', 'LEAKadm98g', 'LEAKadm98h', 'LEAKadm98i'],
	},
	{
		name: "network and sync tools' secrets",
		text: "nmcli dev wifi connect office password LEAKnet99a\nwpa_passphrase \"Office Net\" LEAKnet99b\nrclone config create nas sftp host nas.local user ops pass LEAKnet99c\nrclone obscure LEAKnet99d\necho LEAKnet99e | kinit ops@EXAMPLE.COM\necho -n 'LEAKnet99f' | cryptsetup luksOpen /dev/sdb1 vault -\nmvn deploy -Dgpg.passphrase=LEAKnet99g\n",
		secrets: ['LEAKnet99a', 'LEAKnet99b', 'LEAKnet99c', 'LEAKnet99d', 'LEAKnet99e', 'LEAKnet99f', 'LEAKnet99g'],
	},
	{
		name: 'password commands, expect scripts, SNMP communities and options passed on',
		text: 'restic -r /srv/repo backup --password-command "echo LEAKcmd100a" /etc\nexport BORG_PASSCOMMAND=\'printf %s LEAKcmd100b\'\nspawn ssh root@bmc\nexpect "Password:"\nsend "LEAKcmd100c\\r"\nexpect {\n  "*assword*" { send -- "LEAKcmd100d\\r"; exp_continue }\n}\nchild.expect(\'Enter passphrase\')\nchild.sendline(\'LEAKcmd100e\')\nsnmpwalk -v2c -c LEAKcmd100f 10.0.0.1\nmvn release:prepare -Darguments="-Dgpg.passphrase=LEAKcmd100g -DskipTests"\n',
		secrets: ['LEAKcmd100a', 'LEAKcmd100b', 'LEAKcmd100c', 'LEAKcmd100d', 'LEAKcmd100e', 'LEAKcmd100f', 'LEAKcmd100g'],
	},
	{
		name: 'monitoring checks, paused expect scripts, escaped password commands and a shell\'s -c command',
		text: 'define command {\n  command_name check_router\n  command_line $USER1$/check_snmp -H $HOSTADDRESS$ -C LEAKmon101a -o sysUpTime.0\n}\n/usr/lib/nagios/plugins/check_snmp -H sw1 -P 3 -U ops -A LEAKmon101b -X LEAKmon101c\nexpect "Password:"\nsleep 1\nsend -s "LEAKmon101d\\r"\nEnvironment="BORG_PASSCOMMAND=echo \\"LEAKmon101e\\""\nmvn sonar:sonar -Dsonar.login=LEAKmon101f\ndocker exec db sh -c "mysqldump -uroot --password=LEAKmon101g shop" > shop.sql\n',
		secrets: ['LEAKmon101a', 'LEAKmon101b', 'LEAKmon101c', 'LEAKmon101d', 'LEAKmon101e', 'LEAKmon101f', 'LEAKmon101g'],
	},
	{
		name: 'a private key cut before its END line (pasted in part), plain and JSON-escaped',
		text: 'Old key, pasted in part:\n-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,0F1E2D3C4B5A69788796A5B4C3D2E1F0\n\nMIIEowIBAAKCAQEAwLEAKcut102aAbCdEfGhIjKlMnOpQrStUvWxYz0123456789\nLEAKcut102b+/AbCdEfGhIjKlMnOpQrStUvWxYz01234567==\n\nThe rest was lost.\n{"k": "-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANLEAKcut102cAbCdEfGhIjKlMn\\nLEAKcut102dOpQrStUvWx"}\n',
		secrets: ['LEAKcut102a', 'LEAKcut102b', 'LEAKcut102c', 'LEAKcut102d'],
	},
	{
		name: 'a token as the URL user name (GitHub, Gitea, Azure DevOps), alone or with a dummy password',
		text: 'git clone https://b2c3d4e5f6a7LEAKtok103a9d0e1f2a3b4c5d6e7f8a9b445@github.com/acme/infra.git\ngit remote set-url origin https://a1b2c3d4LEAKtok103b0e1f2a3b4c5d6e7f8a334:x-oauth-basic@github.com/acme/x\nhttps://abcdefghijklmnLEAKtok103copqrstuvwxyz0123456789abcdef@dev.azure.com/acme/_git/repo\n',
		args: ['clone', 'https://b2c3d4e5f6a7LEAKtok103a9d0e1f2a3b4c5d6e7f8a9b445@github.com/acme/infra.git'],
		secrets: ['LEAKtok103a', 'LEAKtok103b', 'LEAKtok103c'],
	},
	{name: 'an address as the URL user name, with a password', text: 'SMTP_URL=smtp://ops@acme-corp.example:Pl4ntLEAKsmtp104@smtp.gmail.com:587\nnotify --smtp smtps://alerts@acme.example:LEAKsmtp104b@mail.example:465\n', args: ['--smtp', 'smtps://alerts@acme.example:LEAKsmtp104b@mail.example:465'], secrets: ['LEAKsmtp104', 'LEAKsmtp104b']},
	{
		name: 'Markdown labels in bold or italics',
		text: '## Grafana\n\n**Password:** LEAKmd105a\n**API key**: LEAKmd105b\n- __Token:__ LEAKmd105c\n*Grafana admin password:* LEAKmd105d\n',
		secrets: ['LEAKmd105a', 'LEAKmd105b', 'LEAKmd105c', 'LEAKmd105d'],
	},
	{
		name: 'more query parameters: Matomo, OpenWeather, a camera, nested form fields',
		text: 'curl "https://stats.example/index.php?module=API&token_auth=LEAKq106a&format=json"\nhttps://api.openweathermap.org/data/2.5/weather?q=Paris&appid=LEAKq106b\nhttp://cam.local/snap.jpg?user=admin&pw=LEAKq106c\ncurl -d "utf8=1&user[email]=a@b.example&user[password]=LEAKq106d" https://app.example/login\nhttps://app.example/hook?auth[apiKey]=LEAKq106e&auth[clientSecret]=LEAKq106f\n',
		secrets: ['LEAKq106a', 'LEAKq106b', 'LEAKq106c', 'LEAKq106d', 'LEAKq106e', 'LEAKq106f'],
	},
	{
		name: 'a private key cut short: a line ending in an ellipsis, on the BEGIN line, after blank lines',
		text: '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCLEAKcut107aBKcwggSjAgEAAoIBAQC7...\nKEY="-----BEGIN PRIVATE KEY----- MIIEvQIBADLEAKcut107bANBgkqhkiG9w0 MIIEvQIBADANBgkq"\n-----BEGIN EC PRIVATE KEY-----\n\n\nMHcCAQEEIBLEAKcut107cqhkiG9w0BAQEFAASCBKcwggSjAgEAAo (truncated)\n',
		secrets: ['LEAKcut107a', 'LEAKcut107b', 'LEAKcut107c'],
	},
	{
		name: 'webhook URLs whose path is the secret: Teams, Mattermost, Rocket.Chat, Zapier, IFTTT, PagerDuty',
		text: 'TEAMS=https://acme.webhook.office.com/webhookb2/1f0e2d3c-aaaa-bbbb-cccc-0123456789ab@9f8e7d6c-aaaa-bbbb-cccc-0123456789ab/IncomingWebhook/5d41402abc4bLEAKteams109a/0a1b2c3d-aaaa-bbbb-cccc-0123456789ab\n'
			+ 'mattermost: https://chat.acme.example/hooks/xq7LEAKmm109bk3h5d8w9e1r2t\n'
			+ 'https://rocket.acme.example/hooks/ZdB4THPwuwZXxqdFE/LEAKrc109cAbCdEfGhIjKlMnOpQrStUv\n'
			+ 'curl -X POST https://hooks.zapier.com/hooks/catch/1234567/LEAKzap109d/\n'
			+ 'https://maker.ifttt.com/trigger/door_open/with/key/LEAKifttt109eAbCd12\n'
			+ 'https://events.pagerduty.com/integration/LEAKpd109f0123456789abcdef0123/enqueue\n'
			+ 'https://maker.ifttt.com/trigger/door_open/json/with/key/LEAKifttt109g\nhttps://maker.ifttt.com/use/LEAKifttt109h\nhttps://events.eu.pagerduty.com/integration/LEAKpd109i0123456789abcdef/enqueue\n',
		args: ['--webhook', 'https://hooks.zapier.com/hooks/catch/1234567/LEAKzap109d/'],
		secrets: ['LEAKteams109a', 'LEAKmm109b', 'LEAKrc109c', 'LEAKzap109d', 'LEAKifttt109e', 'LEAKpd109f', 'LEAKifttt109g', 'LEAKifttt109h', 'LEAKpd109i'],
	},
	{
		name: 'a pre-shared key (Wi-Fi, VPN), also of several words',
		text: 'WIFI_PSK=LEAKpsk110aQ9x\nnetwork={\n  ssid="office"\n  psk="LEAKpsk110b7y"\n}\nnetwork={\n  psk="correct LEAKpsk110c battery"\n}\nwifi:\n  psk: my LEAKpsk110d home pass\n',
		secrets: ['LEAKpsk110a', 'LEAKpsk110b', 'LEAKpsk110c', 'LEAKpsk110d'],
	},
	{
		name: 'Oracle logins: sqlplus, Data Pump, rman, CONNECT, JDBC thin',
		text: 'sqlplus -s app_user/LEAKora111a@//db.example.com:1521/ORCLPDB1 @report.sql\nexpdp system/LEAKora111b@orcl directory=DATA_PUMP_DIR\nrman target sys/LEAKora111c@prod\nSQL> CONNECT scott/LEAKora111d@orcl\nurl=jdbc:oracle:thin:scott/LEAKora111e@db.example.com:1521:orcl\n',
		secrets: ['LEAKora111a', 'LEAKora111b', 'LEAKora111c', 'LEAKora111d', 'LEAKora111e'],
	},
	{
		name: 'HTTPie and xh auth, ngrok authtoken',
		text: 'http -a alice:LEAKhttpie112a https://api.example.com/me\nhttps --auth=bob:LEAKhttpie112b api.example.com\nxh -A bearer -a LEAKhttpie112c https://api.example.com\nngrok config add-authtoken 2LEAKngrok112dAbCdEfGhIjKlMnOp\n',
		secrets: ['LEAKhttpie112a', 'LEAKhttpie112b', 'LEAKhttpie112c', 'LEAKngrok112d'],
	},
	{
		name: '.pgpass lines and .npmrc _auth',
		text: 'db.example.com:5432:appdb:app:LEAKpgpass113a\n*:*:*:postgres:LEAKpgp\\:ass113b\necho "localhost:5432:shop:shop:LEAKpgpass113c" >> ~/.pgpass\n_auth=LEAKnpmrc113dYWxpY2U6aHVudGVyMg==\n//registry.example.com/:_auth=LEAKnpmrc113e\n',
		secrets: ['LEAKpgpass113a', 'LEAKpgp', 'ass113b', 'LEAKpgpass113c', 'LEAKnpmrc113d', 'LEAKnpmrc113e'],
	},
	{
		name: 'Oracle logins: quoted passwords, rman catalog and auxiliary, userid= after options, a path to the tool',
		text: 'sqlplus -s scott/"p@ss LEAKora115a"@orcl\nrman target / catalog rcat/LEAKora115b@rcdb auxiliary sys/LEAKora115c@aux\nexpdp directory=dp userid=system/LEAKora115d@orcl\nC:\\oracle\\bin\\sqlplus.exe scott/LEAKora115e@orcl\njdbc:oracle:thin:scott/"ti@LEAKora115f"@db.example.com:1521:orcl\n_auth = "LEAKnpmrc115g="\nlocalhost:5432:app:app:LEAKpg115h with blanks\n',
		secrets: ['LEAKora115a', 'LEAKora115b', 'LEAKora115c', 'LEAKora115d', 'LEAKora115e', 'LEAKora115f', 'LEAKnpmrc115g', 'LEAKpg115h', 'with blanks'],
	},
	{name: 'a vendor token followed by an underscore', text: 'export ghp_LEAKvendor114abcdefABCDEF_token=1 and npm_LEAKvendor114bcdefABCDEF_x', secrets: ['LEAKvendor114abcdefABCDEF', 'LEAKvendor114bcdefABCDEF']},
	{
		// A key cut short, then on its last line another secret's form: the key goes, the form still reads.
		name: 'a cut key block with another secret on its last line',
		text:
			"-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAwLEAKcut116aAbCdEf DEFINE('DB_PASSWORD', 'LEAKcut116b');\n-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBLEAKcut116cqhkiG9w0... {:password => 'LEAKcut116d'}\n" +
			'{"key":"-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC7\\nLEAKcut116ez8rT\\/Q1wZ9pXyKmN3bVcU"}\n' +
			"-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAwabcdefgh\nTOKEN='LEAKcut116f'\n" +
			'> -----BEGIN RSA PRIVATE KEY-----\n> MIIEpAIBAAKCAQEAx...LEAKcut116gZk3mP0aBcDeFgHiJk and the rest was cut\n' +
			'{"key": "-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\\nLEAKcut116h=", "other": "x"}\n' +
			"-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAwLEAKcut116iAbCd TOKEN='LEAKcut116j'\n",
		secrets: ['LEAKcut116a', 'LEAKcut116b', 'LEAKcut116c', 'LEAKcut116d', 'LEAKcut116e', 'LEAKcut116f', 'LEAKcut116g', 'LEAKcut116h', 'LEAKcut116i', 'LEAKcut116j'],
	},
	{
		name: 'a quoted path to sqlplus, a bearer token before -A bearer',
		text: '"C:\\Program Files\\Oracle\\bin\\sqlplus.exe" scott/LEAKora117a@orcl\nhttp -a LEAKhttpie117b -A bearer https://api.example.com/me\nxh --auth=\'LEAKhttpie117c\' --auth-type=bearer api.example.com\n',
		secrets: ['LEAKora117a', 'LEAKhttpie117b', 'LEAKhttpie117c'],
	},
	{
		name: 'sqlplus quoted alone or by a path, bearer tokens attached, after a continuation or an escaped quote, long',
		text: "'/opt/oracle/bin/sqlplus' scott/LEAKora118a@orcl\n\"sqlplus\" scott/LEAKora118b@orcl\nhttp -aLEAKhttpie118c --auth-type bearer https://x\nhttp --auth-type=bearer \\\n  -a LEAKhttpie118d https://x\nhttp -A bearer X-Note:'a b' --auth LEAKhttpie118e https://x\n" +
			"http -A bearer POST example.org msg=don\\'t -a LEAKhttpie118f\n\"bin/sqlplus\" scott/LEAKora118g@db\n" +
			`xh -a LEAKhttpie118h${'x'.repeat(1200)}LEAKhttpie118i -A bearer https://x\n`,
		secrets: ['LEAKora118a', 'LEAKora118b', 'LEAKhttpie118c', 'LEAKhttpie118d', 'LEAKhttpie118e', 'LEAKhttpie118f', 'LEAKora118g', 'LEAKhttpie118h', 'LEAKhttpie118i'],
	},
	{
		name: 'an Oracle login quoted whole, CONNECT at the SQL> prompt without its @',
		text: 'sqlplus -s "scott/LEAKora119a@orcl" @report.sql\nSQL> connect scott/LEAKora119b\nSQL> conn system/LEAKora119c as sysdba\n' +
			"sqlplus 'scott/LEAKora119d@orcl'\nexpdp userid='system/LEAKora119e@pdb'\nSQL> connect scott/LEAKora119f.x\n",
		secrets: ['LEAKora119a', 'LEAKora119b', 'LEAKora119c', 'LEAKora119d', 'LEAKora119e', 'LEAKora119f'],
	},
	{
		name: 'HTTPie bearer token in an argument list',
		text: 'http -a LEAKhttpie120a -A bearer https://api.example.com/me',
		args: ['http', '-a', 'LEAKhttpie120a', '-A', 'bearer', 'https://api.example.com/me'],
		secrets: ['LEAKhttpie120a'],
	},
	{
		name: 'xh user and password in an argument list',
		text: 'xh --auth=alice:LEAKhttpie121a https://api.example.com/me',
		args: ['xh', '--auth=alice:LEAKhttpie121a', 'https://api.example.com/me'],
		secrets: ['LEAKhttpie121a'],
	},
	{
		name: 'HTTPie by its path, with bundled flags; CONNECT at the Data Guard and RMAN prompts, RMAN CONNECT TARGET',
		text: 'http -va alice:LEAKhttpie122a https://x\nxh -vA bearer -a LEAKhttpie122b https://x\nhttp -a LEAKhttpie122c -vAbearer https://x\n' +
			'/usr/bin/http -a alice:LEAKhttpie122d https://x\n~/.local/bin/xh --auth bob:LEAKhttpie122e x\nC:\\Tools\\xh.exe -a alice:LEAKhttpie122f x\n' +
			'DGMGRL> connect sys/LEAKora122g@primary\nDGMGRL> connect sys/LEAKora122h\nRMAN> connect target sys/LEAKora122i@prod\nRMAN> CONNECT CATALOG rcat/LEAKora122j\nconnect auxiliary sys/LEAKora122k@aux\n' +
			'"C:\\Program Files\\xh\\xh.exe" -a alice:LEAKhttpie122l x\n\'/opt/my tools/http\' -A bearer -a LEAKhttpie122m x\nxh -4a alice:LEAKhttpie122n x\nvenv\\Scripts\\http -a alice:LEAKhttpie122o x\n' +
			'connect target sys/LEAKora122p\nconnect catalog rcat/LEAKora122q;\nC:\\Tools\\xh.EXE -a alice:LEAKhttpie122r x\n',
		secrets: ['LEAKhttpie122a', 'LEAKhttpie122b', 'LEAKhttpie122c', 'LEAKhttpie122d', 'LEAKhttpie122e', 'LEAKhttpie122f', 'LEAKora122g', 'LEAKora122h', 'LEAKora122i', 'LEAKora122j', 'LEAKora122k', 'LEAKhttpie122l', 'LEAKhttpie122m', 'LEAKhttpie122n', 'LEAKhttpie122o', 'LEAKora122p', 'LEAKora122q', 'LEAKhttpie122r'],
	},
	{
		name: 'HTTPie by a Windows path, bundled flags, in an argument list',
		text: 'C:\\Tools\\xh.exe -vA bearer -va LEAKhttpie123a https://x',
		args: ['C:\\Tools\\xh.exe', '-vA', 'bearer', '-va', 'LEAKhttpie123a', 'https://x'],
		secrets: ['LEAKhttpie123a'],
	},
	{
		name: "Windows continuations (cmd's ^, PowerShell's backquote) before an option; HTTPie's name in upper case; a CONNECT echoed into RMAN or SQL*Plus",
		text: 'http ^\n  -a alice:LEAKwin124a https://x\nxh -A bearer `\n  -a LEAKwin124b https://x\ndocker login ^\r\n  -u bob ^\r\n  -p LEAKwin124c registry.example\n' +
			'mysql -h db `\n  -pLEAKwin124d app\nsshpass ^\n  -p LEAKwin124e ssh host\n.\\XH.exe -a alice:LEAKhttpie124f x\nHTTP.EXE -a alice:LEAKhttpie124g x\n' +
			'"C:\\Tools\\XH.exe" -A bearer -a LEAKhttpie124h x\necho "connect target sys/LEAKora124i@prod" | rman\necho "CONNECT CATALOG rcat/LEAKora124j" | rman target /\n' +
			"printf 'conn sys/LEAKora124k as sysdba\\n' | sqlplus -s /nolog\necho connect scott/LEAKora124l@orcl\n" +
			"@echo conn scott/LEAKora124m| sqlplus -s /nolog\nprintf '%s\\n' 'conn scott/LEAKora124n' | sqlplus\n(echo conn scott/LEAKora124o& echo exit) | sqlplus -s /nolog\n" +
			'docker login -u bob `\n  -p $env:REGISTRY_PW registry.example\nhttp -a $env:HTTP_USER:LEAKhttpie124p x\n' +
			'echo "conn scott/Pa\\$LEAKora124q" | sqlplus -s /nolog\ncurl -u $Env:USER:LEAKwin124r https://x\necho conn scott/LEAKora124s | sudo -u oracle sqlplus /nolog\n',
		secrets: ['LEAKora124m', 'LEAKora124n', 'LEAKora124o', 'LEAKhttpie124p', 'LEAKora124q', 'LEAKwin124r', 'LEAKora124s', 'LEAKwin124a', 'LEAKwin124b', 'LEAKwin124c', 'LEAKwin124d', 'LEAKwin124e', 'LEAKhttpie124f', 'LEAKhttpie124g', 'LEAKhttpie124h', 'LEAKora124i', 'LEAKora124j', 'LEAKora124k', 'LEAKora124l'],
	},
	{
		name: 'SQL passwords (CREATE/ALTER USER, ROLE, LOGIN; IDENTIFIED BY; GRANT; SET PASSWORD), Redis requirepass and AUTH, more tools (cqlsh, hdbsql, isql, mosquitto, racadm, FreeRDP, Jenkins CLI, neo4j-admin, rabbitmqctl, mc, Db2)',
		text: "CREATE ROLE app WITH LOGIN ENCRYPTED PASSWORD 'LEAKsql125a' VALID UNTIL 'infinity';\nALTER USER postgres PASSWORD 'it''s LEAKsql125b';\nCREATE USER app\n  WITH LOGIN\n  PASSWORD 'LEAKsql125c';\n" +
			"CREATE LOGIN svc WITH PASSWORD = N'LEAKsql125d', CHECK_POLICY = OFF;\nCREATE USER 'bob'@'%' IDENTIFIED BY 'LEAKsql125e';\nALTER USER 'root'@'localhost' IDENTIFIED WITH mysql_native_password BY 'LEAKsql125f';\n" +
			"GRANT ALL ON app.* TO 'bob'@'localhost' IDENTIFIED BY 'LEAKsql125g';\nCREATE USER scott IDENTIFIED BY LEAKsql125h DEFAULT TABLESPACE users;\nSET PASSWORD FOR 'bob'@'%' = PASSWORD('LEAKsql125i');\n" +
			'psql -c "CREATE USER app WITH PASSWORD \'LEAKsql125j\'"\nrequirepass LEAKredis125k\nredis-cli CONFIG SET masterauth LEAKredis125l\nredis-server --requirepass LEAKredis125m --port 6380\n127.0.0.1:6379> AUTH default LEAKredis125n\n' +
			"cqlsh -u cassandra -p LEAKtool125o 10.0.0.1\nhdbsql -n db:30015 -u SYSTEM -p LEAKtool125p\nisql -U sa -P LEAKtool125q -S SYB\nmosquitto_sub -h broker -p 1883 -u bob -P LEAKtool125r -t '#'\nracadm -r 10.0.0.5 -u root -p LEAKtool125s getsysinfo\n" +
			'xfreerdp /v:host /u:admin /p:LEAKtool125t /cert:ignore\njava -jar jenkins-cli.jar -s http://j:8080/ -auth admin:LEAKtool125u build job\nneo4j-admin dbms set-initial-password LEAKtool125v\nrabbitmqctl add_user bob LEAKtool125w\n' +
			'mc alias set minio https://minio:9000 AKIAIOSFODNN7EXAMPLE LEAKtool125x\ndb2 connect to SAMPLE user db2inst1 using LEAKtool125y\n',
		args: ['mosquitto_sub', '-h', 'broker', '-p', '1883', '-u', 'bob', '-P', 'LEAKtool125r', '-t', '#'],
		secrets: ['LEAKsql125a', 'LEAKsql125b', 'LEAKsql125c', 'LEAKsql125d', 'LEAKsql125e', 'LEAKsql125f', 'LEAKsql125g', 'LEAKsql125h', 'LEAKsql125i', 'LEAKsql125j', 'LEAKredis125k', 'LEAKredis125l', 'LEAKredis125m', 'LEAKredis125n', 'LEAKtool125o', 'LEAKtool125p', 'LEAKtool125q', 'LEAKtool125r', 'LEAKtool125s', 'LEAKtool125t', 'LEAKtool125u', 'LEAKtool125v', 'LEAKtool125w', 'LEAKtool125x', 'LEAKtool125y'],
	},
	{
		name: "an option at the start of a continued line (`\\`, cmd's `^`), curl's user:password on the line after `-u \\`",
		text: 'docker login -u bob \\\n-p LEAKcont126a registry.example\ndocker login ^\r\n-p LEAKcont126b registry.example\ncurl -X POST https://x \\\n-u admin:LEAKcont126c \\\n-d x\n' +
			'curl -u \\\n  admin:LEAKcont126d https://x\nmysql -u root \\\n-pLEAKcont126e app\nsqlcmd -S srv \\\n-P LEAKcont126f\ngh secret set TOKEN \\\n--body LEAKcont126g\n',
		secrets: ['LEAKcont126a', 'LEAKcont126b', 'LEAKcont126c', 'LEAKcont126d', 'LEAKcont126e', 'LEAKcont126f', 'LEAKcont126g'],
	},
	{
		name: 'SQL passwords in more shapes (escaped quotes, REPLACE, a second user, OPTIONS, $$, the value on the next line), Redis AUTH after redis-cli and in quotes, cypher-shell, a value after a continuation',
		text: "ALTER ROLE app WITH PASSWORD 'it\\'s LEAKsql127a';\nmysql -e \"ALTER USER root@localhost IDENTIFIED BY \\\"LEAKsql127b\\\";\"\nCREATE OR REPLACE USER bob IDENTIFIED BY 'LEAKsql127c';\n" +
			"CREATE USER 'bob'@'%' IDENTIFIED BY\n  'LEAKsql127d';\nALTER USER a IDENTIFIED BY 'LEAKsql127e' REPLACE 'LEAKsql127f';\nALTER USER 'root'@'localhost' IDENTIFIED BY 'LEAKsql127g', 'bob'@'%' IDENTIFIED BY 'LEAKsql127h';\n" +
			"CREATE USER MAPPING FOR app SERVER s OPTIONS (user 'app', password 'LEAKsql127i');\nCREATE USER app WITH PASSWORD $$LEAKsql127j$$;\nCREATE USER bob@'%' IDENTIFIED VIA ed25519 USING PASSWORD('LEAKsql127k');\n" +
			"ALTER CURRENT USER SET PASSWORD FROM 'LEAKneo127l' TO 'LEAKneo127m';\nCREATE USER new_user PASSWORD LEAKhana127n;\nUPDATE mysql.user SET authentication_string = PASSWORD('LEAKsql127o') WHERE User = 'root';\n" +
			'redis-cli -h cache AUTH LEAKredis127p\necho "requirepass LEAKredis127q" >> /etc/redis/redis.conf\n127.0.0.1:6379> AUTH default LEAKredis127r\ncommand: ["redis-server", "--requirepass", "LEAKredis127s"]\n' +
			'cypher-shell -u neo4j -p LEAKtool127t "MATCH (n) RETURN n"\ncqlsh -u c -p \\\n  LEAKtool127u host\nisql -U sa -PLEAKtool127v -S SYB\nmosquitto_pub -h b --pw LEAKtool127w -t t\ndb2 connect to sample user db2inst1 using LEAKdb127x new LEAKdb127y confirm LEAKdb127y\n' +
			"GRANT CONNECT, RESOURCE TO scott IDENTIFIED BY LEAKora127z;\nupdate mysql.user set authentication_string=password('LEAKsql127A') where user='root';\n    requirepass: LEAKredis127B\nconnect to sample user db2inst1 using LEAKdb127C;\nALTER USER scott IDENTIFIED BY LEAKora127D;\nsshpass -p '&LEAKamp127E' ssh host\n",
		args: ['redis-server', '--requirepass', 'LEAKredis127s'],
		secrets: ['LEAKsql127a', 'LEAKsql127b', 'LEAKsql127c', 'LEAKsql127d', 'LEAKsql127e', 'LEAKsql127f', 'LEAKsql127g', 'LEAKsql127h', 'LEAKsql127i', 'LEAKsql127j', 'LEAKsql127k', 'LEAKneo127l', 'LEAKneo127m', 'LEAKhana127n', 'LEAKsql127o', 'LEAKredis127p', 'LEAKredis127q', 'LEAKredis127r', 'LEAKredis127s', 'LEAKtool127t', 'LEAKtool127u', 'LEAKtool127v', 'LEAKtool127w', 'LEAKdb127x', 'LEAKdb127y', 'LEAKora127z', 'LEAKsql127A', 'LEAKredis127B', 'LEAKdb127C', 'LEAKora127D', 'LEAKamp127E'],
	},
	{
		name: 'Tools run by a path or as a Windows program (/opt/…/bin/cqlsh, bin/neo4j-admin, "C:\\Program Files\\…\\rabbitmqctl.bat", sqlcmd.exe, docker.exe)',
		// Its first line is no path: after a word of prose a path is an argument (the property test puts one before).
		text: 'docker.exe login -u ci -p LEAKpath128k registry.example\n/opt/cassandra/bin/cqlsh -u cassandra -p LEAKpath128a 10.0.0.1\nsudo /usr/sbin/rabbitmqctl add_user bob LEAKpath128b\n"C:\\Program Files\\RabbitMQ Server\\rabbitmq_server-3.12.0\\sbin\\rabbitmqctl.bat" change_password guest LEAKpath128c\n' +
			'bin/neo4j-admin dbms set-initial-password LEAKpath128d\n./cypher-shell -u neo4j -p LEAKpath128e\nC:\\Tools\\sqlcmd.exe -S srv -U sa -P LEAKpath128f\n' +
			"& 'C:\\Program Files\\Dell\\SysMgt\\rac5\\racadm.exe' -r 10.0.0.5 -u root -p LEAKpath128g getsysinfo\n~/minio-binaries/mc alias set minio https://minio:9000 AKIAIOSFODNN7EXAMPLE LEAKpath128h\n" +
			'.\\wfreerdp.exe /v:host /u:admin /p:LEAKpath128i\n/usr/bin/mosquitto_pub -h b -u bob -P LEAKpath128j -t t\naws.exe configure set aws_secret_access_key LEAKpath128l\n' +
			'/usr/local/bin/redis-cli -h cache AUTH LEAKpath128m\n/opt/mssql-tools18/bin/sqlcmd -S localhost -U sa -P LEAKpath128n\n/usr/bin/unzip -P LEAKpath128o secrets.zip\nC:\\Windows\\System32\\net.exe use Z: \\\\srv\\share /user:ops LEAKpath128p\n' +
			'"C:\\Program Files\\Neo4j\\bin\\neo4j-admin.bat" dbms set-initial-password LEAKpath128q\n"C:\\Program Files\\OpenSSL-Win64\\bin\\openssl.exe" enc -aes-256-cbc -k LEAKpath128r -in f\n' +
			"& 'C:\\Program Files\\Amazon\\AWSCLIV2\\aws.exe' configure set aws_secret_access_key LEAKpath128s\nC:\\Tools\\SQLCMD.EXE -S srv -U sa -P LEAKpath128t\nDocker.exe login -u ci -p LEAKpath128u\nkubectl exec -n db cassandra-0 -c cassandra -- /opt/cassandra/bin/cqlsh -u cassandra -p LEAKpath128v\n" +
			'sudo -u mssql /opt/mssql-tools18/bin/sqlcmd -S . -U sa -P LEAKpath128w\n0 2 * * * /usr/local/bin/redis-cli -a LEAKpath128x ping\nExecStart=/usr/bin/mosquitto_sub -u bob -P LEAKpath128y -t t\ncommand: /opt/rabbitmq/sbin/rabbitmqctl add_user bob LEAKpath128z\n',
		args: ['C:\\Tools\\SQLCMD.EXE', '-S', 'srv', '-U', 'sa', '-P', 'LEAKpath128f'],
		secrets: ['LEAKpath128a', 'LEAKpath128b', 'LEAKpath128c', 'LEAKpath128d', 'LEAKpath128e', 'LEAKpath128f', 'LEAKpath128g', 'LEAKpath128h', 'LEAKpath128i', 'LEAKpath128j', 'LEAKpath128k', 'LEAKpath128l', 'LEAKpath128m', 'LEAKpath128n', 'LEAKpath128o', 'LEAKpath128p', 'LEAKpath128q', 'LEAKpath128r', 'LEAKpath128s', 'LEAKpath128t', 'LEAKpath128u', 'LEAKpath128v', 'LEAKpath128w', 'LEAKpath128x', 'LEAKpath128y', 'LEAKpath128z'],
	},
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
	'random_seed: 42\nseed: 1337\nknowledge_base: docs/\napi_base: https://api.example/v1\nkeywords: backup, restore\nbypass: true\ncompass: north',
	'master_seed: 42\nseed_words: 24\nRecovery words: write them down on paper.\nblack_pepper: a pinch\nprivate_key_base: /etc/ssl/private/',
	'git clone https://deploy-bot-2024-production@git.example/x.git; curl http://build0123456789agent01:8080/status; https://user@example.com:8080/profile\npip install git+ssh://git@github.com:acme/tool.git@v1.2.0 and https://serviceaccount2024production@registry.example.com/v2/\n',
	'**Note:** the password is in the vault.\n**Bold** text: and more\n- *Token budget:* 4096 per reply\n- __Secret sauce__: patience\n',
	'https://shop.example/list?page=2&items[0]=a&filter[status]=open&sort=asc&p=3\n',
	'see app/frontend/hooks/useOAuth2TokenRefresher/index.tsx and src/Controllers/IncomingWebhook/WebhookController.cs\nimport x from "@/hooks/useWebSocketConnection2"\nGET /api/hooks/0123456789abcdef0123 200\n',
	'password: $password\nPASSWORD=$DB_PASSWORD\napi_key: $apiKey\ntoken: <your-token>\nsecret: <SECRET>\npassword: <db password>\nmysql --password=$mysql_pw_2\ncurl -H "Authorization: Bearer $apiToken2"\nPGPASSWORD=$pgPass1 psql\npassword=<base64>\ntoken: <uuid4>\n',
	'A key file starts with `-----BEGIN PRIVATE KEY-----` and ends with its END line.\n\n## Deploy\n\nRun make deploy, then\ncheck\nthe dashboard.\n',
	'foo.c:1234:5:error: unused variable\nconfig.yml:12:db:host:localhost\napp.log:4242:ERROR:db:timeout\nMakefile:10:all:build:test\nregistry:5000:library:nginx:latest\nnode1:9200:cluster:green:ok\nsqlplus scripts/run.sql\nhttp -a \'[REDACTED: re-enter on restore]\' https://x\n',
	'sqlplus / as sysdba\nsqlplus -s scott/${ORACLE_PW}@orcl\nConnect input/output devices first.\njdbc:oracle:thin:@//db.example.com:1521/ORCLPDB1\nhttp -a alice https://api.example.com\nngrok http 8080\nhttp -a alice -A basic https://x\n"C:\\Program Files\\Oracle\\bin\\sqlplus.exe" / as sysdba\n10:30:00:000:123\nratio 1:2:3:4:5\n',
	'See "Chapter 3/sqlplus" input/output for the details.\nhttp -a alice X-Note:"use -A bearer" https://x\nhttp -a alice https://x | grep -A bearer log\n',
	'SQL> connect / as sysdba\nSQL> @scripts/run.sql\nConnect input/output devices first.\n',
	`Run http -a admin to log in. ${'Then read the page. '.repeat(40)}Tokens use -A bearer instead.\n`,
	'RMAN> connect target /\nDGMGRL> connect /\nhttp -pa alice https://x\nfoo-http -a alice:bob\nsee https://x.example/a -a alice:bob\nhttp -va alice https://x\nconnect target /\n',
	'sudo -u http rsync -ha deploy@web1:site/ /srv/http/\nsee https://x.example/http -a alice:bob\nrsync -e ssh /srv/http -vha deploy@web1:site/\nsudo -u http cp -fa backup:2024 .\n',
	'Set the protocol to "HTTP" and pass -a admin:readonly.\nBoth \'HTTP\' and \'HTTPS\' accept -a admin:readonly.\ndocs/bin/HTTP -a role:reader\necho "connect target TCP/IP stack"\necho "connect src/dst" | rman-report.sh\n' +
		'docker login -u bob `\n  -p $env:PW reg\nhttp -A bearer `\n -a $env:TOK `\n https://x\n' +
		'echo "connect client/server model" | tee notes.txt # see rman.md\necho "connect target TCP/IP stack" and rman docs\nhttp -a $Env:USER:$Env:PASS x\ndocker login -u $Env:USER -p $Env:PASS\n',
	'The HTTP API accepts -a admin:role filters.\nXH -a alice:bob is not xh.\necho "connect input/output ports"\necho "connect target /" | rman\nrsync -av ^\n  src/ dst/\nls -la `\n  /tmp\n',
	'Users are identified by email address; each request is identified by its id.\nCreate user accounts with a password they choose.\nALTER USER app PASSWORD NULL;\nCREATE USER app WITH PASSWORD \'$DB_PASSWORD\';\n# requirepass foobared\nrequirepass is off by default\n' +
		'The AUTH command takes a password.\nAUTH LOGIN\nmosquitto_pub -h broker -p 1883 -t x -m hello\njenkins-cli -auth @/run/secrets/jenkins who-am-i\nrabbitmqctl add_user bob\nConnect to the database using the CLI.\nCREATE USER scott IDENTIFIED EXTERNALLY;\nalter user bob identified by &pw;\nrdesktop -p - host\n',
	'mysql -u root \\\n-p \\\nmydb\ndocker run \\\n-p 8080:80 nginx\nssh host \\\n-p 2222\ntext ending in a hard break\\\n-p 22\nmysql -u root\\\n-p 3306\ncurl -u \\\n  admin https://x\n',
	'To create user accounts, go to Settings. Each user is identified by their email address.\nStep 3: Create user groups. Groups are identified by name.\nALTER USER bob ACCOUNT LOCK\n-- The account is identified by bob\n',
	'Grant access only to requests identified by "trusted" headers.\n## Create user\n1. Open the admin panel.\n2. Enter the name and the password "twice" to confirm.\n',
	"CREATE USER app FOR LOGIN app\nGO\nEXEC sp_addrolemember 'db_owner', 'app'\nGO\n-- password 'rotation' is handled by the vault job\n",
	'ALTER USER bob IDENTIFIED BY RANDOM PASSWORD;\nCREATE USER bob IDENTIFIED WITH auth_socket AS \'root\';\ncur.execute("CREATE USER bob WITH PASSWORD \'" + pw + "\'")\nEXECUTE IMMEDIATE \'ALTER USER \' || u || \' IDENTIFIED BY "\' || p || \'"\';\ncur.execute("ALTER USER bob WITH PASSWORD \'%s\'" % pw)\nALTER USER hr IDENTIFIED BY "&&pw";\n',
	'Connect to Postgres user postgres using peer authentication.\nConnect to prod user accounts using SSO.\nUse mc alias set to configure a host. Then mc ls myminio.\nmc alias set ALIAS HOSTNAME ACCESS_KEY SECRET_KEY\n',
	"ALTER USER scott PASSWORD EXPIRE;\nALTER USER bob PASSWORD HISTORY 5 PASSWORD REUSE INTERVAL 365 DAY;\n- create user with password hashing (bcrypt)\ncreate user bob password reset\nsql = 'ALTER USER ' + user + ' PASSWORD ' + repr(pw) + ' VALID'\nquery = 'CREATE USER ' || v_user || ' IDENTIFIED BY ' || v_pass || ' DEFAULT TABLESPACE users';\nALTER USER hr IDENTIFIED BY &pw;\nAuthorization: required; replace tokens regularly\n",
	"requirepass enables password authentication.\nmasterauth tells the replica which password to use.\nmasterauth defaults to empty\nrequirepass (string): password for clients\n12:45> Auth service restarted\nset password policy = 'strict'\nCREATE USER c##admin IDENTIFIED EXTERNALLY;\nredis-cli -h host PING\n",
	'Folders named after tools keep their options: /srv/zip/backup.zip -P 2222 and /etc/openssl/cert.pem -k\nhttps://dl.example.com/bin/cqlsh -p 9042 and //share/tools/racadm -p 623\nrsync -av /srv/mc/ host:/srv/mc/ -P\n' +
		'docker run -d -v /srv/mongo:/data/db -p 27017:27017 mongo:7\nroot@srv:/srv/7z# tar -pxf a.tar\nuser@host:~/mongo$ ls -p foo\nC:\\src\\mongo>python manage.py runserver -p 8000\n' +
		'wget http://mirror.example.com:8080/pub/zip -P downloads\ntar -C /srv/7z -pxzf backup.tgz\nkubectl logs -f deployment/mongo -p myc\ndocker compose -f infra/mongo -p myproject up\n' +
		'go test ./internal/mongo -p 1\nfind /usr/lib/7z -type f -print0 | xargs -0 ls\ndocker run myorg/mongo -p 27017:27017\nscp /usr/local/bin/zip host:/tmp -P 2222\nnode scripts/mongo.js -p 27017\n0 2 * * * /opt/jobs/mongo.sh -p 27017 >/dev/null\nThe "openssl" passwd command hashes a password.\nTools such as \'mkpasswd\' generate hashes\nmyorg/mongo -p 27017:27017\n- local/mongo -p 8080\n',
];
