// A bounded load run against one provider's token endpoint (client_credentials), introspection (RFC 7662,
// of one live token, so every call reads its state) and discovery:
// a fixed number of requests at a fixed concurrency, loopback only. Prints throughput and latency.
//
//   node load.mjs <issuer> <client_id> <client_secret> [requests=2000] [concurrency=16] [resource of the introspected token]
const [issuer, clientId, secret, requestsArg, concurrencyArg, introspectedResource] = process.argv.slice(2);
const requests = Number(requestsArg ?? 2000);
const concurrency = Number(concurrencyArg ?? 16);
if (!/^http:\/\/(127\.0\.0\.1|localhost)[:/]/.test(issuer)) throw new Error('loopback targets only');

const metadata = await (await fetch(`${issuer}/.well-known/openid-configuration`)).json();
const authorization = 'Basic ' + Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64');

async function run(name, once) {
  for (let i = 0; i < 50; i++) await once(); // warm-up
  const latencies = [];
  let next = 0;
  let failures = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < requests) {
      next++;
      const t = performance.now();
      if (!(await once())) failures++;
      latencies.push(performance.now() - t);
    }
  }));
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (p) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))].toFixed(1);
  console.log(`${name.padEnd(28)} ${(latencies.length / seconds).toFixed(0).padStart(6)} req/s   p50 ${at(0.5)} ms   p95 ${at(0.95)} ms   p99 ${at(0.99)} ms   failures ${failures}`);
}

await run('token (client_credentials)', async () => {
  const response = await fetch(metadata.token_endpoint, {
    method: 'POST',
    headers: { authorization, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials',
  });
  const body = await response.json();
  return response.ok && typeof body.access_token === 'string';
});

const live = await (await fetch(metadata.token_endpoint, {
  method: 'POST',
  headers: { authorization, 'content-type': 'application/x-www-form-urlencoded' },
  body: 'grant_type=client_credentials' + (introspectedResource ? '&resource=' + encodeURIComponent(introspectedResource) : ''),
})).json();
const introspectBody = 'token=' + encodeURIComponent(live.access_token);
await run('introspection', async () => {
  const response = await fetch(metadata.introspection_endpoint, {
    method: 'POST',
    headers: { authorization, 'content-type': 'application/x-www-form-urlencoded' },
    body: introspectBody,
  });
  const body = await response.json();
  return response.ok && body.active === true;
});

await run('discovery', async () => (await fetch(`${issuer}/.well-known/openid-configuration`)).ok);
